import type { BackendName, ImplName } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import type { BenchSizes } from '../support/bench-sizes';

export const SCENARIO_NAMES = [
  'write-1-stream',
  'write-100-streams',
  'write-20-streams-one-session',
  'replay-100k',
  'replay-tail',
  'live-p50-same-process',
  'live-p99-same-process',
  'live-p99-cross-process',
  'idle-reader-reads',
  'round-trips-per-write',
  'memory-per-1k-streams',
  'redis-cpu-per-event',
  'heap-after-expiry',
] as const;

export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/**
 * One figure. Rows with neither `variant` nor `implVariant` are the required ones (one per
 * scenario and implementation); the others add detail.
 */
export interface BenchResult {
  scenario: ScenarioName;
  impl: ImplName;
  backend: BackendName;
  value: number;
  unit: string;
  /** Another measurement of the same scenario, e.g. `100 streams`, `commands`, `MGET`. */
  variant?: string;
  /** An alternative form of the implementation, e.g. `generic` for the store's cache-manager path. */
  implVariant?: string;
  note?: string;
}

/**
 * The variant of the store's `replay-100k` row where it delivers each event's data as the text an
 * SSE endpoint sends (`wireData`), as its own endpoints replay: like the raw range read, it
 * decodes nothing it only forwards. The required rows deliver the decoded value, as the MCP SDK's
 * store does.
 */
export const WIRE_DATA = 'wire data';

export interface ScenarioContext {
  sizes: BenchSizes;
  targets: Target[];
  /** Progress line on stderr. */
  log(line: string): void;
}

export interface Scenario {
  /** The scenario names this module produces rows for. */
  readonly names: readonly ScenarioName[];
  run(context: ScenarioContext): Promise<BenchResult[]>;
}

export function resultFor(
  target: Target,
  scenario: ScenarioName,
  value: number,
  unit: string,
  extra: { variant?: string; note?: string } = {},
): BenchResult {
  return {
    scenario,
    impl: target.impl,
    backend: target.backend,
    value,
    unit,
    ...(extra.variant ? { variant: extra.variant } : {}),
    ...(target.variant ? { implVariant: target.variant } : {}),
    ...(extra.note ? { note: extra.note } : {}),
  };
}

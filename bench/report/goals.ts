import type { BackendName, ImplName } from '../impls/bench-subject';
import { type BenchResult, type ScenarioName, WIRE_DATA } from '../scenarios/scenario';
import { formatValue } from './results-table';

/** A required row: no extra measurement, the implementation's default form. */
export function requiredValue(
  results: BenchResult[],
  scenario: ScenarioName,
  impl: ImplName,
  backend: BackendName,
  variant?: string,
): number | undefined {
  return results.find(
    (result) =>
      result.scenario === scenario &&
      result.impl === impl &&
      result.backend === backend &&
      result.variant === variant &&
      result.implVariant === undefined,
  )?.value;
}

export interface GoalCheck {
  goal: string;
  /** What was measured, in words with the figures. */
  measured: string;
  /** `undefined` when the rows it needs were not produced (e.g. `--only`). */
  met?: boolean;
}

type Direction = 'higher' | 'lower';

/** "How many times better the store is": store ÷ other for rates, other ÷ store for costs. */
export function advantage(store: number, other: number, better: Direction): number {
  return better === 'higher' ? store / other : other / store;
}

/** A goal on "how many times better the store is" than another implementation, in one scenario. */
export interface RatioGoal {
  goal: string;
  scenario: ScenarioName;
  storeBackend: BackendName;
  other: { impl: ImplName; backend: BackendName };
  atLeast: number;
  /** Measured as what the store costs per unit of the other's cost (store ÷ other), as the goal is worded. */
  statedAsCost?: true;
  /** The store's row of this variant, where the goal compares it and not the default row. */
  storeVariant?: string;
}

export const RATIO_GOALS: RatioGoal[] = [
  {
    goal: 'write-100-streams on Redis ≥ 3× the reference',
    scenario: 'write-100-streams',
    storeBackend: 'redis',
    other: { impl: 'reference', backend: 'redis' },
    atLeast: 3,
  },
  {
    goal: 'write-100-streams on Redis ≥ ½ raw pipelined SET',
    scenario: 'write-100-streams',
    storeBackend: 'redis',
    other: { impl: 'raw', backend: 'redis' },
    atLeast: 0.5,
  },
  {
    goal: 'write-20-streams-one-session on Redis ≥ 3× the reference',
    scenario: 'write-20-streams-one-session',
    storeBackend: 'redis',
    other: { impl: 'reference', backend: 'redis' },
    atLeast: 3,
  },
  {
    goal: 'write-20-streams-one-session on Redis ≥ 0.9× raw pipelined SET',
    scenario: 'write-20-streams-one-session',
    storeBackend: 'redis',
    other: { impl: 'raw', backend: 'redis' },
    atLeast: 0.9,
  },
  {
    // A cost: the ratio is raw ÷ store, so 0.8 means the store costs Redis at most 1.25× raw.
    goal: 'redis-cpu-per-event ≤ 1.25× raw XADD + PUBLISH',
    scenario: 'redis-cpu-per-event',
    storeBackend: 'redis',
    other: { impl: 'raw', backend: 'redis' },
    atLeast: 0.8,
    statedAsCost: true,
  },
  {
    goal: 'replay-100k on Redis ≥ 10× the reference',
    scenario: 'replay-100k',
    storeBackend: 'redis',
    other: { impl: 'reference', backend: 'redis' },
    atLeast: 10,
  },
  {
    // The raw range read hands over the stored text; the store's endpoints send it as stored too.
    goal: 'replay-100k on Redis (wire data) ≥ 0.8× the raw range read',
    scenario: 'replay-100k',
    storeBackend: 'redis',
    other: { impl: 'raw', backend: 'redis' },
    atLeast: 0.8,
    storeVariant: WIRE_DATA,
  },
  {
    goal: 'replay-tail ≥ 100× faster than the MCP SDK in-memory store',
    scenario: 'replay-tail',
    storeBackend: 'memory',
    other: { impl: 'mcp-sdk-in-memory', backend: 'memory' },
    atLeast: 100,
  },
  ...(['write-1-stream', 'write-100-streams', 'replay-100k', 'memory-per-1k-streams'] as const).map(
    (scenario): RatioGoal => ({
      goal: `${scenario} in memory at least as good as the MCP SDK in-memory store`,
      scenario,
      storeBackend: 'memory',
      other: { impl: 'mcp-sdk-in-memory', backend: 'memory' },
      atLeast: 1,
    }),
  ),
];

/** Rates are better higher; times, reads, round trips and memory lower. */
export function betterDirection(unit: string): Direction {
  return unit === 'events/s' ? 'higher' : 'lower';
}

function checkRatioGoal(
  results: BenchResult[],
  { goal, scenario, storeBackend, other, atLeast, statedAsCost, storeVariant }: RatioGoal,
): GoalCheck {
  const store = requiredValue(results, scenario, 'store', storeBackend, storeVariant);
  const baseline = requiredValue(results, scenario, other.impl, other.backend);
  if (store === undefined || baseline === undefined) return { goal, measured: 'not measured' };
  const unit = results.find((result) => result.scenario === scenario)?.unit ?? '';
  const ratio = advantage(store, baseline, betterDirection(unit));
  const shown = statedAsCost ? `store costs ${(store / baseline).toFixed(2)}× ${other.impl}` : `${ratio.toFixed(2)}×`;
  return {
    goal,
    measured: `${shown} (store ${formatValue(store, unit)}, ${other.impl} ${formatValue(baseline, unit)} ${unit})`,
    met: ratio >= atLeast,
  };
}

function limitGoal(
  results: BenchResult[],
  goal: string,
  rows: { scenario: ScenarioName; backend: BackendName; variant?: string }[],
  passes: (value: number) => boolean,
): GoalCheck {
  const found = rows.map((row) =>
    results.find(
      (result) =>
        result.scenario === row.scenario &&
        result.impl === 'store' &&
        result.backend === row.backend &&
        result.variant === row.variant &&
        result.implVariant === undefined,
    ),
  );
  if (found.some((result) => result === undefined)) return { goal, measured: 'not measured' };
  return {
    goal,
    measured: found.map((result) => `${result!.backend}: ${formatValue(result!.value, result!.unit)} ${result!.unit}`).join('; '),
    met: found.every((result) => passes(result!.value)),
  };
}

/** The project's goals, each checked on ratios from this run. */
export function evaluateGoals(results: BenchResult[]): GoalCheck[] {
  return [
    ...RATIO_GOALS.map((goal) => checkRatioGoal(results, goal)),
    limitGoal(results, 'live-p99-cross-process < 5 ms', [{ scenario: 'live-p99-cross-process', backend: 'redis' }], (value) => value < 5),
    limitGoal(
      results,
      'idle-reader-reads zero',
      [
        { scenario: 'idle-reader-reads', backend: 'memory' },
        { scenario: 'idle-reader-reads', backend: 'redis' },
      ],
      (value) => value === 0,
    ),
    limitGoal(
      results,
      'round-trips-per-write ≤ 1',
      [
        { scenario: 'round-trips-per-write', backend: 'memory' },
        { scenario: 'round-trips-per-write', backend: 'redis' },
      ],
      (value) => value <= 1,
    ),
    limitGoal(
      results,
      'heap-after-expiry ≤ 1.2× the empty heap',
      [{ scenario: 'heap-after-expiry', backend: 'memory' }],
      (value) => value <= 1.2,
    ),
    limitGoal(
      results,
      'heap-after-expiry: no expired entry held',
      [{ scenario: 'heap-after-expiry', backend: 'memory', variant: 'entries held' }],
      (value) => value === 0,
    ),
    limitGoal(
      results,
      'round-trips-per-write < 0.2 with 100 streams writing at once',
      [{ scenario: 'round-trips-per-write', backend: 'redis', variant: '100 streams' }],
      (value) => value < 0.2,
    ),
  ];
}

const verdict = (check: GoalCheck): string => (check.met === undefined ? 'n/a' : check.met ? 'met' : 'MISSED');

export function formatGoals(checks: GoalCheck[]): string {
  const width = Math.max(...checks.map((check) => check.goal.length));
  return ['Goals', ...checks.map((check) => `  ${verdict(check).padEnd(6)} ${check.goal.padEnd(width)}  ${check.measured}`)].join('\n');
}

export function formatGoalsMarkdown(checks: GoalCheck[]): string {
  return [
    '| goal | measured | |',
    '| --- | --- | --- |',
    ...checks.map((check) => `| ${check.goal} | ${check.measured} | ${verdict(check)} |`),
  ].join('\n');
}

import { writeFile } from 'node:fs/promises';
import { subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import type { BenchResult } from '../scenarios/scenario';
import { formatGoalsMarkdown, type GoalCheck } from './goals';
import { formatMarkdownTable } from './results-table';

const HOW_MEASURED = [
  '`write-*`: events/s, each write awaited; 100 streams = one stream in each of 100 sessions, written at once. Raw: SET of the same JSON (the client pipelines concurrent commands).',
  "`replay-100k`: events/s to a reader resuming from the start of a 100,000-event stream, best of 3 replays (a slow replay is stopped at the time cap and rated on what it delivered); the `first replay` rows rate the first of them alone (the in-memory path keeps what a replay decoded); the store's `wire data` row delivers each event's data as the text of its SSE `data:` field (`events({ wireData: true })`, as `@ResumableSse()` routes read), the others the decoded value. Raw: the better of MGET and XRANGE pages of the store's page size, handed over as stored.",
  '`replay-tail`: median ms from the resume call to the 10th event, with 1,000 streams × 1,000 events stored.',
  "`live-*`: ms from the write call to the reader's callback; cross-process = writer in a child process. The reference polls every 1 s.",
  '`idle-reader-reads`: reads/s by 1,000 waiting readers of silent streams: cache `get`/`mget` calls in memory; every Redis command of the process on Redis.',
  '`round-trips-per-write`: per event in steady state. Memory: calls reaching the cache (`calls`). Redis: round trips at the client (`rt`: socket writes, each answered by one batch of replies; concurrent commands share one), and commands (`cmd`, variant rows).',
  '`memory-per-1k-streams`: MiB of V8 heap (after a full GC, in a fresh process) for 1,000 streams × 100 events.',
  '`heap-after-expiry`: V8 heap (after a full GC, in a fresh process) 5 s after writing 1,000 completed streams × 50 events that expire after 1 s, nothing read meanwhile, as a multiple of the empty heap; variant rows: MiB and entries still held. The MCP SDK store has no expiry.',
  "`store (generic)` on memory: the cache-manager path over the same in-memory cache (`storage: 'generic'`).",
  '`store/redis` is whatever the store picks by default on a `@keyv/redis` cache; `reference` is a TypeScript port of the C# reference store (bench/reference), on the same cache.',
];

/** The notes some rows carry (which raw layout won, anything a measurement did not get). */
function notes(results: BenchResult[]): string[] {
  return results
    .filter((result) => result.note)
    .map(
      (result) =>
        `- ${result.scenario}, \`${subjectLabel({ ...result, variant: result.implVariant })}\`${result.variant ? ` (${result.variant})` : ''}: ${result.note}`,
    );
}

export async function writeMarkdownReport(
  path: string,
  results: BenchResult[],
  targets: Target[],
  goals: GoalCheck[],
  environment: string,
): Promise<void> {
  const text = [
    '# Benchmark results',
    '',
    `${environment}. Written by \`npm run bench\`.`,
    '',
    formatMarkdownTable(results, targets),
    '',
    ...notes(results),
    '',
    '## Goals',
    '',
    formatGoalsMarkdown(goals),
    '',
    '![How many times better the store is](ratios.svg)',
    '',
    '## How each figure is measured',
    '',
    ...HOW_MEASURED.map((line) => `- ${line}`),
    '',
  ].join('\n');
  await writeFile(path, text);
}

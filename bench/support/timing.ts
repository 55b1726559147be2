import { performance } from 'node:perf_hooks';

/** Wall-clock ms with sub-ms precision, comparable between processes (both read the same clock). */
export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of already sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * Runs `loops` concurrent loops of awaited `step(loop, n)` calls until `seconds` have passed;
 * resolves with the steps completed per second.
 */
export async function stepsPerSecond(loops: number, seconds: number, step: (loop: number, n: number) => Promise<unknown>): Promise<number> {
  const started = now();
  const deadline = started + seconds * 1_000;
  let completed = 0;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      for (let n = 0; now() < deadline; n++) {
        await step(loop, n);
        completed++;
      }
    }),
  );
  return completed / ((now() - started) / 1_000);
}

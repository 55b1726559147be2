import type { BenchSubject, BenchWriter, StreamAddress } from '../impls/bench-subject';
import { benchEvent } from './bench-event';

/**
 * Setup: stores a completed stream of `count` bench events, seeded where the subject can, else
 * written with `inFlight` writes outstanding. Resolves with the ids in order.
 */
export async function fillStream(subject: BenchSubject, address: StreamAddress, count: number, inFlight: number): Promise<string[]> {
  if (subject.seed)
    return subject.seed(
      address,
      Array.from({ length: count }, (_, index) => benchEvent(index)),
    );
  const writer = await subject.openWriter(address);
  const ids = await populateStream(writer, count, inFlight);
  await writer.complete();
  return ids;
}

/** Writes `count` events with up to `inFlight` outstanding, so implementations that batch or pipeline fill fast. */
async function populateStream(writer: BenchWriter, count: number, inFlight: number): Promise<string[]> {
  const ids = new Array<string>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) {
        const index = next++;
        ids[index] = await writer.write(benchEvent(index));
      }
    }),
  );
  return ids;
}

/** Runs `task` for 0..count-1 with at most `parallel` running at once. */
export async function forEachLimited(count: number, parallel: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

import {
  formatReferenceEventId,
  REFERENCE_DEFAULTS,
  ReferenceEventStore,
  type ReferenceStreamReader,
} from '../reference/reference-event-store';
import type { BenchSubject, StreamAddress, SubjectSpec } from './bench-subject';
import { now } from '../support/timing';
import { subjectCache } from './subject-cache';

/** The port of the C# reference store, with its defaults (1 s polling), on the same kind of cache as the store. */
export function createReferenceSubject(spec: SubjectSpec): BenchSubject {
  const { cache, cacheCalls, disconnect } = subjectCache(spec);
  const store = new ReferenceEventStore(cache, { ...REFERENCE_DEFAULTS, keyPrefix: spec.keyPrefix });
  const readers = new Set<AbortController>();

  const reader = async (address: StreamAddress, afterId?: string): Promise<ReferenceStreamReader> => {
    // The reference resumes "from the start" after the id of sequence 0.
    const found = await store.getStreamReader(afterId ?? formatReferenceEventId(address.sessionId, address.streamId, 0));
    if (!found) throw new Error(`reference: stream '${address.streamId}' cannot be resumed`);
    return found;
  };

  async function* dataOf(found: ReferenceStreamReader, abort: AbortController): AsyncGenerator<unknown> {
    for await (const item of found.readEvents(abort.signal)) yield item.data;
  }

  return {
    spec,
    cacheCalls,
    async openWriter(address) {
      const writer = store.createStream(address.sessionId, address.streamId);
      // The reference stores metadata only when a stream is written to; setting the mode stores
      // it up front, so readers can attach before the first event.
      await writer.setMode('streaming');
      return {
        write: async (data) => (await writer.writeEvent({ data })).eventId!,
        complete: () => writer.dispose(),
      };
    },
    seed: (address, events) =>
      store.seedCompletedStream(
        address.sessionId,
        address.streamId,
        events.map((data) => ({ data })),
      ),
    async replay(address, request) {
      const abort = new AbortController();
      return deliverUntil(dataOf(await reader(address, request.afterId), abort), request, abort);
    },
    async follow(address, onEvent) {
      const found = await reader(address);
      const abort = new AbortController();
      readers.add(abort);
      void deliverUntil(dataOf(found, abort), { count: Infinity, deadline: Infinity, onEvent }, abort).catch(() => undefined);
      return () => {
        abort.abort();
        readers.delete(abort);
      };
    },
    async close() {
      for (const abort of readers) abort.abort();
      await disconnect();
    },
  };
}

/**
 * Delivers `request.count` events of the reader's sequence to `request.onEvent`, stopping at the
 * deadline (by aborting `abort`, which also ends a polling wait) or at the end of the sequence.
 */
async function deliverUntil(
  events: AsyncIterable<unknown>,
  request: { count: number; deadline: number; onEvent?(data: unknown): void },
  abort: AbortController,
): Promise<number> {
  const timer = Number.isFinite(request.deadline) ? setTimeout(() => abort.abort(), Math.max(0, request.deadline - now())) : undefined;
  let delivered = 0;
  try {
    for await (const data of events) {
      request.onEvent?.(data);
      if (++delivered >= request.count || abort.signal.aborted) break;
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return delivered;
}

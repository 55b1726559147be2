import type { Observable } from 'rxjs';
import { type SseEventStoreModuleOptions, type SseStoredEvent } from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import type { Cache } from 'cache-manager';
import { memoryStreamTableOf } from '../../lib/storage/memory/memory-stream-table';
import { createSseEventStore } from '../../lib/testing';
import { now } from '../support/timing';
import type { BenchSubject, ReplayRequest, StreamAddress, SubjectSpec } from './bench-subject';
import { subjectCache } from './subject-cache';

/**
 * True once the store has an option to choose its storage path (`storage: 'generic' | 'auto'`):
 * the benchmark then adds the generic cache-manager path on Redis as an extra row beside
 * whatever the store picks by default.
 */
export const STORE_HAS_STORAGE_OPTION = 'storage' in DEFAULT_SSE_EVENT_STORE_OPTIONS;

/** This library's store, built as `createSseEventStore` builds it: defaults unless the scenario needs longer streams. */
export function createStoreSubject(spec: SubjectSpec): BenchSubject {
  const { cache, cacheCalls, disconnect } = subjectCache(spec);
  const options: SseEventStoreModuleOptions & Record<string, unknown> = { cache, keyPrefix: spec.keyPrefix };
  if (spec.longestStream !== undefined && spec.longestStream > DEFAULT_SSE_EVENT_STORE_OPTIONS.maxEventsPerStream) {
    options.maxEventsPerStream = spec.longestStream;
  }
  if (spec.variant === 'generic') options.storage = 'generic';
  if (spec.ttlMs !== undefined) {
    for (const name of ['eventSlidingExpiration', 'eventAbsoluteExpiration', 'metadataSlidingExpiration', 'metadataAbsoluteExpiration']) {
      options[name] = spec.ttlMs;
    }
  }
  const { store, close } = createSseEventStore(options);

  const reader = async (address: StreamAddress, afterId?: string) => {
    const found = afterId === undefined ? await store.getStreamReaderFromStart(address) : await store.getStreamReader(afterId);
    if (!found) throw new Error(`store: stream '${address.streamId}' cannot be resumed`);
    return found;
  };

  return {
    spec,
    cacheCalls,
    heldEntries: spec.backend === 'memory' ? () => heldInMemory(cache, spec) : undefined,
    async openWriter(address) {
      const writer = await store.createStream(address);
      return {
        write: async (data) => (await writer.write({ data })).id,
        complete: () => writer.complete(),
      };
    },
    async replay(address, request) {
      return deliver((await reader(address, request.afterId)).events({ wireData: request.wireData }), request);
    },
    async follow(address, onEvent) {
      const subscription = (await reader(address)).events().subscribe((event) => onEvent(event.data));
      return () => subscription.unsubscribe();
    },
    async close() {
      await close();
      await disconnect();
    },
  };
}

/** Entries held in memory: the native path's table, or the in-memory cache's `Map` on the generic path. */
function heldInMemory(cache: Cache, spec: SubjectSpec): number {
  if (spec.variant === 'generic') return (cache.stores[0] as { opts: { store: Map<unknown, unknown> } }).opts.store.size;
  const counts = memoryStreamTableOf(cache, spec.keyPrefix).counts();
  return counts.events + counts.streams + counts.sessions + counts.tombstones;
}

function deliver(events: Observable<SseStoredEvent>, request: ReplayRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    let delivered = 0;
    let finished = false;
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      queueMicrotask(() => subscription.unsubscribe());
      if (error) reject(error);
      else resolve(delivered);
    };
    const timer = Number.isFinite(request.deadline) ? setTimeout(() => finish(), Math.max(0, request.deadline - now())) : undefined;
    const subscription = events.subscribe({
      next: (event) => {
        if (finished) return;
        request.onEvent?.(event.data);
        if (++delivered >= request.count) finish();
      },
      error: (error: unknown) => finish(error),
      complete: () => finish(),
    });
  });
}

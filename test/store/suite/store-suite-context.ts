import assert from 'node:assert/strict';
import { it as nodeIt, type TestContext } from 'node:test';
import type { Cache } from 'cache-manager';
import {
  SseEventStore,
  SseEventStoreError,
  type SseEventStoreModuleOptions,
  type SseStoredEvent,
  type SseStreamAddress,
} from '../../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../../lib/event-id/event-id.codec';
import { createSseEventStore } from '../../../lib/testing';
import { assembleSseEventStore } from '../../../lib/assembly/assemble-sse-event-store';
import { resolveSseEventStoreOptions } from '../../../lib/sse-event-store-options';
import { memoryStreamTableOf } from '../../../lib/storage/memory/memory-stream-table';
import { collect } from '../../support/async';
import { type CacheBackend, createTestCache, uniquePrefix } from '../../support/caches';
import { cacheRoundTrips, redisRoundTrips, type RoundTripLog, storageRoundTrips } from '../../support/round-trips';
import { cacheLayout, memoryNativeLayout, redisNativeLayout, type StoredLayout } from '../../support/stored-layout';

export const TEST_TIMEOUT_MS = 60_000;
export const MINUTE = 60_000;

type StoreOptions = Omit<SseEventStoreModuleOptions, 'cache' | 'keyPrefix' | 'storage'>;

/**
 * Where the suite runs: the in-memory cache on the native in-memory path or on the generic
 * cache-manager path, or Redis through `@keyv/redis` on the generic path or on the native Redis
 * path.
 */
export type StorePath = 'memory-native' | 'memory-generic' | 'redis-generic' | 'redis-native';

const PATHS: Record<StorePath, { backend: CacheBackend; storage: SseEventStoreModuleOptions['storage'] }> = {
  'memory-native': { backend: 'memory', storage: 'auto' },
  'memory-generic': { backend: 'memory', storage: 'generic' },
  'redis-generic': { backend: 'redis', storage: 'generic' },
  'redis-native': { backend: 'redis', storage: 'redis' },
};

/** A store on a fresh cache of the backend, with every round trip to the backend recorded. */
export interface Harness {
  store: SseEventStore;
  /** The cache under the store, for looking at (or tampering with) what is stored; not recorded. */
  raw: Cache;
  /** Where the storage path keeps what, on `raw`. */
  layout: StoredLayout;
  /** The calls (generic path), Redis commands (native Redis path) or storage calls (native in-memory path) the store made. */
  trips: RoundTripLog;
  keyPrefix: string;
  ids: EventIdCodec;
}

/** The path a part of the suite runs on, and the helpers every part shares. */
export interface StoreSuiteContext {
  path: StorePath;
  backend: CacheBackend;
  storage: SseEventStoreModuleOptions['storage'];
  /** `it` with the suite's timeout. */
  it(name: string, fn: (t: TestContext) => Promise<void>): void;
  /** A store of the test on a fresh cache and key prefix, closed when the test ends. */
  open(t: TestContext, options?: StoreOptions): Promise<Harness>;
  /** The sequence number within its stream of an id the store gave. */
  sequenceOf(h: Harness, id: string): number;
  readFromStart(h: Harness, address: SseStreamAddress): Promise<SseStoredEvent[]>;
  readAfter(h: Harness, lastEventId: string): Promise<SseStoredEvent[]>;
  /** Writes `count` events at once, without waiting for one before the next. */
  writeMany(
    writer: { write(event: { data: unknown }): Promise<{ id: string }> },
    count: number,
    data?: (n: number) => unknown,
  ): Promise<{ id: string }[]>;
}

export function createStoreSuiteContext(path: StorePath): StoreSuiteContext {
  const { backend, storage } = PATHS[path];

  const it = (name: string, fn: (t: TestContext) => Promise<void>) => nodeIt(name, { timeout: TEST_TIMEOUT_MS }, fn);

  async function open(t: TestContext, options: StoreOptions = {}): Promise<Harness> {
    const testCache = await createTestCache(backend);
    const standalone: { close(): Promise<void> }[] = [];
    t.after(async () => {
      for (const store of standalone) await store.close();
      await testCache.close();
    });
    const keyPrefix = uniquePrefix();
    if (path === 'memory-native') {
      const assembled = assembleSseEventStore(testCache.cache, {}, resolveSseEventStoreOptions({ ...options, keyPrefix, storage }));
      assert.equal(assembled.topology.storage, 'memory', 'the store runs on the native in-memory path');
      standalone.push(assembled);
      return {
        store: assembled.store,
        raw: testCache.cache,
        layout: memoryNativeLayout(memoryStreamTableOf(testCache.cache, keyPrefix)),
        trips: storageRoundTrips(assembled.storage),
        keyPrefix,
        ids: new EventIdCodec(options.maxIdLength ?? DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength),
      };
    }
    const recorded = path === 'redis-native' ? redisRoundTrips(testCache.cache) : cacheRoundTrips(testCache.cache);
    const created = createSseEventStore({ ...options, cache: recorded.cache, keyPrefix, storage });
    standalone.push(created);
    return {
      store: created.store,
      raw: testCache.cache,
      layout: path === 'redis-native' ? redisNativeLayout(testCache.cache, keyPrefix) : cacheLayout(testCache.cache, keyPrefix),
      trips: recorded.log,
      keyPrefix,
      ids: new EventIdCodec(options.maxIdLength ?? DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength),
    };
  }

  const sequenceOf = (h: Harness, id: string): number => {
    const position = h.ids.parse(id);
    assert.ok(position, `'${id}' is not an id of the store`);
    return position.sequence;
  };

  async function readFromStart(h: Harness, address: SseStreamAddress): Promise<SseStoredEvent[]> {
    const reader = await h.store.getStreamReaderFromStart(address);
    assert.ok(reader, 'the stream should exist');
    return collect(reader.events());
  }

  async function readAfter(h: Harness, lastEventId: string): Promise<SseStoredEvent[]> {
    const reader = await h.store.getStreamReader(lastEventId);
    assert.ok(reader, `a reader after '${lastEventId}'`);
    return collect(reader.events());
  }

  async function writeMany(
    writer: { write(event: { data: unknown }): Promise<{ id: string }> },
    count: number,
    data = (n: number): unknown => ({ n }),
  ) {
    return Promise.all(Array.from({ length: count }, (_, n) => writer.write({ data: data(n) })));
  }

  return { path, backend, storage, it, open, sequenceOf, readFromStart, readAfter, writeMany };
}

/** For `assert.rejects`/`assert.throws`: the error is a `type`, and passes `check` if given. */
export function isError<T extends SseEventStoreError>(type: abstract new (...args: never[]) => T, check?: (error: T) => void) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    check?.(error as T);
    return true;
  };
}

/** `actual` (a remaining TTL in ms) is at most `limit` and not much less: it was set to `limit` moments ago. */
export function assertWithin(actual: number | undefined, limit: number, what: string): void {
  assert.ok(actual !== undefined, `${what}: the key has a TTL`);
  assert.ok(actual <= limit && actual > limit - 10_000, `${what}: expected about ${limit} ms, at most that, got ${actual}`);
}

import KeyvRedis, { createKeyv } from '@keyv/redis';
import { type Cache, createCache } from 'cache-manager';
import type { SseEventStorage, SseStreamAddress } from '../../lib';
import { memoryStreamTableOf } from '../../lib/storage/memory/memory-stream-table';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import { redisClientOf } from './cache-inspection';
import { createTestCache, REDIS_CONNECT_TIMEOUT_MS, type RedisClientKind } from './caches';
import { createFailingCache } from './failing-cache';
import { createOutageCache } from './outage-cache';
import { startRedisServer } from './redis-server';
import type { StoreBackend } from './store-backends';
import { cacheLayout, memoryNativeLayout } from './stored-layout';

/**
 * How a backend fails: `unreachable`, every call fails (the backend is gone); `no-answer`, calls
 * are sent and never answered (a stalled server); `refuses-writes`, reads are answered and writes
 * refused (a server out of memory).
 */
export type BackendFailure = 'unreachable' | 'no-answer' | 'refuses-writes';

export const BACKEND_FAILURES: readonly BackendFailure[] = ['unreachable', 'no-answer', 'refuses-writes'];

/** The failures a store backend can be made to show: none for the native in-memory path, which has no backend to lose. */
export function failuresOf(backend: StoreBackend): readonly BackendFailure[] {
  return backend === 'memory' ? [] : BACKEND_FAILURES;
}

/** A backend of a test's own (its data shared by every store opened on `cache`), which the test can make fail. */
export interface FaultyBackend {
  readonly cache: Cache;
  /** The `storage` option that puts a store on this backend's storage path. */
  readonly storage: SseEventStorage;
  /** From now on, every call fails this way; there is no way back. */
  fail(failure: BackendFailure): Promise<void>;
  /** Overwrites stored event `sequence` of the stream (of a store on `keyPrefix`) with text that is no event. */
  corruptEvent(keyPrefix: string, address: SseStreamAddress, sequence: number): Promise<void>;
  close(): Promise<void>;
}

/** How long a stall lasts: longer than any test waits on it. */
const STALL_MS = 30_000;
const CORRUPT = 'not an event';

/** The backend for `backend`, on a cache no other test uses (a redis-server of its own for Redis). */
export async function openFaultyBackend(backend: StoreBackend): Promise<FaultyBackend> {
  switch (backend) {
    case 'memory':
      return nativeMemoryBackend();
    case 'memory-generic':
      return memoryBackend();
    case 'redis-generic':
      return redisBackend('generic');
    case 'redis-native':
      return redisBackend('redis');
    case 'valkey-native':
      return redisBackend('redis', 'valkey');
    default:
      return unknownBackend(backend);
  }
}

/** A backend this helper does not know yet: the test fails until it does. */
function unknownBackend(backend: never): never {
  throw new Error(`no faulty cache for store backend ${String(backend)}`);
}

/** The native in-memory path: nothing there can fail (see {@link failuresOf}). */
async function nativeMemoryBackend(): Promise<FaultyBackend> {
  const { cache } = await createTestCache('memory');
  return {
    cache,
    storage: 'auto',
    async fail(failure) {
      throw new Error(`the native in-memory path cannot be made to fail (${failure})`);
    },
    async corruptEvent(keyPrefix, address, sequence) {
      memoryNativeLayout(memoryStreamTableOf(cache, keyPrefix)).overwriteEvent(address, sequence, CORRUPT);
    },
    close: async () => undefined,
  };
}

async function memoryBackend(): Promise<FaultyBackend> {
  const outage = await createOutageCache('memory');
  const failing = createFailingCache(outage.cache);
  return {
    cache: failing.cache,
    storage: 'generic',
    async fail(failure) {
      if (failure === 'no-answer') return outage.stop('kill');
      failing.failReads = failure === 'unreachable';
      failing.failWrites = true;
    },
    corruptEvent: (keyPrefix, address, sequence) => corruptCacheEvent(failing.cache, keyPrefix, address, sequence),
    close: () => outage.close(),
  };
}

async function redisBackend(storage: 'generic' | 'redis', client: RedisClientKind = 'redis'): Promise<FaultyBackend> {
  const server = await startRedisServer();
  let cache: Cache;
  let disconnect: () => Promise<unknown>;
  try {
    ({ cache, disconnect } = await connectCache(client, server.url));
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return {
    cache,
    storage,
    async fail(failure) {
      if (failure === 'unreachable') return server.kill();
      // With no eviction (the default policy), a server past maxmemory refuses every command that may grow it.
      const command = failure === 'no-answer' ? ['CLIENT', 'PAUSE', String(STALL_MS), 'ALL'] : ['CONFIG', 'SET', 'maxmemory', '1'];
      const answer = await server.command(command);
      if (answer !== '+OK\r\n') throw new Error(`${command.join(' ')} answered ${answer}`);
    },
    async corruptEvent(keyPrefix, address, sequence) {
      if (storage === 'generic') return corruptCacheEvent(cache, keyPrefix, address, sequence);
      // Stream entry ids only grow: the stream is written again, with the one entry replaced.
      const client = redisClientOf(cache)!;
      const { events } = new RedisStreamKeys(keyPrefix).stream(address);
      const entries = await client.xRange(events, '-', '+');
      await client.del(events);
      for (const entry of entries) {
        const isTarget = Number(entry.id.split('-')[0]) === sequence;
        await client.xAdd(events, entry.id, isTarget ? { e: CORRUPT } : entry.message);
      }
    },
    async close() {
      await disconnect().catch(() => undefined);
      await server.dispose();
    },
  };
}

/**
 * A cache on `url` through the client, and a forced disconnect: a graceful one would wait for the
 * commands a stall holds (iovalkey's `disconnect()`, which the valkey cache's close calls, is forced).
 */
async function connectCache(client: RedisClientKind, url: string): Promise<{ cache: Cache; disconnect(): Promise<unknown> }> {
  if (client === 'valkey') {
    const test = await createTestCache('valkey', url);
    return { cache: test.cache, disconnect: () => test.close() };
  }
  const keyv = createKeyv(url, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
  const store = keyv.store as KeyvRedis<unknown>;
  const cache = createCache({ stores: [keyv] });
  await store.getClient();
  return { cache, disconnect: () => store.disconnect(true) };
}

async function corruptCacheEvent(cache: Cache, keyPrefix: string, address: SseStreamAddress, sequence: number): Promise<void> {
  await cache.set(cacheLayout(cache, keyPrefix).eventKey(address, sequence), CORRUPT, 60_000);
}

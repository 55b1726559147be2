import KeyvRedis, { createClient, createKeyv, type RedisClientType } from '@keyv/redis';
import KeyvValkey from '@keyv/valkey';
import { Keyv } from 'keyv';
import { type Cache, createCache } from 'cache-manager';
import { randomUUID } from 'node:crypto';

/** The Redis every Redis test talks to; CI starts one on 127.0.0.1:6379. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** How long a Redis test waits for the first connection before it fails. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/** A cache a suite runs on, and how to let go of it. */
export interface TestCache {
  cache: Cache;
  close(): Promise<void>;
}

export type CacheBackend = 'memory' | 'redis' | 'valkey';

/** The Redis clients the native path runs on: node-redis through `@keyv/redis`, iovalkey through `@keyv/valkey`. */
export type RedisClientKind = Exclude<CacheBackend, 'memory'>;

export const REDIS_CLIENT_KINDS: readonly RedisClientKind[] = ['redis', 'valkey'];

/** The client `createTestCache('redis')` uses: node-redis unless a test file runs a Redis suite on iovalkey. */
let defaultRedisClient: RedisClientKind = 'redis';

/** Makes `createTestCache('redis')` use this client for the rest of the test file (which runs in a process of its own). */
export function useRedisClient(kind: RedisClientKind): void {
  defaultRedisClient = kind;
}

/** A node-redis client on the same server as a cache on `@keyv/valkey`, for tests that look at what is stored. */
const inspectionClients = new WeakMap<Cache, RedisClientType>();

/** The node-redis client for looking at what a `@keyv/valkey` cache stores; `undefined` for other caches. */
export function inspectionClientOf(cache: Cache): RedisClientType | undefined {
  return inspectionClients.get(cache);
}

/**
 * A fresh cache-manager 7 cache: in-memory, `@keyv/redis` or `@keyv/valkey` (both talk to the Redis
 * at `url`), as an application would set it up.
 */
export async function createTestCache(backend: CacheBackend, url = REDIS_URL): Promise<TestCache> {
  if (backend === 'memory') {
    const cache = createCache();
    return { cache, close: async () => undefined };
  }
  if (backend === 'valkey' || defaultRedisClient === 'valkey') return createValkeyTestCache(url);
  // Without a connection timeout the client retries forever and a missing Redis hangs the suite.
  const keyv = createKeyv(url, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
  const cache = createCache({ stores: [keyv] });
  // Fails fast when Redis is not there: the Redis suites are required, never skipped.
  await (keyv.store as KeyvRedis<unknown>).getClient();
  return { cache, close: () => cache.disconnect() };
}

async function createValkeyTestCache(url: string): Promise<TestCache> {
  // Without a Keyv namespace or key prefix, as `@keyv/redis`'s createKeyv sets it up: the generic
  // path's keys are then the same on both clients (`@keyv/valkey` prefixes them unless it keeps
  // their names in a set, which is its default).
  const store = new KeyvValkey(url, { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, lazyConnect: true });
  const keyv = new Keyv({ store, namespace: undefined, useKeyPrefix: false });
  const cache = createCache({ stores: [keyv] });
  // Fails fast when Redis is not there: the Redis suites are required, never skipped.
  await (store.redis as { connect(): Promise<void> }).connect();
  const inspection = createClient({ url, socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS } });
  // Its failures reach the test through its commands; an `error` event without a listener would crash the run.
  inspection.on('error', () => undefined);
  await inspection.connect();
  inspectionClients.set(cache, inspection as unknown as RedisClientType);
  return {
    cache,
    close: async () => {
      inspection.destroy();
      await cache.disconnect();
    },
  };
}

/**
 * What every test key prefix starts with in this run: `sse-test-<run>-`, the run named by
 * `SSE_TEST_RUN` (the test runner sets it, and removes the run's keys from `REDIS_URL` at the end).
 */
const TEST_RUN_KEY_PREFIX = `sse-test-${process.env.SSE_TEST_RUN ?? 'adhoc'}-`;

/** A key prefix no other test uses, so suites need no flush between tests. */
export function uniquePrefix(): string {
  return `${TEST_RUN_KEY_PREFIX}${randomUUID()}`;
}

import KeyvRedis, { createKeyv } from '@keyv/redis';
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

export type CacheBackend = 'memory' | 'redis';

/** A fresh cache-manager 7 cache: in-memory, or `@keyv/redis` as an application would set it up. */
export async function createTestCache(backend: CacheBackend, url = REDIS_URL): Promise<TestCache> {
  if (backend === 'memory') {
    const cache = createCache();
    return { cache, close: async () => undefined };
  }
  // Without a connection timeout the client retries forever and a missing Redis hangs the suite.
  const keyv = createKeyv(url, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
  const cache = createCache({ stores: [keyv] });
  // Fails fast when Redis is not there: the Redis suites are required, never skipped.
  await (keyv.store as KeyvRedis<unknown>).getClient();
  return { cache, close: () => cache.disconnect() };
}

/** A key prefix no other test uses, so suites need no flush between tests. */
export function uniquePrefix(): string {
  return `sse-test-${randomUUID()}`;
}

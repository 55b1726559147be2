import { createKeyv } from '@keyv/redis';
import { createClient } from '@redis/client';
import { type Cache, createCache } from 'cache-manager';
import { randomUUID } from 'node:crypto';

/** Logical database used unless REDIS_URL names one. */
const BENCH_DATABASE = '15';

/**
 * The Redis the benchmark runs on: REDIS_URL (default 127.0.0.1:6379), in a logical database of
 * its own (15 unless the URL names one), so its millions of keys stay out of other users' SCANs
 * and its clean-up scans only its own keys.
 */
export const REDIS_URL = ((): string => {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  if (url.pathname === '' || url.pathname === '/') url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
})();

const newRawClient = () => createClient({ url: REDIS_URL });
export type RawRedisClient = ReturnType<typeof newRawClient>;

/** A cache-manager cache on `@keyv/redis`, set up as an application would. */
export function createRedisCache(): Cache {
  return createCache({ stores: [createKeyv(REDIS_URL)] });
}

export async function connectRawClient(): Promise<RawRedisClient> {
  const client = newRawClient();
  client.on('error', () => undefined); // failures surface as rejected commands
  await client.connect();
  return client;
}

/** A key prefix of its own for every measurement, so nothing is shared between runs or with other users of the Redis. */
export function uniquePrefix(label: string): string {
  return `bench-${label}-${randomUUID().slice(0, 8)}`;
}

/** How long a clean-up waits for Redis to finish freeing what it deleted. */
const LAZY_FREE_WAIT_MS = 60_000;

/**
 * Deletes every key that contains `prefix` (whatever namespace a cache put in front of it), and
 * waits until Redis has freed them: `UNLINK` frees large values on a thread of its own, which on
 * a 2-core machine would otherwise slow down whichever measurement comes next.
 */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const client = await connectRawClient();
  let deleted = 0;
  try {
    for await (const keys of client.scanIterator({ MATCH: `*${prefix}*`, COUNT: 5_000 })) {
      if (keys.length > 0) deleted += await client.unlink(keys);
    }
    const deadline = Date.now() + LAZY_FREE_WAIT_MS;
    while (Date.now() < deadline && /lazyfree_pending_objects:([1-9]\d*)/.test(await client.info('memory'))) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.destroy();
  }
  return deleted;
}

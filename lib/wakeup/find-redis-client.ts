import type { Cache } from 'cache-manager';
import type { RedisPubSubClient } from '../redis/redis-pub-sub-client.interface';

/** The node-redis client behind the cache's Keyv Redis store (`@keyv/redis`), if it has one. */
export function findRedisClient(cache: Cache): RedisPubSubClient | undefined {
  for (const keyv of (cache.stores ?? []) as { store?: { client?: Partial<RedisPubSubClient> } }[]) {
    const client = keyv.store?.client;
    if (
      typeof client?.duplicate === 'function' &&
      typeof client.publish === 'function' &&
      typeof client.subscribe === 'function'
    ) {
      return client as RedisPubSubClient;
    }
  }
  return undefined;
}

import type { Cache } from 'cache-manager';
import type { RedisClusterCommandClient, RedisConnection, RedisNodeCommandClient } from './redis-command-client.interface';

/** What `@keyv/redis` 5 (`KeyvRedis`) exposes: its node-redis client, and a method that connects it on demand. */
interface KeyvRedisLike {
  client?: Partial<RedisNodeCommandClient & RedisClusterCommandClient> & { getSentinelNode?: unknown };
  getClient?(): Promise<unknown>;
}

/**
 * The Redis connection behind the cache's `@keyv/redis` store (`cache.stores[i].store`), for a
 * single server or a cluster. Sentinel clients are not used (their command API differs): such a
 * cache stays on the generic path.
 */
export function findRedisConnection(cache: Cache): RedisConnection | undefined {
  for (const keyv of (cache.stores ?? []) as { store?: KeyvRedisLike }[]) {
    const store = keyv?.store;
    const client = store?.client;
    if (!store || !client || typeof client.sendCommand !== 'function' || typeof store.getClient !== 'function') continue;
    if (client.getSentinelNode !== undefined) continue;
    return {
      client: client as RedisNodeCommandClient | RedisClusterCommandClient,
      isCluster: typeof client.getSlotMaster === 'function',
      connect: () => store.getClient!(),
    };
  }
  return undefined;
}

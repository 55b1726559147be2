import type { Cache } from 'cache-manager';
import { isNodeRedisSentinel } from './client-compatibility';
import { IovalkeyConnection } from './iovalkey-connection';
import { type IovalkeyClient, IovalkeyPubSubClient, isIovalkeyClient } from './iovalkey-pub-sub-client';
import { type NodeRedisClient, type NodeRedisCluster, NodeRedisConnection } from './node-redis-connection';
import type { RedisConnection } from './redis-connection';
import type { RedisPubSubClient } from './redis-pub-sub-client.interface';

/** What a Keyv store adapter in `cache.stores[i].store` may hold. */
interface KeyvStoreLike {
  /** `@keyv/redis` 5 (`KeyvRedis`): its node-redis client, and a method that connects it on demand. */
  client?: unknown;
  getClient?(): Promise<unknown>;
  /** `@keyv/valkey` 1 (`KeyvValkey`): its iovalkey client. */
  redis?: unknown;
}

/** A client for the wake-ups, and the application's client object it is (or wraps). */
export interface RedisPubSubSource {
  readonly client: object;
  readonly pubSub: RedisPubSubClient;
}

/**
 * The Redis connection behind the cache: the node-redis client of a `@keyv/redis` store or the
 * iovalkey client of a `@keyv/valkey` store (`cache.stores[i].store`), a single server or a
 * cluster. Sentinel clients are not used (their command API differs): such a cache stays on the
 * generic path.
 */
export function findRedisConnection(cache: Cache): RedisConnection | undefined {
  for (const keyv of (cache.stores ?? []) as { store?: KeyvStoreLike }[]) {
    const store = keyv?.store;
    if (!store) continue;
    if (isIovalkeyClient(store.redis)) return new IovalkeyConnection(store.redis);
    const client = store.client as Partial<NodeRedisClient> | undefined;
    if (!client || typeof client.sendCommand !== 'function' || typeof store.getClient !== 'function') continue;
    if (isNodeRedisSentinel(client)) continue;
    return new NodeRedisConnection(client as NodeRedisClient | NodeRedisCluster, () => store.getClient!());
  }
  return undefined;
}

/**
 * The client for the wake-ups behind the cache: that of {@link findRedisConnection}, or any other
 * node-redis client of a `@keyv/redis` store with the pub/sub API (a sentinel).
 */
export function findRedisPubSub(cache: Cache, connection = findRedisConnection(cache)): RedisPubSubSource | undefined {
  if (connection) return { client: connection.client, pubSub: connection.pubSub };
  for (const keyv of (cache.stores ?? []) as { store?: KeyvStoreLike }[]) {
    const client = keyv?.store?.client as Partial<RedisPubSubClient> | undefined;
    if (typeof client?.duplicate === 'function' && typeof client.publish === 'function' && typeof client.subscribe === 'function') {
      return { client, pubSub: client as RedisPubSubClient };
    }
  }
  return undefined;
}

/** The wake-ups' client for a client the application gave (the `redis` option): node-redis, or iovalkey. */
export function redisPubSubOf(client: RedisPubSubClient | IovalkeyClient): RedisPubSubSource {
  return { client, pubSub: isIovalkeyClient(client) ? new IovalkeyPubSubClient(client) : client };
}

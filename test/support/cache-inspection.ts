import type { RedisClientType } from '@keyv/redis';
import type { Cache } from 'cache-manager';
import type { Keyv } from 'keyv';
import { inspectionClientOf } from './caches';

/** The tests create single-node clients only (no cluster, no sentinel). */
type RedisClient = RedisClientType;

/**
 * The Redis client behind a cache's first store (for a cache on `@keyv/valkey`, a node-redis client
 * on the same server), or `undefined` for a cache that is not on Redis.
 */
export function redisClientOf(cache: Cache): RedisClient | undefined {
  const inspection = inspectionClientOf(cache);
  if (inspection) return inspection;
  const store = (cache.stores[0] as Keyv | undefined)?.store as { client?: RedisClient } | undefined;
  return store && !(store instanceof Map) && store.client ? store.client : undefined;
}

/** A connection that runs commands in order with the store's own commands. */
export interface StoreConnection {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * The very connection the store sends its commands on (Redis runs a connection's commands in
 * order): the node-redis client behind `@keyv/redis`, or iovalkey's behind `@keyv/valkey`.
 */
export function storeConnectionOf(cache: Cache): StoreConnection | undefined {
  const store = (cache.stores[0] as Keyv | undefined)?.store as {
    client?: RedisClient;
    redis?: { call(...args: string[]): Promise<unknown> };
  };
  if (store?.redis) {
    const iovalkey = store.redis;
    return { sendCommand: (args) => iovalkey.call(...args) };
  }
  return store?.client;
}

/**
 * Every live key that starts with `prefix`, as the store under the cache holds it: SCAN on
 * Redis, the entries of the Map on the in-memory store (skipping entries Keyv has let expire).
 */
export async function listKeys(cache: Cache, prefix: string): Promise<string[]> {
  const client = redisClientOf(cache);
  if (client) {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
    return keys.sort();
  }
  const keyv = cache.stores[0] as Keyv;
  const map = keyv.store as Map<string, { expires?: number }>;
  if (!(map instanceof Map)) throw new Error('listKeys knows Redis and the in-memory Map store only');
  const namespacePrefix = keyv.namespace ? `${keyv.namespace}:` : '';
  const now = Date.now();
  return [...map.entries()]
    .filter(([key, entry]) => key.startsWith(namespacePrefix + prefix) && !(typeof entry?.expires === 'number' && entry.expires <= now))
    .map(([key]) => key.slice(namespacePrefix.length))
    .sort();
}

/** Milliseconds until the key expires: Redis PTTL, or what Keyv recorded for the in-memory store; `undefined` when absent. */
export async function remainingTtl(cache: Cache, key: string): Promise<number | undefined> {
  const client = redisClientOf(cache);
  if (client) {
    const ttl = await client.pTTL(key);
    return ttl >= 0 ? ttl : undefined;
  }
  const expires = await cache.ttl(key);
  return expires === undefined ? undefined : expires - Date.now();
}

/** One call that reached the cache, with the keys it touched. */
export interface RecordedCall {
  operation: 'get' | 'mget' | 'set' | 'mset' | 'del' | 'mdel' | 'storeDeleteMany';
  keys: string[];
}

/** Wraps a cache and records each call made through it (including batched deletes sent to `cache.stores`). */
export function recordingCache(inner: Cache): { cache: Cache; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const keysOf = (operation: RecordedCall['operation'], args: unknown[]): string[] => {
    const [first] = args;
    if (operation === 'mset') return (first as { key: string }[]).map((entry) => entry.key);
    if (Array.isArray(first)) return first as string[];
    return [first as string];
  };
  const stores = inner.stores.map(
    (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          if (property !== 'deleteMany') return value.bind(target);
          return (...args: unknown[]) => {
            calls.push({ operation: 'storeDeleteMany', keys: keysOf('storeDeleteMany', args) });
            return value.apply(target, args);
          };
        },
      }),
  );
  const recorded = new Set(['get', 'mget', 'set', 'mset', 'del', 'mdel']);
  const cache = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'stores') return stores;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || !recorded.has(property)) return value;
      return (...args: unknown[]) => {
        const operation = property as RecordedCall['operation'];
        calls.push({ operation, keys: keysOf(operation, args) });
        return value.apply(target, args);
      };
    },
  });
  return { cache, calls };
}

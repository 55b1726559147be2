import type { Cache } from 'cache-manager';

/** Counts the calls that reach the cache: each is one round trip (a Keyv Redis `mset` is one MULTI). */
export interface CacheCallCounts {
  get: number;
  mget: number;
  set: number;
  mset: number;
  del: number;
  mdel: number;
  storeDeleteMany: number;
}

/**
 * Wraps a cache-manager cache and counts every call made through it, including the batched
 * deletes the store sends to `cache.stores` directly.
 */
export function countingCache(inner: Cache): { cache: Cache; counts: CacheCallCounts; reset(): void } {
  const counts: CacheCallCounts = { get: 0, mget: 0, set: 0, mset: 0, del: 0, mdel: 0, storeDeleteMany: 0 };
  const countedStores = inner.stores.map(
    (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property === 'deleteMany' && typeof value === 'function') {
            return (...args: unknown[]) => {
              counts.storeDeleteMany++;
              return value.apply(target, args);
            };
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
  );
  const cache = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'stores') return countedStores;
      const value = Reflect.get(target, property, receiver);
      if (typeof value === 'function' && typeof property === 'string' && property in counts) {
        return (...args: unknown[]) => {
          counts[property as keyof CacheCallCounts]++;
          return value.apply(target, args);
        };
      }
      return value;
    },
  });
  return {
    cache,
    counts,
    reset: () => {
      for (const key of Object.keys(counts) as (keyof CacheCallCounts)[]) counts[key] = 0;
    },
  };
}

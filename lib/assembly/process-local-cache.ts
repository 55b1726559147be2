import type { Cache } from 'cache-manager';

/**
 * True when the cache's stores cannot be reached by another process: Keyv's default `Map`, or an
 * in-memory store. There is no flag for it in Keyv or cache-manager 7, so in-memory stores are
 * recognised by the name of their class (cacheable's `CacheableMemory`, `KeyvCacheableMemory`);
 * an unrecognised store counts as shared, which only makes readers poll.
 */
export function isProcessLocalCache(cache: Cache): boolean {
  const stores = (cache.stores ?? []) as { opts?: { store?: unknown } }[];
  return (
    stores.length > 0 &&
    stores.every((keyv) => {
      const store = keyv.opts?.store;
      return store instanceof Map || /memory/i.test((store as object | undefined)?.constructor?.name ?? '');
    })
  );
}

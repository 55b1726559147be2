import type { Cache } from 'cache-manager';
import { isIovalkeyClient } from '../redis/iovalkey-pub-sub-client';

/** What a `@keyv/valkey` 1 store (`KeyvValkey`) holds, as far as its key set goes. */
interface KeyvValkeyLike {
  redis?: unknown;
  opts?: { useRedisSets?: unknown };
}

/**
 * Whether one of the cache's stores is a `@keyv/valkey` store that lists the name of every key it
 * writes in a set (`useRedisSets`, its default). Only its `delete()` and `clear()` take names out
 * of that set, so on the generic path, where every event is a key written through the store and
 * left to expire, the set grows by one name per event for as long as Valkey runs.
 */
export function keepsValkeyKeySet(cache: Cache): boolean {
  return ((cache.stores ?? []) as { store?: KeyvValkeyLike }[]).some(
    // Recognised as the native path recognises it (find-redis-connection.ts): by its iovalkey client.
    (keyv) => isIovalkeyClient(keyv?.store?.redis) && keyv?.store?.opts?.useRedisSets === true,
  );
}

/** The start-up warning for {@link keepsValkeyKeySet}. */
export const VALKEY_KEY_SET_WARNING =
  `The cache's @keyv/valkey store lists the name of every key it writes in a set that only its delete() and clear() shrink ` +
  `(option useRedisSets, on by default): on the generic path (option storage: 'generic') that set grows by one name per event, ` +
  `without end. Create the store with { useRedisSets: false }, or leave option storage at 'auto' for native commands, which ` +
  `write nothing through the store.`;

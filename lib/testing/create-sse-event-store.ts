import { type Cache, createCache } from 'cache-manager';
import { assembleSseEventStore } from '../assembly/assemble-sse-event-store';
import type { SseEventStoreModuleOptions } from '../interfaces/sse-event-store-options.interface';
import type { SseEventStore } from '../sse-event-store';
import { resolveSseEventStoreOptions } from '../sse-event-store-options';

/** A store built without Nest's container, and the cache it runs on. */
export interface StandaloneSseEventStore {
  store: SseEventStore;
  cache: Cache;
  /**
   * Ends the store's readers, closes its pub/sub connection and removes its listeners from the
   * cache and its Redis client, as application shutdown would.
   */
  close(): Promise<void>;
}

/**
 * Builds a real store outside a Nest module: on `options.cache`, or on a fresh in-memory cache.
 * For unit tests and scripts; applications use `SseEventStoreModule`.
 */
export function createSseEventStore(options: SseEventStoreModuleOptions = {}): StandaloneSseEventStore {
  const resolved = resolveSseEventStoreOptions(options);
  const cache = options.cache ?? createCache();
  const { store, close } = assembleSseEventStore(cache, options, resolved);
  return { store, cache, close };
}

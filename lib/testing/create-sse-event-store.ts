import type { OnModuleDestroy } from '@nestjs/common';
import { type Cache, createCache } from 'cache-manager';
import { DefaultSseEventStore } from '../default-sse-event-store';
import type { SseEventStoreModuleOptions } from '../interfaces/sse-event-store-options.interface';
import type { SseEventStore } from '../sse-event-store';
import { resolveSseEventStoreOptions } from '../sse-event-store-options';
import { createStreamStorage } from '../storage/create-stream-storage';
import { createStreamWakeup } from '../wakeup/create-stream-wakeup';

/** A store built without Nest's container, and the cache it runs on. */
export interface StandaloneSseEventStore {
  store: SseEventStore;
  cache: Cache;
  /** Ends the store's readers and closes its pub/sub connection, as application shutdown would. */
  close(): Promise<void>;
}

/**
 * Builds a real store outside a Nest module: on `options.cache`, or on a fresh in-memory cache.
 * For unit tests and scripts; applications use `SseEventStoreModule`.
 */
export function createSseEventStore(options: SseEventStoreModuleOptions = {}): StandaloneSseEventStore {
  const resolved = resolveSseEventStoreOptions(options);
  const cache = options.cache ?? createCache();
  const wakeup = createStreamWakeup(cache, options.redis, resolved);
  const store = new DefaultSseEventStore(createStreamStorage(cache, resolved, wakeup), wakeup, resolved);
  return {
    store,
    cache,
    close: async () => {
      store.onModuleDestroy();
      await (wakeup as Partial<OnModuleDestroy>).onModuleDestroy?.();
    },
  };
}

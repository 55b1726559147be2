import { Logger, type Provider } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { type Cache, createCache } from 'cache-manager';
import { DefaultSseEventStore } from './default-sse-event-store';
import { ResumableSseResponder } from './http/resumable-sse-responder';
import { SseStreamPublisher } from './publisher/sse-stream-publisher';
import type {
  ResolvedSseEventStoreOptions,
  SseEventStoreModuleOptions,
} from './interfaces/sse-event-store-options.interface';
import { SseEventStore } from './sse-event-store';
import {
  SSE_EVENT_STORE_CACHE,
  SSE_EVENT_STORE_RESOLVED_OPTIONS,
  SSE_EVENT_STREAM_STORAGE,
  SSE_STREAM_WAKEUP,
} from './sse-event-store.constants';
import { SSE_EVENT_STORE_MODULE_OPTIONS } from './sse-event-store.module-definition';
import { resolveSseEventStoreOptions } from './sse-event-store-options';
import { createStreamStorage } from './storage/create-stream-storage';
import type { StreamStorage } from './storage/stream-storage.interface';
import { createStreamWakeup } from './wakeup/create-stream-wakeup';
import type { StreamWakeup } from './wakeup/stream-wakeup.interface';

/** The options with their defaults; invalid options fail the application's start. */
export const resolvedOptionsProvider: Provider = {
  provide: SSE_EVENT_STORE_RESOLVED_OPTIONS,
  useFactory: resolveSseEventStoreOptions,
  inject: [SSE_EVENT_STORE_MODULE_OPTIONS],
};

/** The `cache` option, else the application's CACHE_MANAGER, else an in-memory cache of our own. */
export const cacheProvider: Provider = {
  provide: SSE_EVENT_STORE_CACHE,
  useFactory: (options: SseEventStoreModuleOptions, applicationCache?: Cache): Cache => {
    const cache = options.cache ?? applicationCache;
    if (cache) return cache;
    new Logger('SseEventStore').log(
      'No CACHE_MANAGER is registered: events are kept in an in-memory cache of this process. Register CacheModule (for example with @keyv/redis) to share streams between instances.',
    );
    return createCache();
  },
  inject: [SSE_EVENT_STORE_MODULE_OPTIONS, { token: CACHE_MANAGER, optional: true }],
};

/** Native Redis storage when the cache is on `@keyv/redis` (see the `storage` option), the generic path otherwise. */
export const storageProvider: Provider = {
  provide: SSE_EVENT_STREAM_STORAGE,
  useFactory: (cache: Cache, options: ResolvedSseEventStoreOptions, wakeup: StreamWakeup) => createStreamStorage(cache, options, wakeup),
  inject: [SSE_EVENT_STORE_CACHE, SSE_EVENT_STORE_RESOLVED_OPTIONS, SSE_STREAM_WAKEUP],
};

export const wakeupProvider: Provider = {
  provide: SSE_STREAM_WAKEUP,
  useFactory: (cache: Cache, moduleOptions: SseEventStoreModuleOptions, options: ResolvedSseEventStoreOptions) =>
    createStreamWakeup(cache, moduleOptions.redis, options),
  inject: [SSE_EVENT_STORE_CACHE, SSE_EVENT_STORE_MODULE_OPTIONS, SSE_EVENT_STORE_RESOLVED_OPTIONS],
};

export const storeProvider: Provider = {
  provide: SseEventStore,
  useFactory: (storage: StreamStorage, wakeup: StreamWakeup, options: ResolvedSseEventStoreOptions) =>
    new DefaultSseEventStore(storage, wakeup, options),
  inject: [SSE_EVENT_STREAM_STORAGE, SSE_STREAM_WAKEUP, SSE_EVENT_STORE_RESOLVED_OPTIONS],
};

export const sseEventStoreProviders: Provider[] = [
  resolvedOptionsProvider,
  cacheProvider,
  storageProvider,
  wakeupProvider,
  storeProvider,
  SseStreamPublisher,
  ResumableSseResponder,
];

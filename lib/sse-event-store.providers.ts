import { Logger, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { type Cache, createCache } from 'cache-manager';
import { type AssembledSseEventStore, assembleSseEventStore } from './assembly/assemble-sse-event-store';
import { ResumableSseResponder } from './http/resumable-sse-responder';
import { SseStreamPublisher } from './publisher/sse-stream-publisher';
import type { ResolvedSseEventStoreOptions, SseEventStoreModuleOptions } from './interfaces/sse-event-store-options.interface';
import { SseEventStore } from './sse-event-store';
import { SSE_EVENT_STORE_ASSEMBLY, SSE_EVENT_STORE_CACHE, SSE_EVENT_STORE_RESOLVED_OPTIONS } from './sse-event-store.constants';
import { SSE_EVENT_STORE_MODULE_OPTIONS } from './sse-event-store.module-definition';
import { resolveSseEventStoreOptions } from './sse-event-store-options';

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

/** The store with its storage and wake-ups (see {@link assembleSseEventStore}); closed when the module is destroyed. */
export const assemblyProvider: Provider = {
  provide: SSE_EVENT_STORE_ASSEMBLY,
  useFactory: (cache: Cache, moduleOptions: SseEventStoreModuleOptions, options: ResolvedSseEventStoreOptions) => {
    const assembled = assembleSseEventStore(cache, moduleOptions, options);
    return { ...assembled, onModuleDestroy: () => assembled.close() } satisfies AssembledSseEventStore & OnModuleDestroy;
  },
  inject: [SSE_EVENT_STORE_CACHE, SSE_EVENT_STORE_MODULE_OPTIONS, SSE_EVENT_STORE_RESOLVED_OPTIONS],
};

export const storeProvider: Provider = {
  provide: SseEventStore,
  useFactory: (assembled: AssembledSseEventStore) => assembled.store,
  inject: [SSE_EVENT_STORE_ASSEMBLY],
};

export const sseEventStoreProviders: Provider[] = [
  resolvedOptionsProvider,
  cacheProvider,
  assemblyProvider,
  storeProvider,
  SseStreamPublisher,
  ResumableSseResponder,
];

import { Logger, type OnApplicationBootstrap, type OnModuleDestroy, type Provider } from '@nestjs/common';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { ModulesContainer } from '@nestjs/core';
import { type Cache, createCache } from 'cache-manager';
import { type AssembledSseEventStore, assembleSseEventStore } from './assembly/assemble-sse-event-store';
import { describeTopology } from './assembly/store-topology';
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

/** The cache the store runs on, and where it came from, as the start-up line says it. */
interface ChosenCache {
  readonly cache: Cache;
  readonly origin: string;
}

/**
 * The `cache` option, else the application's CACHE_MANAGER, else an in-memory cache of our own;
 * a CacheModule the application registered where this module cannot see it is warned about.
 */
export const cacheProvider: Provider = {
  provide: SSE_EVENT_STORE_CACHE,
  useFactory: (options: SseEventStoreModuleOptions, applicationCache: Cache | undefined, modules: ModulesContainer): ChosenCache => {
    if (options.cache) return { cache: options.cache, origin: 'the cache given as option cache' };
    if (applicationCache) return { cache: applicationCache, origin: `the application's CACHE_MANAGER` };
    const hiddenIn = modulesHidingCacheManager(modules);
    if (hiddenIn.length > 0) {
      new Logger('SseEventStore').warn(
        `A CacheModule is registered in ${hiddenIn.join(', ')} but is not visible to SseEventStoreModule, so the store falls back to ` +
          'an in-memory cache of this process (streams are not shared between instances). Register it with isGlobal: true, or pass ' +
          'its CACHE_MANAGER as option cache: SseEventStoreModule.forRootAsync({ imports: [<the module that exports it>], ' +
          'inject: [CACHE_MANAGER], useFactory: (cache) => ({ cache }) }).',
      );
      return {
        cache: createCache(),
        origin: `an in-memory cache of this process (the CacheModule in ${hiddenIn.join(', ')} is not visible)`,
      };
    }
    return {
      cache: createCache(),
      origin:
        'an in-memory cache of this process (no CACHE_MANAGER is registered; register CacheModule, for example with @keyv/redis, ' +
        'to share streams between instances)',
    };
  },
  inject: [SSE_EVENT_STORE_MODULE_OPTIONS, { token: CACHE_MANAGER, optional: true }, ModulesContainer],
};

/**
 * The modules that register a CACHE_MANAGER (CacheModule, or a provider of the token): named by
 * the modules that import them, as the application wrote it. Called only when this module got
 * none, so any found is one it cannot see.
 */
function modulesHidingCacheManager(modules: ModulesContainer): string[] {
  const all = [...modules.values()];
  const names = all
    .filter((module) => module.providers.has(CACHE_MANAGER))
    .flatMap((provider) => {
      const importers = all.filter((module) => module.imports.has(provider)).map((module) => module.metatype.name);
      return importers.length > 0 ? importers : [provider.metatype.name];
    });
  return [...new Set(names)];
}

/**
 * The store with its storage and wake-ups (see {@link assembleSseEventStore}), announced in one
 * line; once the application is up, one probe of the backend (not awaited: a backend that does not
 * answer is warned about by the storage's outage log, and the application starts anyway); closed
 * when the module is destroyed, once that probe is over.
 */
export const assemblyProvider: Provider = {
  provide: SSE_EVENT_STORE_ASSEMBLY,
  useFactory: (chosen: ChosenCache, moduleOptions: SseEventStoreModuleOptions, options: ResolvedSseEventStoreOptions) => {
    const assembled = assembleSseEventStore(chosen.cache, moduleOptions, options);
    new Logger('SseEventStore').log(describeTopology(chosen.origin, assembled.topology));
    let probing: Promise<unknown> = Promise.resolve();
    return {
      ...assembled,
      onApplicationBootstrap: () => {
        probing = assembled.storage.probe().catch(() => undefined);
      },
      // The probe may still be connecting the application's client (bounded by operationTimeout):
      // shutdown waits for it, so no connection is made after the application closed its client.
      onModuleDestroy: async () => {
        await probing;
        await assembled.close();
      },
    } satisfies AssembledSseEventStore & OnApplicationBootstrap & OnModuleDestroy;
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

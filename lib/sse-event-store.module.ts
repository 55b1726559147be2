import { type DynamicModule, Module } from '@nestjs/common';
import { ResumableSseResponder } from './http/resumable-sse-responder';
import { SseStreamPublisher } from './publisher/sse-stream-publisher';
import { SseEventStore } from './sse-event-store';
import type { SseEventStoreModuleAsyncOptions } from './interfaces/sse-event-store-module-async-options.interface';
import type { SseEventStoreModuleOptions } from './interfaces/sse-event-store-options.interface';
import { ConfigurableSseEventStoreModule } from './sse-event-store.module-definition';
import { SSE_EVENT_STORE_ASSEMBLY } from './sse-event-store.constants';
import { sseEventStoreProviders } from './sse-event-store.providers';

/**
 * Provides {@link SseEventStore}, {@link SseStreamPublisher}, and what `@ResumableSse()` routes need.
 *
 * ```ts
 * @Module({ imports: [CacheModule.register({ isGlobal: true }), SseEventStoreModule.forRoot()] })
 * ```
 *
 * `forRoot(options)` / `forRootAsync({ imports, inject, useFactory | useClass | useExisting })`
 * (see {@link SseEventStoreModuleAsyncOptions} and {@link SseEventStoreOptionsFactory}), both with
 * `isGlobal`. The store runs on the application's `CACHE_MANAGER` (or the `cache` option); without
 * one it falls back to an in-memory cache of its own.
 */
@Module({
  providers: sseEventStoreProviders,
  // The assembly's token is not public: nestjs-sse-event-store/terminus injects it.
  exports: [SseEventStore, SseStreamPublisher, ResumableSseResponder, SSE_EVENT_STORE_ASSEMBLY],
})
export class SseEventStoreModule extends ConfigurableSseEventStoreModule {
  /**
   * Registers the store; every option has a default, so `forRoot()` is enough. `isGlobal: true`
   * lets every module inject `SseEventStore` without importing this one.
   */
  static forRoot(options: SseEventStoreModuleOptions & { isGlobal?: boolean } = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Registers the store with options that other providers supply, for example from the application's configuration. */
  static forRootAsync(options: SseEventStoreModuleAsyncOptions): DynamicModule {
    return super.forRootAsync(options);
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import { ResumableSseResponder } from './http/resumable-sse-responder';
import { SseStreamPublisher } from './publisher/sse-stream-publisher';
import { SseEventStore } from './sse-event-store';
import { ConfigurableSseEventStoreModule, SSE_EVENT_STORE_OPTIONS_TYPE } from './sse-event-store.module-definition';
import { sseEventStoreProviders } from './sse-event-store.providers';

/**
 * Provides {@link SseEventStore}, {@link SseStreamPublisher}, and what `@ResumableSse()` routes need.
 *
 * ```ts
 * @Module({ imports: [CacheModule.register({ isGlobal: true }), SseEventStoreModule.forRoot()] })
 * ```
 *
 * `forRoot(options)` / `forRootAsync({ imports, inject, useFactory | useClass | useExisting })`,
 * both with `isGlobal`. The store runs on the application's `CACHE_MANAGER` (or the `cache`
 * option); without one it falls back to an in-memory cache of its own.
 */
@Module({
  providers: sseEventStoreProviders,
  exports: [SseEventStore, SseStreamPublisher, ResumableSseResponder],
})
export class SseEventStoreModule extends ConfigurableSseEventStoreModule {
  /** Registers the store; every option has a default, so `forRoot()` is enough. */
  static forRoot(options: typeof SSE_EVENT_STORE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}

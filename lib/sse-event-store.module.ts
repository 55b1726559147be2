import { Module } from '@nestjs/common';
import { SseEventStore } from './sse-event-store';
import { ConfigurableSseEventStoreModule } from './sse-event-store.module-definition';
import { sseEventStoreProviders } from './sse-event-store.providers';

/**
 * Provides {@link SseEventStore}.
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
  exports: [SseEventStore],
})
export class SseEventStoreModule extends ConfigurableSseEventStoreModule {}

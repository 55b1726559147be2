import { type DynamicModule, Module, type OnModuleDestroy } from '@nestjs/common';
import { createCache } from 'cache-manager';
import { type AssembledSseEventStore, assembleSseEventStore } from '../assembly/assemble-sse-event-store';
import { ResumableSseResponder } from '../http/resumable-sse-responder';
import { SseStreamPublisher } from '../publisher/sse-stream-publisher';
import { SseEventStore } from '../sse-event-store';
import { SSE_EVENT_STORE_ASSEMBLY, SSE_EVENT_STORE_RESOLVED_OPTIONS } from '../sse-event-store.constants';
import { resolveSseEventStoreOptions } from '../sse-event-store-options';
import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import { RecordingSseEventStore } from './recording-sse-event-store';
import type { SseEventStoreTestingModuleOptions } from './sse-event-store-testing-module-options.interface';

/**
 * Stands in for `SseEventStoreModule` in tests: a real store on a fresh in-memory cache,
 * wrapped in a {@link RecordingSseEventStore}, with `SseStreamPublisher` and what
 * `@ResumableSse()` routes need on top of it. Both `SseEventStore` and `RecordingSseEventStore`
 * resolve to that one instance, so the code under test injects the store as usual and the test
 * reads back what was written.
 *
 * ```ts
 * const moduleRef = await Test.createTestingModule({
 *   imports: [SseEventStoreTestingModule.forRoot({ isGlobal: true })],
 *   providers: [NotificationsService],
 * }).compile();
 * const store = moduleRef.get(RecordingSseEventStore);
 * ```
 *
 * Invalid options fail `compile()` with `SseEventStoreConfigurationError`, as in production.
 * Closing the testing module (or application) ends the store's open readers. The real store's
 * parts are provided as `SseEventStoreModule` provides them, so `SseEventStoreHealthIndicator`
 * (from `nestjs-sse-event-store/terminus`) works on it too.
 */
@Module({})
export class SseEventStoreTestingModule {
  /** A module providing `SseEventStore` and `RecordingSseEventStore` (one recording store on a real in-memory one). */
  static forRoot(options: SseEventStoreTestingModuleOptions = {}): DynamicModule {
    const { isGlobal = false, ...storeOptions } = options;
    return {
      module: SseEventStoreTestingModule,
      global: isGlobal,
      providers: [
        {
          // The real store, built as the module builds it; released when the testing module closes.
          provide: SSE_EVENT_STORE_ASSEMBLY,
          useFactory: (resolved: ResolvedSseEventStoreOptions): AssembledSseEventStore & OnModuleDestroy => {
            const assembled = assembleSseEventStore(storeOptions.cache ?? createCache(), storeOptions, resolved);
            return Object.assign(assembled, { onModuleDestroy: () => assembled.close() });
          },
          inject: [SSE_EVENT_STORE_RESOLVED_OPTIONS],
        },
        {
          provide: RecordingSseEventStore,
          useFactory: (inner: AssembledSseEventStore) => new RecordingSseEventStore(inner.store),
          inject: [SSE_EVENT_STORE_ASSEMBLY],
        },
        { provide: SseEventStore, useExisting: RecordingSseEventStore },
        { provide: SSE_EVENT_STORE_RESOLVED_OPTIONS, useFactory: () => resolveSseEventStoreOptions(storeOptions) },
        SseStreamPublisher,
        ResumableSseResponder,
      ],
      exports: [SseEventStore, RecordingSseEventStore, SseStreamPublisher, ResumableSseResponder, SSE_EVENT_STORE_ASSEMBLY],
    };
  }
}

/**
 * Resumable, distributed Server-Sent Events for NestJS: the module, the store, the publisher,
 * the `@ResumableSse()` route decorator and the typed errors.
 * @module nestjs-sse-event-store
 */
export { SseEventStoreModule } from './sse-event-store.module';
export { SseEventStore } from './sse-event-store';
export { SseEventStreamMode } from './interfaces/sse-event-stream-mode.enum';
export type {
  SseEventInput,
  SseStoredEvent,
  SseStreamAddress,
  SseCreateStreamOptions,
  SseGetStreamReaderOptions,
  SseEventStreamWriter,
  SseEventStreamReader,
  SseFlowControl,
  SseReadOptions,
} from './interfaces/sse-event.interface';
export type { SseEventStorage, SseEventStoreModuleOptions } from './interfaces/sse-event-store-options.interface';
export type { SseMeterProvider } from './metrics/meter-provider.interface';
export type {
  SseEventStoreModuleAsyncOptions,
  SseEventStoreOptionsFactory,
} from './interfaces/sse-event-store-module-async-options.interface';
export type { RedisPubSubClient } from './redis/redis-pub-sub-client.interface';
export type { IovalkeyClient } from './redis/iovalkey-pub-sub-client';
export * from './errors';
export { SseStreamPublisher } from './publisher/sse-stream-publisher';
export * from './http';

export { SseEventStoreModule } from './sse-event-store.module';
export { SSE_EVENT_STORE_MODULE_OPTIONS } from './sse-event-store.module-definition';
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
export type { RedisPubSubClient } from './redis/redis-pub-sub-client.interface';
export type { IovalkeyClient } from './redis/iovalkey-pub-sub-client';
export { DEFAULT_SSE_EVENT_STORE_OPTIONS } from './sse-event-store.constants';
export * from './errors';
export { SseStreamPublisher } from './publisher/sse-stream-publisher';
export * from './http';

export * from './create-sse-event-store';
export { RecordingSseEventStore } from './recording-sse-event-store';
export type { RecordedSseActivity, RecordedSseEvent, RecordedSseStream } from './recorded-sse-activity.interface';
export { SseEventStoreTestingModule } from './sse-event-store-testing.module';
export type { SseEventStoreTestingModuleOptions } from './sse-event-store-testing-module-options.interface';

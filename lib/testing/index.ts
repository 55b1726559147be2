/**
 * For an application's test suites: a real store on an in-memory cache, a recording store and a
 * testing module in place of `SseEventStoreModule`.
 * @module nestjs-sse-event-store/testing
 */
export * from './create-sse-event-store';
export { RecordingSseEventStore } from './recording-sse-event-store';
export type { RecordedSseActivity, RecordedSseEvent, RecordedSseStream } from './recorded-sse-activity.interface';
export { SseEventStoreTestingModule } from './sse-event-store-testing.module';
export type { SseEventStoreTestingModuleOptions } from './sse-event-store-testing-module-options.interface';

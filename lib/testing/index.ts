export * from './create-sse-event-store';

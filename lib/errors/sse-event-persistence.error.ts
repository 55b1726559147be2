import { SseEventStoreError } from './sse-event-store.error';

/**
 * The cache did not acknowledge a write (event, mode change or completion). The write may or
 * may not have been stored; the writer re-reads the stream's state before its next write, so
 * sequences stay gap-free. Retrying may store the event twice, under two ids.
 */
export class SseEventPersistenceError extends SseEventStoreError {
  readonly code = 'SSE_EVENT_NOT_PERSISTED';
}

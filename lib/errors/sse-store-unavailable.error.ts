import { SseEventStoreError } from './sse-event-store.error';

/** A cache read or delete failed, so the store cannot tell what is stored. Worth retrying later. */
export class SseStoreUnavailableError extends SseEventStoreError {
  readonly code = 'SSE_STORE_UNAVAILABLE';
}

import { SseEventStoreError } from './sse-event-store.error';

/** An argument the store cannot accept: an id that is not a string or too long, an event that is too large or not JSON-serialisable. */
export class SseInvalidInputError extends SseEventStoreError {
  readonly code = 'SSE_INVALID_INPUT';
}

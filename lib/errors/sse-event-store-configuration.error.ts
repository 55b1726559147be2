import { SseEventStoreError } from './sse-event-store.error';

/** Raised at start-up for module options the store cannot work with. */
export class SseEventStoreConfigurationError extends SseEventStoreError {
  readonly code = 'SSE_EVENT_STORE_CONFIGURATION';
}

import { SseEventStoreError } from './sse-event-store.error';

/** The session was deleted: its streams can be neither written nor read any more. */
export class SseSessionDeletedError extends SseEventStoreError {
  readonly code = 'SSE_SESSION_DELETED';

  constructor(readonly sessionId: string) {
    super('The session was deleted; its streams can no longer be written or read.');
  }
}

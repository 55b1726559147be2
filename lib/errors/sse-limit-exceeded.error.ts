import { SseEventStoreError } from './sse-event-store.error';
import { printableId } from '../logging/printable-id';

/**
 * An operation would take the store past one of its configured limits on what it holds
 * (today: `maxStreamsPerSession`). Unlike `SseInvalidInputError`, the same call can succeed
 * later, once room is made (for example after the session's streams were deleted).
 */
export class SseLimitExceededError extends SseEventStoreError {
  readonly code = 'SSE_LIMIT_EXCEEDED';

  constructor(
    /** The option that sets the limit. */
    readonly limit: 'maxStreamsPerSession',
    /** Its configured value. */
    readonly max: number,
    /** The session the limit applies to. */
    readonly sessionId: string,
    message: string,
  ) {
    super(message);
  }

  /** `createStream` for a new stream in a session that already holds `max` streams (every storage raises this one). */
  static streamsPerSession(sessionId: string, streamId: string, max: number): SseLimitExceededError {
    return new SseLimitExceededError(
      'maxStreamsPerSession',
      max,
      sessionId,
      `Stream ${printableId(streamId)} was not created: its session already holds ${max} streams (option maxStreamsPerSession). Delete the session's streams, or raise the limit.`,
    );
  }
}

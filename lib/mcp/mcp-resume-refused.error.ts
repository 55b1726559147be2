import { SseEventStoreError } from '../errors/sse-event-store.error';

/**
 * `replayEventsAfter` was given an event id that this MCP session cannot resume: not an id of
 * this session (another session's, or not one of the store's), an unknown stream, a deleted
 * session, or a position whose events expired. Nothing was replayed.
 *
 * The SDK asks `getStreamIdForEventId` first and answers such ids with HTTP 400 before replaying,
 * so this error only surfaces when the SDK skips that call; it then answers HTTP 500.
 */
export class McpResumeRefusedError extends SseEventStoreError {
  readonly code = 'MCP_RESUME_REFUSED';

  constructor(
    /** The MCP session that refused the id. */
    readonly sessionId: string,
    message = 'The Last-Event-ID cannot be resumed in this MCP session.',
  ) {
    super(message);
  }
}

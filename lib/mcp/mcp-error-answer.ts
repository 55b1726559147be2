import { SseEventPersistenceError } from '../errors/sse-event-persistence.error';
import { SseEventStoreError } from '../errors/sse-event-store.error';
import { SseHistoryExpiredError } from '../errors/sse-history-expired.error';
import { SseLimitExceededError } from '../errors/sse-limit-exceeded.error';
import { SseSessionDeletedError } from '../errors/sse-session-deleted.error';
import { SseStoreUnavailableError } from '../errors/sse-store-unavailable.error';
import { McpResumeRefusedError } from './mcp-resume-refused.error';

/** JSON-RPC 2.0 "Internal error". */
const INTERNAL_ERROR = -32603;
/** The implementation-defined server error the SDK's transport answers refused requests with. */
const SERVER_ERROR = -32000;
/** What the SDK's transport answers an unknown or ended session with (the client then starts a new one). */
const SESSION_NOT_FOUND = -32001;
/** `Retry-After` of a 503, in seconds: the same as `SseEventStoreExceptionFilter`'s. */
const RETRY_AFTER_SECONDS = 5;

/** How to answer an MCP request that failed on a store error (see {@link mcpErrorAnswerOf}). */
export interface McpErrorAnswer {
  /** HTTP status. */
  status: number;
  /** `Retry-After` header, in seconds, when retrying later is what the client should do. */
  retryAfterSeconds?: number;
  /** The JSON-RPC error: `{ jsonrpc: '2.0', error, id: null }` is the body. `data.code` is the store error's stable code. */
  error: { code: number; message: string; data: { code: string } };
}

/**
 * The answer that says what happened when a store error ended an MCP request before its answer
 * started: the SDK's Streamable HTTP transport itself answers any error of a POST (for example
 * storing the priming event of the request's stream) with HTTP 400 and JSON-RPC -32700
 * "Parse error", and any error of a resume with HTTP 500. `undefined` for an error that is not
 * the store's.
 *
 * | error | HTTP | JSON-RPC |
 * | --- | --- | --- |
 * | `SseStoreUnavailableError`, `SseEventPersistenceError` | 503, `Retry-After: 5` | -32603 "event store unavailable" |
 * | `SseLimitExceededError` | 429 | -32000 "too many streams" |
 * | `SseSessionDeletedError` | 404 | -32001 "Session not found" (the client starts a new session) |
 * | `McpResumeRefusedError`, `SseHistoryExpiredError` | 400 | -32000 (as the SDK's answer to an unknown `Last-Event-ID`) |
 * | any other store error | 500 | -32603 |
 *
 * The message never holds ids or other details of the store; `error.data.code` is the store
 * error's stable `code` (`SSE_STORE_UNAVAILABLE`, ...).
 */
export function mcpErrorAnswerOf(error: unknown): McpErrorAnswer | undefined {
  if (!(error instanceof SseEventStoreError)) return undefined;
  const answer = (status: number, code: number, message: string): McpErrorAnswer => ({
    status,
    error: { code, message, data: { code: error.code } },
  });
  if (error instanceof SseStoreUnavailableError || error instanceof SseEventPersistenceError) {
    return {
      ...answer(503, INTERNAL_ERROR, 'Internal error: the event store is unavailable, retry later.'),
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  }
  if (error instanceof SseLimitExceededError) {
    return answer(
      429,
      SERVER_ERROR,
      `Too many streams: this session holds as many as the event store allows (${error.max}, option ${error.limit}); retry once some of its requests have completed.`,
    );
  }
  if (error instanceof SseSessionDeletedError) return answer(404, SESSION_NOT_FOUND, 'Session not found');
  if (error instanceof McpResumeRefusedError || error instanceof SseHistoryExpiredError) {
    return answer(400, SERVER_ERROR, 'Bad Request: the Last-Event-ID cannot be resumed in this session.');
  }
  return answer(500, INTERNAL_ERROR, 'Internal error: the event store refused the message.');
}

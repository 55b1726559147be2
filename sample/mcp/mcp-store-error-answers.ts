import { AsyncLocalStorage } from 'node:async_hooks';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { SseEventStoreError } from '../../lib';
import { type McpErrorAnswer, mcpErrorAnswerOf } from '../../lib/mcp';

/*
 * Why this exists: the SDK's Streamable HTTP transport (1.x) answers every error it catches while
 * handling a POST with HTTP 400 and JSON-RPC -32700 "Parse error" (the error's text in `data`),
 * and every error of a resume (`GET` with `Last-Event-ID`) with HTTP 500 -32000. When the event
 * store fails (for example while storing the priming event that opens the request's stream) the
 * client would be told that its JSON could not be parsed. The transport has no hook for its error
 * answers, but it reports the error through its `onerror` just before it answers. So, per request:
 *
 * 1. the controller runs the transport's handling in a scope of its own ({@link answeringStoreErrors}),
 * 2. the transport's `onerror` notes a store error in the scope of the request it belongs to
 *    ({@link noteStoreError}; AsyncLocalStorage follows the SDK's awaits),
 * 3. when the transport then writes an error status (400 or more) for that request, the answer is
 *    replaced by the one that says what happened ({@link mcpErrorAnswerOf}: 503 and -32603 while the
 *    store is unavailable, 429 for the stream limit, 404 -32001 for an ended session, ...).
 *
 * Only error answers written after a store error of the same request are replaced: the transport's
 * own refusals (406, 415, a real parse error, ...) and every successful answer go out unchanged.
 */

interface RequestScope {
  /** The first store error the transport reported while handling the request. */
  storeError?: SseEventStoreError;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/**
 * For the transport's `onerror`: remembers a store error for the request being handled, if any,
 * and returns the answer it gets (for logging); `undefined` for any other error.
 */
export function noteStoreError(error: unknown): McpErrorAnswer | undefined {
  if (!(error instanceof SseEventStoreError)) return undefined;
  const scope = scopes.getStore();
  if (scope) scope.storeError ??= error;
  return mcpErrorAnswerOf(error);
}

/**
 * Runs `handle` (the transport's `handleRequest` for `response`) so that an error answer caused by
 * a store error says what happened instead of "Parse error" (see the comment at the top).
 */
export async function answeringStoreErrors(response: ServerResponse, handle: () => Promise<void>): Promise<void> {
  const scope: RequestScope = {};
  const writeHead = response.writeHead;
  // Replaced for the first call only: the status line is written once.
  response.writeHead = function (this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    response.writeHead = writeHead;
    const answer = statusCode >= 400 && scope.storeError ? mcpErrorAnswerOf(scope.storeError) : undefined;
    if (!answer) return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
    return writeAnswer(this, writeHead, answer);
  } as ServerResponse['writeHead'];
  try {
    await scopes.run(scope, handle);
  } finally {
    if (!response.headersSent) response.writeHead = writeHead;
  }
}

/** Writes the answer in place of the transport's: its status and body; the transport's body is dropped. */
function writeAnswer(response: ServerResponse, writeHead: ServerResponse['writeHead'], answer: McpErrorAnswer): ServerResponse {
  const body = JSON.stringify({ jsonrpc: '2.0', error: answer.error, id: null });
  const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
  if (answer.retryAfterSeconds !== undefined) headers['Retry-After'] = String(answer.retryAfterSeconds);
  writeHead.call(response, answer.status, headers);
  const end = response.end as (this: ServerResponse, chunk: string, callback?: () => void) => ServerResponse;
  response.write = (() => true) as ServerResponse['write'];
  response.end = function (this: ServerResponse, ...args: unknown[]) {
    const callback = args.find((arg): arg is () => void => typeof arg === 'function');
    return end.call(this, body, callback);
  } as ServerResponse['end'];
  return response;
}

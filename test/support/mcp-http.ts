import { createParser } from 'eventsource-parser';

/** MCP calls over plain fetch, for tests that need to see the wire: status, SSE ids, priming events, `retry`. */

/** The newest protocol revision, the first with priming events. */
export const PROTOCOL_2025_11_25 = '2025-11-25';
/** The first Streamable HTTP revision: resumable, but without priming events. */
export const PROTOCOL_2025_03_26 = '2025-03-26';

/** One SSE event as received. */
export interface WireEvent {
  id?: string;
  event?: string;
  data: string;
  retry?: number;
}

/** A whole answer: status, session header, and the events of an event stream (or the body of anything else). */
export interface WireAnswer {
  status: number;
  contentType: string | null;
  sessionId: string | null;
  events: WireEvent[];
  /** The body of an answer that is not an event stream. */
  body: string;
}

export interface WireRequest {
  method?: 'POST' | 'GET' | 'DELETE';
  sessionId?: string;
  protocolVersion?: string;
  lastEventId?: string;
  /** A JSON-RPC message (POST). */
  message?: unknown;
  /** Stop reading (and disconnect) once the events received satisfy this, checked before the first event too; otherwise read until the server ends. */
  until?: (events: WireEvent[]) => boolean;
  /** Gives up (rejects) when the answer is not over after this long. */
  timeoutMs?: number;
}

/** Sends one request to an MCP endpoint and reads its answer. */
export async function mcpRequest(url: string, request: WireRequest): Promise<WireAnswer> {
  const method = request.method ?? 'POST';
  const headers: Record<string, string> = {
    Accept: method === 'POST' ? 'application/json, text/event-stream' : 'text/event-stream',
  };
  if (request.message !== undefined) headers['Content-Type'] = 'application/json';
  if (request.sessionId !== undefined) headers['Mcp-Session-Id'] = request.sessionId;
  if (request.protocolVersion !== undefined) headers['Mcp-Protocol-Version'] = request.protocolVersion;
  if (request.lastEventId !== undefined) headers['Last-Event-ID'] = request.lastEventId;
  const abort = new AbortController();
  const timeoutMs = request.timeoutMs ?? 15_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, timeoutMs);
  try {
    const response = await fetch(url, {
      method,
      headers,
      body: request.message === undefined ? undefined : JSON.stringify(request.message),
      signal: abort.signal,
    });
    const answer: WireAnswer = {
      status: response.status,
      contentType: response.headers.get('content-type'),
      sessionId: response.headers.get('mcp-session-id'),
      events: [],
      body: '',
    };
    if (!/^text\/event-stream/.test(answer.contentType ?? '') || !response.body) {
      answer.body = await response.text();
      return answer;
    }
    let retry: number | undefined;
    const parser = createParser({
      onRetry: (interval) => (retry = interval),
      onEvent: ({ id, event, data }) => {
        const received: WireEvent = { data };
        if (id !== undefined) received.id = id;
        if (event !== undefined) received.event = event;
        if (retry !== undefined) received.retry = retry;
        retry = undefined;
        answer.events.push(received);
      },
    });
    const decoder = new TextDecoder();
    if (request.until?.(answer.events)) {
      abort.abort();
      return answer;
    }
    try {
      for await (const chunk of response.body) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (request.until?.(answer.events)) {
          abort.abort();
          break;
        }
      }
    } catch (error) {
      if (!abort.signal.aborted || timedOut) throw error;
    }
    if (timedOut) throw new Error(`The answer was not over after ${timeoutMs} ms; received ${JSON.stringify(answer.events)}`);
    return answer;
  } catch (error) {
    if (timedOut) throw new Error(`No complete answer after ${timeoutMs} ms: ${String(error)}`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The JSON-RPC messages among the events (priming events and other empty data left out). */
export function messagesOf(events: WireEvent[]): Record<string, unknown>[] {
  return events.filter((event) => event.data !== '').map((event) => JSON.parse(event.data) as Record<string, unknown>);
}

/** True once the events hold the response to request `id`. */
export function hasResponseTo(id: number | string): (events: WireEvent[]) => boolean {
  return (events) => messagesOf(events).some((message) => message.id === id && ('result' in message || 'error' in message));
}

/**
 * Opens a session over plain HTTP: `initialize` with the given protocol version, then
 * `notifications/initialized`. Resolves with the session id and the events of the initialize answer.
 */
export async function initializeSession(url: string, protocolVersion: string): Promise<{ sessionId: string; events: WireEvent[] }> {
  const answer = await mcpRequest(url, {
    message: {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'wire-test-client', version: '1.0.0' } },
    },
    until: hasResponseTo(0),
  });
  if (answer.status !== 200 || !answer.sessionId) {
    throw new Error(`initialize answered ${answer.status} without a session: ${answer.body}`);
  }
  const initialized = await mcpRequest(url, {
    sessionId: answer.sessionId,
    protocolVersion,
    message: { jsonrpc: '2.0', method: 'notifications/initialized' },
  });
  if (initialized.status !== 202) throw new Error(`notifications/initialized answered ${initialized.status}: ${initialized.body}`);
  return { sessionId: answer.sessionId, events: answer.events };
}

/** A `tools/call` request. */
export function toolCall(id: number, name: string, args: Record<string, unknown> = {}, progressToken?: string | number): unknown {
  const params: Record<string, unknown> = { name, arguments: args };
  if (progressToken !== undefined) params._meta = { progressToken };
  return { jsonrpc: '2.0', id, method: 'tools/call', params };
}

/** Ends the session (DELETE); resolves with the status. */
export async function deleteMcpSession(url: string, sessionId: string, protocolVersion = PROTOCOL_2025_11_25): Promise<number> {
  const answer = await mcpRequest(url, { method: 'DELETE', sessionId, protocolVersion });
  return answer.status;
}

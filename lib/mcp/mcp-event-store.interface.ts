/*
 * Structural copies of the types through which the MCP TypeScript SDK talks to an event store, the
 * same in both lines: 1.x (`@modelcontextprotocol/sdk`, `EventStore` of
 * `@modelcontextprotocol/sdk/server/streamableHttp.js`) and v2 (`EventStore` of
 * `@modelcontextprotocol/server`, also taken by `NodeStreamableHTTPServerTransport` of
 * `@modelcontextprotocol/node`). They are declared here so that the library never imports either
 * SDK: an object implementing `McpEventStore` can be passed as either transport's `eventStore`
 * option, and both SDKs stay optional peer dependencies. (The v2 type declares the stored message
 * as a `JSONRPCMessage`; like 1.x, v2 stores the priming event as `{}`, see {@link McpPrimingMessage}.)
 */

/** An event id, as sent in the SSE `id:` field and returned by the client as `Last-Event-ID`. */
export type McpEventId = string;

/**
 * The SDK's name for one SSE stream of a session: a random id per POST request stream, and the
 * same `_GET_stream` for the standalone GET stream of every session.
 */
export type McpStreamId = string;

/** A JSON-RPC request id. */
export type McpRequestId = string | number;

/** A JSON-RPC 2.0 request: expects a response. */
export interface McpJsonRpcRequest {
  jsonrpc: '2.0';
  id: McpRequestId;
  method: string;
  params?: { [key: string]: unknown };
}

/** A JSON-RPC 2.0 notification: expects no response. */
export interface McpJsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: { [key: string]: unknown };
}

/** A successful JSON-RPC 2.0 response. */
export interface McpJsonRpcResultResponse {
  jsonrpc: '2.0';
  id: McpRequestId;
  result: { [key: string]: unknown };
}

/** A JSON-RPC 2.0 error response. */
export interface McpJsonRpcErrorResponse {
  jsonrpc: '2.0';
  id?: McpRequestId;
  error: { code: number; message: string; data?: unknown };
}

/** Any JSON-RPC message MCP sends over a stream (the SDK's `JSONRPCMessage`, 1.x and v2). */
export type McpJsonRpcMessage = McpJsonRpcRequest | McpJsonRpcNotification | McpJsonRpcResultResponse | McpJsonRpcErrorResponse;

/**
 * The SDK stores the priming event that opens a POST stream (an id with empty data, sent to clients
 * on protocol 2025-11-25 or later) as an empty object.
 */
export type McpPrimingMessage = Record<string, never>;

/** What the SDK hands to {@link McpEventStore.storeEvent}. */
export type McpStoredMessage = McpJsonRpcMessage | McpPrimingMessage;

/** Second argument of {@link McpEventStore.replayEventsAfter}. */
export interface McpReplayTarget {
  /** Writes one replayed event to the resumed stream. */
  send: (eventId: McpEventId, message: McpJsonRpcMessage) => Promise<void>;
}

/**
 * The SDK's `EventStore` interface (`StreamableHTTPServerTransportOptions.eventStore` in 1.x,
 * `WebStandardStreamableHTTPServerTransportOptions.eventStore` in v2, which
 * `NodeStreamableHTTPServerTransport` takes too), which makes the Streamable HTTP transport
 * resumable. How the SDK (1.24 and later, and v2) uses it:
 *
 * - `storeEvent` is awaited before a message is written to its stream, and also for a stream that is
 *   currently disconnected, so the message can be replayed later. The returned id is the SSE `id:`.
 * - On a GET with `Last-Event-ID` it calls `getStreamIdForEventId` first: no stream id gives HTTP 400,
 *   a stream that still has a live connection gives 409, a throw gives 500.
 * - Then `replayEventsAfter` must send every stored event of that stream after `lastEventId`, in
 *   order, and resolve with the stream id; the SDK hands the response out only once it resolved, and
 *   registers the resumed connection for the stream's live events. A throw gives HTTP 500.
 * - Recent releases (1.32 and v2 2.x, the ones tested) remember the ids a replay sent and do not
 *   send a live message again whose id was among them (replay/live de-duplication). Older 1.x
 *   releases do not: a store must not count on it.
 */
export interface McpEventStore {
  storeEvent(streamId: McpStreamId, message: McpStoredMessage): Promise<McpEventId>;
  getStreamIdForEventId?(eventId: McpEventId): Promise<McpStreamId | undefined>;
  replayEventsAfter(lastEventId: McpEventId, target: McpReplayTarget): Promise<McpStreamId>;
}

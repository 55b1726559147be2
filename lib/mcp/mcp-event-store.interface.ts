/*
 * The contract between the MCP TypeScript SDK's Streamable HTTP transport and an event store, the
 * same in both SDK lines: 1.x (`EventStore` of `@modelcontextprotocol/sdk/server/streamableHttp.js`)
 * and v2 (`EventStore` of `@modelcontextprotocol/server`, also taken by
 * `NodeStreamableHTTPServerTransport` of `@modelcontextprotocol/node`).
 *
 * Written out structurally rather than imported, on purpose: both SDKs are optional peers and an
 * application installs one line or the other. A type import from either one would stay in the
 * published declaration files, so users of the other line (or of neither: this entry loads without
 * an SDK) would get "Cannot find module" (TS2307) from them, or, with `skipLibCheck`, an `any`
 * where the message type should be. So only what the store exchanges with the SDK is declared here:
 * one message type and the store interface. The compiler checks both against the SDKs' own types
 * (`EventStore`, `JSONRPCMessage` of each line) in the MCP tests.
 */

/** An event id, as sent in the SSE `id:` field and returned by the client as `Last-Event-ID` (the SDK's `EventId`). */
export type McpEventId = string;

/**
 * One SSE stream of a session (the SDK's `StreamId`): a random id per POST request stream, and the
 * same `_GET_stream` for the standalone GET stream of every session.
 */
export type McpStreamId = string;

/**
 * Any JSON-RPC 2.0 message MCP sends over a stream: a request, a notification, a result or an
 * error response. Every such message is one of the SDK's `JSONRPCMessage` (1.x and v2), so what
 * the store replays can be handed back to either SDK.
 */
export type McpJsonRpcMessage =
  | { jsonrpc: '2.0'; id: string | number; method: string; params?: { [key: string]: unknown } }
  | { jsonrpc: '2.0'; method: string; params?: { [key: string]: unknown } }
  | { jsonrpc: '2.0'; id: string | number; result: { [key: string]: unknown } }
  | { jsonrpc: '2.0'; id?: string | number; error: { code: number; message: string; data?: unknown } };

/**
 * What the SDK hands to {@link McpEventStore.storeEvent}: a message, or the priming event that opens
 * a POST stream (an id with empty data, sent to clients on protocol 2025-11-25 or later), which
 * both SDK lines store as an empty object although their type says `JSONRPCMessage`.
 */
export type McpStoredMessage = McpJsonRpcMessage | Record<string, never>;

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

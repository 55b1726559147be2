/*
 * How MCP sessions map onto the store, shared by the session's own event store and the instances
 * that serve its resumptions.
 */

/**
 * The store sessions after the first are named `<MCP session id><OVERFLOW_MARK><n>`. The mark
 * starts with a space, which an MCP session id cannot hold (the specification allows visible
 * ASCII only), so an overflow session never has the name of another MCP session.
 */
const OVERFLOW_MARK = ' overflow-';

/** The name of the `n`-th overflow store session of an MCP session. */
export function overflowSessionId(mcpSessionId: string, n: number): string {
  return `${mcpSessionId}${OVERFLOW_MARK}${n}`;
}

/** True when the store session holds streams of the MCP session: its own, or one of its overflow sessions. */
export function isStoreSessionOf(storeSessionId: string, mcpSessionId: string): boolean {
  return storeSessionId === mcpSessionId || storeSessionId.startsWith(`${mcpSessionId}${OVERFLOW_MARK}`);
}

/** The SDK's priming event: an empty object (stored for its id, never replayed). */
export function isPrimingMessage(data: unknown): boolean {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && Object.keys(data).length === 0;
}

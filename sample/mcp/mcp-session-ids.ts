import { randomUUID } from 'node:crypto';

/**
 * Every MCP session id of the sample starts with this, and the sample's plain `/sessions` routes
 * refuse every session id that does ({@link McpSessionNamespaceGuard}). The event store keeps an
 * MCP session's streams under store sessions whose ids start with the MCP session id (see
 * `McpSessionEventStore.storeSessionIds`), so the two never share a session of the store: a
 * client of `/sessions` cannot read, write or delete an MCP session's streams, and no MCP session
 * can ever be given the id of a `/sessions` session.
 */
export const MCP_SESSION_ID_PREFIX = 'mcp:';

/** A new MCP session id: the reserved prefix and a random UUID (visible ASCII, as MCP requires). */
export function newMcpSessionId(): string {
  return `${MCP_SESSION_ID_PREFIX}${randomUUID()}`;
}

/** True for an id in the MCP sessions' namespace: one that only the MCP endpoint may use. */
export function isMcpSessionId(sessionId: string): boolean {
  return sessionId.startsWith(MCP_SESSION_ID_PREFIX);
}

/**
 * Resumable Streamable HTTP for the MCP TypeScript SDK (1.x and v2) on the store: an `EventStore`
 * per MCP session, a cross-instance `ServerEventBus`, resumption on another instance.
 * @module nestjs-sse-event-store/mcp
 */
export { McpSessionEventStore, type McpSessionIdSource } from './mcp-session-event-store';
export { McpResumeRefusedError } from './mcp-resume-refused.error';
export { McpServerEventBus, type McpServerEvent, type McpServerEventBusOptions } from './mcp-server-event-bus';
export { mcpErrorAnswerOf, type McpErrorAnswer } from './mcp-error-answer';
export { McpRemoteResumption, type McpRemoteResumptionOptions } from './mcp-remote-resumption';
export type {
  McpEventId,
  McpEventStore,
  McpJsonRpcMessage,
  McpReplayTarget,
  McpStoredMessage,
  McpStreamId,
} from './mcp-event-store.interface';

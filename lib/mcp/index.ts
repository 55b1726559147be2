export { McpSessionEventStore, type McpSessionIdSource } from './mcp-session-event-store';
export { McpResumeRefusedError } from './mcp-resume-refused.error';
export type {
  McpEventId,
  McpEventStore,
  McpJsonRpcErrorResponse,
  McpJsonRpcMessage,
  McpJsonRpcNotification,
  McpJsonRpcRequest,
  McpJsonRpcResultResponse,
  McpPrimingMessage,
  McpReplayTarget,
  McpRequestId,
  McpStoredMessage,
  McpStreamId,
} from './mcp-event-store.interface';

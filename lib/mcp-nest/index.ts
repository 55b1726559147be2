/**
 * Resumable Streamable HTTP for `@rekog/mcp-nest` (~2.0.5) on the store. Unlike the root and
 * `/mcp` entries, this one loads `@rekog/mcp-nest` and the MCP SDK v2 (`@modelcontextprotocol/node`),
 * optional peer dependencies needed only here.
 * @module nestjs-sse-event-store/mcp-nest
 */
export {
  ResumableStreamableHttpTransport,
  type ResumableStreamableHttpTransportOptions,
} from './resumable-streamable-http.transport';
export { closeCallStream, logOnCallStream, reportProgressOnCallStream, type McpCallProgress } from './call-stream';
export { SUPPORTED_MCP_NEST_VERSIONS } from './mcp-nest-internals';

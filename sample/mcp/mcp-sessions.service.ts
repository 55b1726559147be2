import { Injectable } from '@nestjs/common';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { McpSessionRegistry, type McpSessionTransportOptions } from './mcp-session-registry';
import { createSampleMcpServer } from './sample-mcp-server';

/** The MCP sessions of the SDK 1.x endpoint, `/mcp` (see {@link McpSessionRegistry}). */
@Injectable()
export class McpSessionsService extends McpSessionRegistry<StreamableHTTPServerTransport> {
  protected createTransport(options: McpSessionTransportOptions): StreamableHTTPServerTransport {
    return new StreamableHTTPServerTransport(options);
  }

  protected async connectServer(transport: StreamableHTTPServerTransport): Promise<void> {
    await createSampleMcpServer(transport).connect(transport);
  }
}

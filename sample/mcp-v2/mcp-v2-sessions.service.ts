import { Injectable } from '@nestjs/common';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { McpSessionRegistry, type McpSessionTransportOptions } from '../mcp/mcp-session-registry';
import { createSampleMcpV2Server } from './sample-mcp-v2-server';

/**
 * The MCP sessions of the SDK v2 endpoint, `/mcp-v2` (`@modelcontextprotocol/server` and
 * `@modelcontextprotocol/node`), as {@link McpSessionRegistry} keeps them for both lines: the same
 * `mcp:` session namespace, event stores and store error answers as the 1.x endpoint.
 */
@Injectable()
export class McpV2SessionsService extends McpSessionRegistry<NodeStreamableHTTPServerTransport> {
  protected createTransport(options: McpSessionTransportOptions): NodeStreamableHTTPServerTransport {
    return new NodeStreamableHTTPServerTransport(options);
  }

  protected async connectServer(transport: NodeStreamableHTTPServerTransport): Promise<void> {
    await createSampleMcpV2Server(transport).connect(transport);
  }
}

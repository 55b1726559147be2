import { Controller } from '@nestjs/common';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { McpRemoteResumption } from '../../lib/mcp';
import { McpHttpEndpoint } from './mcp-http-endpoint';
import { McpSessionsService } from './mcp-sessions.service';

/** The MCP Streamable HTTP endpoint on the SDK 1.x (`@modelcontextprotocol/sdk`), `/mcp`. */
@Controller('mcp')
export class McpController extends McpHttpEndpoint<StreamableHTTPServerTransport> {
  constructor(sessions: McpSessionsService, remoteResumption: McpRemoteResumption) {
    super(sessions, remoteResumption);
  }

  protected isInitializeRequest(body: unknown): boolean {
    return isInitializeRequest(body);
  }
}

import { Controller } from '@nestjs/common';
import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest } from '@modelcontextprotocol/server';
import { McpRemoteResumption } from '../../lib/mcp';
import { McpHttpEndpoint } from '../mcp/mcp-http-endpoint';
import { McpV2SessionsService } from './mcp-v2-sessions.service';

/**
 * The MCP Streamable HTTP endpoint on the SDK v2 (`@modelcontextprotocol/server` and
 * `@modelcontextprotocol/node`), `/mcp-v2`: the same as `/mcp`, whose transport answers every
 * error of a POST with 400 -32700 and every error of a resume with 500 on this line too.
 */
@Controller('mcp-v2')
export class McpV2Controller extends McpHttpEndpoint<NodeStreamableHTTPServerTransport> {
  constructor(sessions: McpV2SessionsService, remoteResumption: McpRemoteResumption) {
    super(sessions, remoteResumption);
  }

  protected isInitializeRequest(body: unknown): boolean {
    return isInitializeRequest(body);
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Delete, Get, Headers, Logger, Post, Req, Res } from '@nestjs/common';
import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { isInitializeRequest } from '@modelcontextprotocol/server';
import { answeringStoreErrors } from '../mcp/mcp-store-error-answers';
import { McpV2SessionsService } from './mcp-v2-sessions.service';
import { McpRemoteResumption } from '../../lib/mcp';

/** The request as the sample's JSON body parser leaves it. */
type ParsedRequest = IncomingMessage & { body?: unknown };

/**
 * The MCP Streamable HTTP endpoint on the SDK v2, `POST|GET|DELETE /mcp-v2`, with stateful
 * sessions, as `/mcp` is on the SDK 1.x: an `initialize` request without `Mcp-Session-Id` opens a
 * session; every other request is handed to its session's transport, which answers it (SSE
 * streams, resumption with `Last-Event-ID`, DELETE). A request that a store error ended is answered
 * as on `/mcp` (see sample/mcp/mcp-store-error-answers.ts): the v2 transport, too, answers every error
 * of a POST with 400 -32700 "Parse error" and every error of a resume with 500.
 */
@Controller('mcp-v2')
export class McpV2Controller {
  private readonly logger = new Logger(McpV2Controller.name);

  constructor(
    private readonly sessions: McpV2SessionsService,
    private readonly remoteResumption: McpRemoteResumption,
  ) {}

  @Post()
  async post(
    @Req() request: ParsedRequest,
    @Res() response: ServerResponse,
    @Headers('mcp-session-id') sessionId: string | undefined,
  ): Promise<void> {
    let transport: NodeStreamableHTTPServerTransport | undefined;
    let opened: NodeStreamableHTTPServerTransport | undefined;
    if (sessionId !== undefined) transport = this.sessions.find(sessionId);
    else if (isInitializeRequest(request.body)) transport = opened = await this.sessions.open();
    await this.handle(transport, sessionId, request, response, request.body);
    // An initialize that was refused (or whose answer the store could not take) gave the client no
    // session: close it, or it would stay in memory, never used.
    if (opened && response.statusCode >= 400) await opened.close();
  }

  @Get()
  async get(
    @Req() request: ParsedRequest,
    @Res() response: ServerResponse,
    @Headers('mcp-session-id') sessionId: string | undefined,
  ): Promise<void> {
    const transport = sessionId === undefined ? undefined : this.sessions.find(sessionId);
    // A resumption of a session that lives on another instance is served from the shared store.
    if (!transport && (await this.remoteResumption.serve(request, response))) return;
    await this.handle(transport, sessionId, request, response);
  }

  @Delete()
  async delete(
    @Req() request: ParsedRequest,
    @Res() response: ServerResponse,
    @Headers('mcp-session-id') sessionId: string | undefined,
  ): Promise<void> {
    await this.handle(sessionId === undefined ? undefined : this.sessions.find(sessionId), sessionId, request, response);
  }

  private async handle(
    transport: NodeStreamableHTTPServerTransport | undefined,
    sessionId: string | undefined,
    request: ParsedRequest,
    response: ServerResponse,
    body?: unknown,
  ): Promise<void> {
    if (!transport) {
      if (sessionId === undefined) {
        return reply(response, 400, -32000, 'Bad Request: Mcp-Session-Id header is required (or send an initialize request).');
      }
      // The client starts a new session when it gets 404 for its session id.
      return reply(response, 404, -32001, 'Session not found');
    }
    try {
      // The body was parsed by the application's JSON body parser: the transport must not read it again.
      await answeringStoreErrors(response, () => transport.handleRequest(request, response, body));
    } catch (error) {
      this.logger.error(`The MCP (SDK v2) transport failed on a ${request.method} request: ${String(error)}`);
      if (!response.headersSent) reply(response, 500, -32603, 'Internal server error');
    }
  }
}

/** Answers with a JSON-RPC error, as the SDK transport does for the requests it refuses. */
function reply(response: ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

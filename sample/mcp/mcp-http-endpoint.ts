import type { IncomingMessage, ServerResponse } from 'node:http';
import { Delete, Get, Headers, Logger, Post, Req, Res } from '@nestjs/common';
import type { McpRemoteResumption } from '../../lib/mcp';
import type { McpSessionRegistry, McpSessionTransport } from './mcp-session-registry';
import { answeringStoreErrors } from './mcp-store-error-answers';

/** The request as the sample's JSON body parser leaves it. */
type ParsedRequest = IncomingMessage & { body?: unknown };

/**
 * An MCP Streamable HTTP endpoint, `POST|GET|DELETE`, with stateful sessions, for one SDK line
 * (the subclasses give the route and the sessions): an `initialize` request without
 * `Mcp-Session-Id` opens a session; every other request is handed to its session's SDK transport,
 * which answers it (SSE streams, resumption with `Last-Event-ID`, DELETE). A resumption of a
 * session that lives on another instance is served from the shared store. A request that a store
 * error ended is answered with the status and JSON-RPC error that say what happened (503 -32603
 * while the store is unavailable, 429 for the stream limit, ...), not the SDK's 400 -32700 "Parse
 * error" (see mcp-store-error-answers.ts).
 */
export abstract class McpHttpEndpoint<T extends McpSessionTransport> {
  private readonly logger = new Logger(this.constructor.name);

  constructor(
    private readonly sessions: McpSessionRegistry<T>,
    private readonly remoteResumption: McpRemoteResumption,
  ) {}

  /** True for an `initialize` request (the SDK line's own check). */
  protected abstract isInitializeRequest(body: unknown): boolean;

  @Post()
  async post(
    @Req() request: ParsedRequest,
    @Res() response: ServerResponse,
    @Headers('mcp-session-id') sessionId: string | undefined,
  ): Promise<void> {
    let transport: T | undefined;
    let opened: T | undefined;
    if (sessionId !== undefined) transport = this.sessions.find(sessionId);
    else if (this.isInitializeRequest(request.body)) transport = opened = await this.sessions.open();
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
    transport: T | undefined,
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
      this.logger.error(`The MCP transport failed on a ${request.method} request: ${String(error)}`);
      if (!response.headersSent) reply(response, 500, -32603, 'Internal server error');
    }
  }
}

/** Answers with a JSON-RPC error, as the SDK transport does for the requests it refuses. */
function reply(response: ServerResponse, status: number, code: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

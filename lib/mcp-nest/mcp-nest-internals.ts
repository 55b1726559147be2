import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { McpServer } from '@modelcontextprotocol/server';
import { StreamableHttpTransport, type McpTransportContext } from '@rekog/mcp-nest';

/**
 * The `@rekog/mcp-nest` releases {@link ResumableStreamableHttpTransport} is written and tested
 * against (the optional peer dependency is pinned to the same range). It relies on members of
 * `StreamableHttpTransport` that are not part of mcp-nest's public API, so it checks them when it
 * is constructed and started rather than trust any version.
 */
export const SUPPORTED_MCP_NEST_VERSIONS = '~2.0.5';

/** The request as mcp-nest's HTTP adapter hands it to `handleStateful`. */
export interface McpNestAdaptedRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The Node request (Express or Fastify's raw request). */
  raw?: unknown;
}

/** The response as mcp-nest's HTTP adapter hands it to `handleStateful`. */
export interface McpNestAdaptedResponse {
  /** The Node response. */
  raw?: unknown;
}

/**
 * What {@link ResumableStreamableHttpTransport} uses of `StreamableHttpTransport`'s private
 * members (`@rekog/mcp-nest` 2.0.x, `mcp/transport/transports/streamable-http.transport.ts`):
 *
 * - `handleStateful(req, res, body)`: the stateful (session) path of a POST, which creates the
 *   SDK transport of a new session on `initialize`. It is replaced; every other request is handed
 *   to the original.
 * - `handleGet(req, res)`: `GET` of the endpoint (header checks, then the session's transport or
 *   404). Wrapped, so a resumption of a session of another instance is served from the store.
 * - `cleanupSession(sessionId)`: forgets a session and closes its SDK transport and server (what
 *   mcp-nest does on DELETE).
 * - `transports` and `servers`: the sessions' SDK transports and MCP servers by session id, which
 *   `GET`, `DELETE` and later `POST`s of a session are served from.
 * - `sessionIdGenerator`, `statefulMode`: the options as the constructor resolved them.
 * - `ctx`: the context the strategy started the transport with (`createServer`,
 *   `bindRequestHandlers`, `logger`).
 */
export interface StreamableHttpInternals {
  handleStateful(req: McpNestAdaptedRequest, res: McpNestAdaptedResponse, body: unknown): Promise<void>;
  /** `GET` of the endpoint (the framework's request and response): checks the headers, then hands it to the session's SDK transport, or answers 404. */
  handleGet(req: unknown, res: unknown): Promise<void>;
  cleanupSession(sessionId: string): Promise<void>;
  readonly transports: Record<string, NodeStreamableHTTPServerTransport>;
  readonly servers: Record<string, McpServer>;
  readonly sessionIdGenerator: () => string;
  readonly statefulMode: boolean;
  readonly ctx?: McpTransportContext;
}

/** The prototype methods that are replaced or called. */
const PROTOTYPE_METHODS = ['handleStateful', 'handleGet', 'cleanupSession'] as const;

/** The version of `@rekog/mcp-nest` that is installed, when its package.json can be read. */
function installedMcpNestVersion(): string | undefined {
  try {
    return (require('@rekog/mcp-nest/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** The error thrown when the installed `@rekog/mcp-nest` lacks something the transport relies on. */
export function unsupportedMcpNest(missing: readonly string[]): Error {
  const installed = installedMcpNestVersion();
  return new Error(
    `ResumableStreamableHttpTransport supports @rekog/mcp-nest ${SUPPORTED_MCP_NEST_VERSIONS}` +
      `${installed ? `, but the installed @rekog/mcp-nest ${installed}` : ', but the installed @rekog/mcp-nest'} ` +
      `lacks what it relies on: ${missing.join(', ')}. Install @rekog/mcp-nest ${SUPPORTED_MCP_NEST_VERSIONS}, ` +
      'or use its own StreamableHttpTransport (not resumable).',
  );
}

/** The original `handleGet` of mcp-nest's `StreamableHttpTransport`. */
export function originalHandleGet(): StreamableHttpInternals['handleGet'] {
  return (StreamableHttpTransport.prototype as unknown as StreamableHttpInternals).handleGet;
}

/** The original `handleStateful` of mcp-nest's `StreamableHttpTransport`. */
export function originalHandleStateful(): StreamableHttpInternals['handleStateful'] {
  return (StreamableHttpTransport.prototype as unknown as StreamableHttpInternals).handleStateful;
}

/**
 * Checks, on a freshly constructed transport, that mcp-nest's `StreamableHttpTransport` has the
 * members {@link StreamableHttpInternals} names, with the expected kinds; throws
 * {@link unsupportedMcpNest} naming the missing ones otherwise.
 */
export function assertSupportedInternals(instance: object): void {
  const prototype = StreamableHttpTransport.prototype as unknown as Record<string, unknown>;
  const missing: string[] = PROTOTYPE_METHODS.filter((name) => typeof prototype[name] !== 'function').map(
    (name) => `StreamableHttpTransport.prototype.${name}()`,
  );
  const fields = instance as Record<string, unknown>;
  for (const name of ['transports', 'servers'] as const) {
    const value = fields[name];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) missing.push(`the '${name}' record`);
  }
  if (typeof fields.sessionIdGenerator !== 'function') missing.push("the 'sessionIdGenerator' function");
  if (typeof fields.statefulMode !== 'boolean') missing.push("the 'statefulMode' flag");
  if (missing.length > 0) throw unsupportedMcpNest(missing);
}

/**
 * Checks the context the strategy starts a transport with: `createServer` and
 * `bindRequestHandlers` are called for every new session.
 */
export function assertSupportedContext(ctx: McpTransportContext | undefined): void {
  const context = ctx as unknown as Record<string, unknown> | undefined;
  const missing = (['createServer', 'bindRequestHandlers'] as const)
    .filter((name) => typeof context?.[name] !== 'function')
    .map((name) => `McpTransportContext.${name}()`);
  if (missing.length > 0) throw unsupportedMcpNest(missing);
}

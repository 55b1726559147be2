import type { LoggingLevel, ServerContext } from '@modelcontextprotocol/server';
import type { McpContext } from '@rekog/mcp-nest';
import { SUPPORTED_MCP_NEST_VERSIONS } from './mcp-nest-internals';

/** What a progress notification says (its `progressToken` is the request's). */
export interface McpCallProgress {
  progress: number;
  total?: number;
  message?: string;
}

/**
 * Where mcp-nest's `McpContext` keeps the SDK's handler context of the request it serves (the
 * fifth of its arguments, `McpContextArgs` in @rekog/mcp-nest 2.0.x).
 */
const SDK_CONTEXT_ARGUMENT = 4;

/** The SDK's per-request context (`ctx.mcpReq`, `ctx.http`) of the call `ctx` serves. */
function sdkContextOf(ctx: McpContext, helper: string): ServerContext {
  const sdk = (ctx as { getArgByIndex?: (index: number) => unknown }).getArgByIndex?.(SDK_CONTEXT_ARGUMENT) as ServerContext | undefined;
  if (typeof sdk?.mcpReq?.notify !== 'function' || typeof sdk.mcpReq.log !== 'function') {
    throw new Error(
      `${helper} needs the SDK request context that @rekog/mcp-nest ${SUPPORTED_MCP_NEST_VERSIONS} hands to a tool's McpContext; ` +
        'this context has none (it was not built for a live request, or the installed @rekog/mcp-nest keeps it elsewhere).',
    );
  }
  return sdk;
}

/**
 * Sends a `notifications/progress` for the call `ctx` serves on the call's own stream (related to
 * its request), when the request asked for progress (has a progress token); does nothing
 * otherwise. Use it instead of mcp-nest's `ctx.reportProgress`, which sends on the session's
 * standalone GET stream: there the last progress can arrive after the result (the client then
 * drops it), and it is not part of the call's stream that the client resumes.
 *
 * ```ts
 * @Tool({ name: 'countdown', parameters: z.object({ count: z.number() }) })
 * async countdown(@Payload() { count }: { count: number }, @Ctx() ctx: McpContext) {
 *   for (let progress = 1; progress <= count; progress++) await reportProgressOnCallStream(ctx, { progress, total: count });
 *   return { content: [{ type: 'text', text: 'done' }] };
 * }
 * ```
 */
export async function reportProgressOnCallStream(ctx: McpContext, progress: McpCallProgress): Promise<void> {
  const sdk = sdkContextOf(ctx, 'reportProgressOnCallStream');
  const progressToken = sdk.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return;
  await sdk.mcpReq.notify({ method: 'notifications/progress', params: { ...progress, progressToken } });
}

/**
 * Sends a log message (`notifications/message`) on the call's own stream, as the SDK's
 * `ctx.mcpReq.log` does: only at or above the level the client set (`logging/setLevel`).
 * mcp-nest's `ctx.log` sends `{ message, context }` as data on the standalone GET stream; this
 * sends `data` as it is, with an optional logger name.
 */
export async function logOnCallStream(ctx: McpContext, level: LoggingLevel, data: unknown, logger?: string): Promise<void> {
  await sdkContextOf(ctx, 'logOnCallStream').mcpReq.log(level, data, logger);
}

/**
 * Closes the SSE stream of the call `ctx` serves, before its result (SSE polling, SEP-1699): the
 * client reconnects after the retry interval with `Last-Event-ID` and gets what was sent
 * meanwhile, the result included. Returns `false` when the SDK offers no way to close it (a
 * client on a protocol before 2025-11-25, which got no priming event to resume from).
 */
export function closeCallStream(ctx: McpContext): boolean {
  const closeSSE = sdkContextOf(ctx, 'closeCallStream').http?.closeSSE;
  if (!closeSSE) return false;
  closeSSE();
  return true;
}

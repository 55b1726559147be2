import { setTimeout as delay } from 'node:timers/promises';
import { McpServer, type RequestId, type ServerContext } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** Largest `count` the countdown tools accept. */
const MAX_COUNT = 100_000;
/** Longest `intervalMs` the countdown tools accept. */
const MAX_INTERVAL_MS = 60_000;
/** How long `test_reconnection` works after closing its stream, before it answers. */
const RECONNECTION_TEST_WORK_MS = 100;

/** What the tools need of the session's transport. */
export interface ClosableStreams {
  /** Closes the SSE stream of a request; the client resumes it with `Last-Event-ID`. */
  closeSSEStream(requestId: RequestId): void;
}

const countdownArguments = z.object({
  count: z.number().int().min(0).max(MAX_COUNT).describe('How many notifications to send.'),
  intervalMs: z.number().int().min(0).max(MAX_INTERVAL_MS).describe('Milliseconds between two notifications.'),
});

/**
 * The sample's MCP server for one session of the SDK v2 endpoint (`/mcp-v2`): the same tools,
 * arguments and results as the 1.x endpoint's (`sample/mcp/sample-mcp-server.ts`), written with
 * the v2 `McpServer` and its handler context (`ctx.mcpReq`, `ctx.http`):
 *
 * - `countdown { count, intervalMs }`: `count` notifications on the call's own stream, `intervalMs`
 *   apart — `notifications/progress` (progress 1..count, total count) when the request has a
 *   progress token, otherwise `notifications/message` log messages (logger `countdown`, data
 *   `{ progress, total }`) — then the text result `done <count>`.
 * - `standalone_countdown { count, intervalMs }`: the same log messages, sent on the session's
 *   standalone GET stream instead (server-initiated, not tied to the call), then `done <count>`.
 * - `test_reconnection`: the conformance suite's SSE polling test (SEP-1699): closes the call's
 *   stream before the result, which the client gets by reconnecting with `Last-Event-ID`.
 */
export function createSampleMcpV2Server(streams: ClosableStreams): McpServer {
  const server = new McpServer({ name: 'nestjs-sse-event-store-sample-v2', version: '0.1.0' }, { capabilities: { logging: {} } });

  server.registerTool(
    'countdown',
    {
      description:
        "Sends `count` notifications, `intervalMs` apart, on this call's stream: progress notifications when the " +
        'request has a progress token, log messages otherwise. Then returns "done <count>".',
      inputSchema: countdownArguments,
    },
    async ({ count, intervalMs }, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (let progress = 1; progress <= count; progress++) {
        if (progress > 1) await delay(intervalMs, undefined, { signal: ctx.mcpReq.signal });
        // Both go out on this call's stream: `notify` and `log` send with the request as related request.
        await (progressToken === undefined
          ? ctx.mcpReq.notify({
              method: 'notifications/message',
              params: { level: 'info', logger: 'countdown', data: { progress, total: count } },
            })
          : ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total: count } }));
      }
      return { content: [{ type: 'text', text: `done ${count}` }] };
    },
  );

  server.registerTool(
    'standalone_countdown',
    {
      description:
        "Sends `count` log messages, `intervalMs` apart, on the session's standalone GET stream (not on this " +
        'call\'s stream). Then returns "done <count>".',
      inputSchema: countdownArguments,
    },
    async ({ count, intervalMs }, ctx) => {
      for (let progress = 1; progress <= count; progress++) {
        if (progress > 1) await delay(intervalMs, undefined, { signal: ctx.mcpReq.signal });
        // Without a related request: the transport sends it on the standalone GET stream.
        await server.server.notification({
          method: 'notifications/message',
          params: { level: 'info', logger: 'standalone_countdown', data: { progress, total: count } },
        });
      }
      return { content: [{ type: 'text', text: `done ${count}` }] };
    },
  );

  server.registerTool(
    'test_reconnection',
    {
      description:
        'Closes the SSE stream of this call before answering: the client gets the result by reconnecting with ' +
        'Last-Event-ID (SSE polling, SEP-1699).',
      inputSchema: z.object({}),
    },
    async (_arguments, ctx: ServerContext) => {
      const closeSSE = ctx.http?.closeSSE;
      if (!closeSSE) {
        // The SDK sent no priming event (a client on a protocol before 2025-11-25): give the client an
        // event id to reconnect from before closing, or it could not resume the stream.
        await ctx.mcpReq.notify({
          method: 'notifications/message',
          params: { level: 'info', logger: 'test_reconnection', data: 'Closing this stream: reconnect with Last-Event-ID for the result.' },
        });
      }
      if (closeSSE) closeSSE();
      else streams.closeSSEStream(ctx.mcpReq.id);
      await delay(RECONNECTION_TEST_WORK_MS, undefined, { signal: ctx.mcpReq.signal });
      return { content: [{ type: 'text', text: 'Reconnection test completed successfully.' }] };
    },
  );

  return server;
}

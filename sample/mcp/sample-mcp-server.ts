import { setTimeout as delay } from 'node:timers/promises';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
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

const countdownArguments = {
  count: z.number().int().min(0).max(MAX_COUNT).describe('How many notifications to send.'),
  intervalMs: z.number().int().min(0).max(MAX_INTERVAL_MS).describe('Milliseconds between two notifications.'),
};

/**
 * The sample's MCP server for one session. Its tools are used by clients outside this repository,
 * so their names, arguments and results are a contract:
 *
 * - `countdown { count, intervalMs }`: `count` notifications on the call's own stream, `intervalMs`
 *   apart — `notifications/progress` (progress 1..count, total count) when the request has a
 *   progress token, otherwise `notifications/message` log messages (data `{ progress, total }`) —
 *   then the text result `done <count>`.
 * - `standalone_countdown { count, intervalMs }`: the same log messages, sent on the session's
 *   standalone GET stream instead (server-initiated, not tied to the call), then `done <count>`.
 * - `test_reconnection`: the conformance suite's SSE polling test (SEP-1699): closes the call's
 *   stream before the result, which the client gets by reconnecting with `Last-Event-ID`.
 */
export function createSampleMcpServer(streams: ClosableStreams): McpServer {
  const server = new McpServer({ name: 'nestjs-sse-event-store-sample', version: '0.1.0' }, { capabilities: { logging: {} } });

  server.registerTool(
    'countdown',
    {
      description:
        "Sends `count` notifications, `intervalMs` apart, on this call's stream: progress notifications when the " +
        'request has a progress token, log messages otherwise. Then returns "done <count>".',
      inputSchema: countdownArguments,
    },
    async ({ count, intervalMs }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let progress = 1; progress <= count; progress++) {
        if (progress > 1) await delay(intervalMs, undefined, { signal: extra.signal });
        await extra.sendNotification(
          progressToken === undefined
            ? { method: 'notifications/message', params: { level: 'info', logger: 'countdown', data: { progress, total: count } } }
            : { method: 'notifications/progress', params: { progressToken, progress, total: count } },
        );
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
    async ({ count, intervalMs }, extra) => {
      for (let progress = 1; progress <= count; progress++) {
        if (progress > 1) await delay(intervalMs, undefined, { signal: extra.signal });
        await server.sendLoggingMessage({ level: 'info', logger: 'standalone_countdown', data: { progress, total: count } });
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
      inputSchema: {},
    },
    async (_arguments, extra) => {
      if (!extra.closeSSEStream) {
        // The SDK sent no priming event (a client on a protocol before 2025-11-25): give the client an
        // event id to reconnect from before closing, or it could not resume the stream.
        await extra.sendNotification({
          method: 'notifications/message',
          params: { level: 'info', logger: 'test_reconnection', data: 'Closing this stream: reconnect with Last-Event-ID for the result.' },
        });
      }
      streams.closeSSEStream(extra.requestId);
      await delay(RECONNECTION_TEST_WORK_MS, undefined, { signal: extra.signal });
      return { content: [{ type: 'text', text: 'Reconnection test completed successfully.' }] };
    },
  );

  return server;
}

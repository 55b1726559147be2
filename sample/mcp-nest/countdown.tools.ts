import { setTimeout as delay } from 'node:timers/promises';
import { Ctx, Payload } from '@nestjs/microservices';
import { McpContext, McpController, Tool } from '@rekog/mcp-nest';
import { z } from 'zod';
import { closeCallStream, logOnCallStream, reportProgressOnCallStream } from '../../lib/mcp-nest';

/** Largest `count` the countdown tools accept. */
const MAX_COUNT = 100_000;
/** Longest `intervalMs` the countdown tools accept. */
const MAX_INTERVAL_MS = 60_000;
/** How long `test_reconnection` works after closing its stream, before it answers. */
const RECONNECTION_TEST_WORK_MS = 100;

const countdownArguments = z.object({
  count: z.number().int().min(0).max(MAX_COUNT).describe('How many notifications to send.'),
  intervalMs: z.number().int().min(0).max(MAX_INTERVAL_MS).describe('Milliseconds between two notifications.'),
});
type CountdownArguments = z.infer<typeof countdownArguments>;

/**
 * The tools of the `@rekog/mcp-nest` sample (sample/mcp-nest/main.ts), with the same names,
 * arguments and results as the main sample's `/mcp` and `/mcp-v2` endpoints:
 *
 * - `countdown { count, intervalMs }`: `count` notifications on the call's own stream, `intervalMs`
 *   apart — `notifications/progress` (progress 1..count, total count) when the request has a
 *   progress token, otherwise `notifications/message` log messages (logger `countdown`, data
 *   `{ progress, total }`) — then the text result `done <count>`. Sent with
 *   `reportProgressOnCallStream` / `logOnCallStream`, so they are resumed with the call's stream
 *   and arrive before the result.
 * - `standalone_countdown { count, intervalMs }`: the same log messages with mcp-nest's own
 *   `ctx.log`, which sends them on the session's standalone GET stream (data
 *   `{ message: 'countdown', context: { progress, total } }`), then `done <count>`.
 * - `test_reconnection`: closes the call's stream before the result (SSE polling, SEP-1699); the
 *   client gets the result by reconnecting with `Last-Event-ID`.
 */
@McpController()
export class CountdownTools {
  @Tool({
    name: 'countdown',
    description:
      "Sends `count` notifications, `intervalMs` apart, on this call's stream: progress notifications when the request " +
      'has a progress token, log messages otherwise. Then returns "done <count>".',
    parameters: countdownArguments,
  })
  async countdown(@Payload() { count, intervalMs }: CountdownArguments, @Ctx() ctx: McpContext) {
    const asksProgress = ctx.mcpRequest.params?._meta?.progressToken !== undefined;
    for (let progress = 1; progress <= count; progress++) {
      if (progress > 1) await delay(intervalMs);
      await (asksProgress
        ? reportProgressOnCallStream(ctx, { progress, total: count })
        : logOnCallStream(ctx, 'info', { progress, total: count }, 'countdown'));
    }
    return { content: [{ type: 'text', text: `done ${count}` }] };
  }

  @Tool({
    name: 'standalone_countdown',
    description:
      "Sends `count` log messages, `intervalMs` apart, with mcp-nest's ctx.log: on the session's standalone GET stream. " +
      'Then returns "done <count>".',
    parameters: countdownArguments,
  })
  async standaloneCountdown(@Payload() { count, intervalMs }: CountdownArguments, @Ctx() ctx: McpContext) {
    for (let progress = 1; progress <= count; progress++) {
      if (progress > 1) await delay(intervalMs);
      ctx.log.info('countdown', { progress, total: count });
    }
    return { content: [{ type: 'text', text: `done ${count}` }] };
  }

  @Tool({
    name: 'test_reconnection',
    description:
      'Closes the SSE stream of this call before answering: the client gets the result by reconnecting with ' +
      'Last-Event-ID (SSE polling, SEP-1699).',
    parameters: z.object({}),
  })
  async testReconnection(@Payload() _arguments: Record<string, never>, @Ctx() ctx: McpContext) {
    if (!closeCallStream(ctx)) {
      // No priming event was sent (a client on a protocol before 2025-11-25): the stream stays open.
      await logOnCallStream(ctx, 'info', 'This client cannot reconnect to a closed stream: answering on it.', 'test_reconnection');
    }
    await delay(RECONNECTION_TEST_WORK_MS);
    return { content: [{ type: 'text', text: 'Reconnection test completed successfully.' }] };
  }
}

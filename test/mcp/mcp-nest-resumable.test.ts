import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { McpContext, McpStrategy, StreamableHttpTransport, type McpTransportContext } from '@rekog/mcp-nest';
import { SseEventStore } from '../../lib';
import {
  logOnCallStream,
  reportProgressOnCallStream,
  ResumableStreamableHttpTransport,
  SUPPORTED_MCP_NEST_VERSIONS,
} from '../../lib/mcp-nest';
import { createSseEventStore } from '../../lib/testing';
import { connectMcpNestSample, MCP_NEST_RETRY_INTERVAL_MS } from '../../sample/mcp-nest/mcp-nest-sample';
import { McpNestSampleModule } from '../../sample/mcp-nest/mcp-nest-sample.module';
import { waitFor } from '../support/async';
import { bounded } from '../support/bounded';
import { REDIS_URL } from '../support/caches';
import { mcpSessionKeys } from '../support/mcp-session-keys';
import { SAMPLE_KEY_PREFIX } from '../support/sample-environment';
import { CapturingLogger } from '../support/capturing-logger';
import { CuttingProxy, type ProxiedExchange } from '../support/cutting-proxy';
import { SampleProcess } from '../support/sample-process';
import { McpSdkClient, oneTo, resultText } from '../support/mcp-sdk-client';
import { McpSdkV2Client } from '../support/mcp-sdk-v2-client';
import { isToolCall, lastEventIdOf, messagesOf, ResumeChain, sessionOf } from '../support/resume-chain';
import { SpyingSseEventStore } from '../support/spying-sse-event-store';

/**
 * `ResumableStreamableHttpTransport` (`nestjs-sse-event-store/mcp-nest`): `@rekog/mcp-nest`'s
 * stateful Streamable HTTP made resumable on SseEventStore. The sample's mcp-nest entry
 * (sample/mcp-nest/main.js) runs as a real process, in memory and on Redis, and the official
 * clients of both SDK lines (1.x `@modelcontextprotocol/sdk`, v2 `@modelcontextprotocol/client`)
 * call its `countdown` through a proxy that drops the connection after the N-th notification.
 * Plus: progress on the call's own stream arrives before the result, sessions' streams are
 * deleted when they end, and the transport refuses to run on an mcp-nest without the internals
 * it relies on.
 */

const TEST_TIMEOUT = { timeout: 90_000 };
/** The countdowns' length: every resumption test delivers this many notifications. */
const COUNT = 20;
/** Between two notifications: long enough that resumptions meet both stored and live messages. */
const INTERVAL_MS = 100;

/** Where the proxy drops the call's stream: after these notifications, counted over the whole stream. */
const CUT_PATTERNS: { name: string; cutsAfter: number[] }[] = [
  { name: 'after the 1st', cutsAfter: [1] },
  { name: 'after the 7th', cutsAfter: [7] },
  { name: 'after the 7th and the 14th (7+14)', cutsAfter: [7, 14] },
  { name: 'after every third', cutsAfter: [3, 6, 9, 12, 15, 18] },
];

const BACKENDS: { name: string; redisUrl?: string }[] = [
  { name: 'in memory', redisUrl: undefined },
  { name: 'on Redis', redisUrl: REDIS_URL },
];

type ClientLine = '1.x' | 'v2';
const CLIENT_LINES: ClientLine[] = ['1.x', 'v2'];

type AnyClient = McpSdkClient | McpSdkV2Client;

async function connectClient(line: ClientLine, url: string): Promise<AnyClient> {
  return line === '1.x' ? McpSdkClient.connect(url) : McpSdkV2Client.connect(url);
}

/** `tools/call` with a progress handler (a progress token), on either client line. */
async function callWithProgress(
  client: AnyClient,
  name: string,
  args: Record<string, unknown>,
  onprogress: (progress: { progress: number; total?: number }) => void,
): Promise<unknown> {
  const params = { name, arguments: args };
  return client instanceof McpSdkClient
    ? client.client.callTool(params, undefined, { onprogress, timeout: 60_000 })
    : client.client.callTool(params, { onprogress, timeout: 60_000 });
}

function progressOf(message: Record<string, unknown>): number {
  return (message.params as { progress: number }).progress;
}

function progressNotificationsOf(exchange: ProxiedExchange): number[] {
  return messagesOf(exchange)
    .filter((message) => message.method === 'notifications/progress')
    .map(progressOf);
}

/** Exchange `i` carries the notifications after cut `i - 1` up to cut `i`; the last one the rest. */
function expectedSlices(cutsAfter: number[], count: number): number[][] {
  const bounds = [0, ...cutsAfter, count];
  return bounds.slice(1).map((end, index) => oneTo(count).slice(bounds[index], end));
}

/** One exchange per cut plus one, each cut where armed, each resumed right after the last message the client had, no id twice. */
function assertCutAsArmed(chain: ProxiedExchange[], cutsAfter: number[]): void {
  assert.equal(
    chain.length,
    cutsAfter.length + 1,
    `one resumption per cut: ${chain.map((exchange) => `${exchange.method} ${exchange.status}`).join(', ')}`,
  );
  assert.deepEqual(
    chain.map((exchange) => exchange.cut),
    [...cutsAfter.map(() => true), false],
    'every exchange but the last was cut by the proxy',
  );
  assert.deepEqual(
    chain.map(progressNotificationsOf),
    expectedSlices(cutsAfter, COUNT),
    'each exchange resumed right after the last message the client had',
  );
  for (const resumed of chain.slice(1)) assert.equal(resumed.method, 'GET');
  const ids = chain.flatMap((exchange) => exchange.events.map((event) => event.id).filter((id): id is string => id !== undefined));
  assert.equal(new Set(ids).size, ids.length, 'no event was sent twice');
}

describe('ResumableStreamableHttpTransport refuses what it cannot serve', () => {
  const SUPPORTED = new RegExp(`supports @rekog/mcp-nest ${SUPPORTED_MCP_NEST_VERSIONS.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);

  test('constructs on the installed @rekog/mcp-nest, as a StreamableHttpTransport, and pins the version it is tested with', () => {
    const standalone = createSseEventStore();
    try {
      const transport = new ResumableStreamableHttpTransport({ store: standalone.store });
      assert.ok(transport instanceof StreamableHttpTransport);
      assert.equal(transport.kind, 'streamable-http');
      assert.equal(SUPPORTED_MCP_NEST_VERSIONS, '~2.0.5');
      const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as {
        peerDependencies: Record<string, string>;
        peerDependenciesMeta: Record<string, { optional?: boolean }>;
      };
      assert.equal(
        manifest.peerDependencies['@rekog/mcp-nest'],
        SUPPORTED_MCP_NEST_VERSIONS,
        'the optional peer is pinned to the tested range',
      );
      assert.equal(manifest.peerDependenciesMeta['@rekog/mcp-nest']?.optional, true);
    } finally {
      standalone.close();
    }
  });

  for (const method of ['handleStateful', 'cleanupSession'] as const) {
    test(`fails at construction, naming what is missing, when StreamableHttpTransport has no ${method}()`, () => {
      const prototype = StreamableHttpTransport.prototype as unknown as Record<string, unknown>;
      const original = Object.getOwnPropertyDescriptor(prototype, method);
      assert.ok(original, `the installed mcp-nest has ${method}`);
      delete prototype[method];
      try {
        assert.throws(
          () => new ResumableStreamableHttpTransport(),
          (error: unknown) => {
            assert.ok(error instanceof Error);
            assert.match(error.message, SUPPORTED);
            assert.match(error.message, new RegExp(`StreamableHttpTransport\\.prototype\\.${method}\\(\\)`));
            assert.match(error.message, /installed @rekog\/mcp-nest 2\.\d+\.\d+/);
            return true;
          },
        );
      } finally {
        Object.defineProperty(prototype, method, original);
      }
      assert.doesNotThrow(() => new ResumableStreamableHttpTransport(), 'restored');
    });
  }

  test("fails at construction when mcp-nest keeps its sessions elsewhere than the 'transports' record", () => {
    // mcp-nest assigns `this.transports = {}` in its constructor: an accessor on the prototype that
    // drops the value stands for a release that renamed the field.
    const prototype = StreamableHttpTransport.prototype as unknown as Record<string, unknown>;
    Object.defineProperty(prototype, 'transports', { configurable: true, get: () => undefined, set: () => undefined });
    try {
      assert.throws(() => new ResumableStreamableHttpTransport(), /supports @rekog\/mcp-nest ~2\.0\.5.*the 'transports' record/s);
    } finally {
      delete prototype.transports;
    }
    assert.doesNotThrow(() => new ResumableStreamableHttpTransport());
  });

  test('refuses stateless mode, JSON answers, a retry interval that is not whole milliseconds, a retry jitter outside 0–1, and a store that is not one', () => {
    assert.throws(() => new ResumableStreamableHttpTransport({ statefulMode: false as unknown as true }), /statefulMode cannot be false/);
    assert.throws(
      () => new ResumableStreamableHttpTransport({ enableJsonResponse: true as unknown as false }),
      /enableJsonResponse cannot be true/,
    );
    assert.throws(() => new ResumableStreamableHttpTransport({ retryInterval: -1 }), /retryInterval must be a whole number/);
    for (const retryJitter of [-0.1, 1.5, Number.NaN, '0.5']) {
      assert.throws(
        () => new ResumableStreamableHttpTransport({ retryJitter: retryJitter as number }),
        /retryJitter must be a number from 0 to 1/,
      );
    }
    assert.throws(
      () => new ResumableStreamableHttpTransport({ store: {} as SseEventStore }),
      /needs an SseEventStore: pass app\.get\(SseEventStore\)/,
    );
    assert.throws(() => new ResumableStreamableHttpTransport().useStore(undefined as unknown as SseEventStore), /needs an SseEventStore/);
  });

  test('fails to start without a store (the application does not start), and on a strategy context without bindRequestHandlers', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [McpNestSampleModule.register({ port: 0 })] })
      .setLogger(new CapturingLogger())
      .compile();
    const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: new CapturingLogger() });
    try {
      const transport = new ResumableStreamableHttpTransport();
      const mcp = new McpStrategy({ name: 'no-store', version: '0.0.0', transports: [transport], logging: false });
      mcp.setHttpAdapter(app.getHttpAdapter());
      app.connectMicroservice({ strategy: mcp });
      await assert.rejects(
        bounded(app.startAllMicroservices(), 'startAllMicroservices'),
        /started without an SseEventStore: pass \{ store: app\.get\(SseEventStore\) \} to its constructor, or call transport\.useStore/,
      );

      // With the store given by useStore(), the check moves on to the strategy's context.
      transport.useStore(app.get(SseEventStore));
      const context = { createServer: () => undefined, logger: new CapturingLogger() } as unknown as McpTransportContext;
      assert.throws(() => transport.start(context), /supports @rekog\/mcp-nest ~2\.0\.5.*McpTransportContext\.bindRequestHandlers\(\)/s);
    } finally {
      await bounded(app.close(), 'app.close()');
    }
  });

  test('the call-stream helpers fail clearly on a context that has no SDK request context', async () => {
    const context = new McpContext([
      undefined as never,
      { method: 'tools/call', params: { name: 'x', _meta: { progressToken: 1 } } } as never,
      { transport: 'streamable-http', stateless: false, era: 'legacy' },
      undefined,
      undefined,
    ]);
    await assert.rejects(
      reportProgressOnCallStream(context, { progress: 1 }),
      /reportProgressOnCallStream needs the SDK request context that @rekog\/mcp-nest ~2\.0\.5/,
    );
    await assert.rejects(logOnCallStream(context, 'info', 'x'), /logOnCallStream needs the SDK request context/);
  });
});

for (const backend of BACKENDS) {
  describe(`@rekog/mcp-nest on ResumableStreamableHttpTransport (sample/mcp-nest), ${backend.name}`, () => {
    let app: SampleProcess;
    let proxy: CuttingProxy;
    const clients: AnyClient[] = [];

    async function connect(line: ClientLine): Promise<AnyClient> {
      const client = await connectClient(line, `${proxy.url}/mcp`);
      clients.push(client);
      return client;
    }

    before(async () => {
      app = await SampleProcess.start({ sample: 'mcp-nest', redisUrl: backend.redisUrl });
      proxy = await CuttingProxy.start(app.url);
    });

    after(async () => {
      await Promise.allSettled(clients.map((client) => client.endSession()));
      await proxy?.close();
      await app?.stop();
    });

    for (const line of CLIENT_LINES) {
      for (const { name, cutsAfter } of CUT_PATTERNS) {
        test(
          `${line} client: a countdown of ${COUNT} progress notifications, its stream cut ${name}: all ${COUNT} once, in order, then the result`,
          TEST_TIMEOUT,
          async (t: TestContext) => {
            const client = await connect(line);
            const chain = new ResumeChain(
              proxy,
              (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'countdown'),
            );
            const cuts = chain.armCuts(cutsAfter);

            const received: (number | 'result')[] = [];
            const progress: { progress: number; total?: number }[] = [];
            const result = await callWithProgress(client, 'countdown', { count: COUNT, intervalMs: INTERVAL_MS }, (entry) => {
              progress.push(entry);
              received.push(entry.progress);
            });
            received.push('result');
            assert.equal(resultText(result), `done ${COUNT}`);
            t.diagnostic(
              `${line} client, ${backend.name}, cut ${name}: delivered ${progress.length}/${COUNT} progress notifications, then the result`,
            );
            assert.deepEqual(received, [...oneTo(COUNT), 'result'], 'every notification once, in order, then the result');
            assert.ok(progress.every((entry) => entry.total === COUNT));
            // The v2 client reports each dropped connection (then resumes); nothing else.
            assert.deepEqual(
              client.errors.map((error) => error.message).filter((message) => !/^SSE stream disconnected/.test(message)),
              [],
              'the client reported no error but the cuts',
            );

            await bounded(cuts, 'the armed cuts', 10_000);
            const exchanges = chain.exchanges();
            assertCutAsArmed(exchanges, cutsAfter);
            assert.equal(exchanges[0].events[0]?.data, '', 'the POST stream opened with a priming event');
            assert.equal(exchanges[0].events[0]?.retry, MCP_NEST_RETRY_INTERVAL_MS, 'with the retry interval');
            const last = messagesOf(exchanges.at(-1)!);
            assert.equal(exchanges.flatMap(messagesOf).filter((message) => 'result' in message).length, 1, 'one result');
            assert.ok('result' in last.at(-1)!, 'the result is the last message, on the last exchange');
          },
        );
      }
    }

    test(
      "no cut: every progress notification goes out on the call's own stream, the last one before the result (v2 and 1.x clients)",
      TEST_TIMEOUT,
      async (t: TestContext) => {
        for (const line of CLIENT_LINES) {
          const client = await connect(line);
          const received: (number | 'result')[] = [];
          const result = await callWithProgress(client, 'countdown', { count: COUNT, intervalMs: 0 }, ({ progress }) =>
            received.push(progress),
          );
          received.push('result');
          assert.equal(resultText(result), `done ${COUNT}`);
          assert.deepEqual(received, [...oneTo(COUNT), 'result'], `${line} client: all ${COUNT} before the result, none dropped`);
          const [post, ...more] = new ResumeChain(
            proxy,
            (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'countdown'),
          ).exchanges();
          assert.deepEqual(more, [], 'no resumption');
          const wire = messagesOf(post).map((message) => ('result' in message ? 'result' : progressOf(message)));
          assert.deepEqual(
            wire,
            [...oneTo(COUNT), 'result'],
            'on the wire: the progress notifications, then the result, on the POST stream',
          );
          const standalone = proxy.exchanges.filter(
            (exchange) => exchange.method === 'GET' && sessionOf(exchange) === client.sessionId && lastEventIdOf(exchange) === undefined,
          );
          assert.deepEqual(standalone.flatMap(messagesOf), [], 'nothing on the standalone GET stream');
          t.diagnostic(`${line} client, ${backend.name}: ${received.length - 1}/${COUNT} progress notifications before the result`);
        }
      },
    );

    test(
      "test_reconnection closes the call's stream before the result; the v2 client gets it by reconnecting after the retry interval",
      TEST_TIMEOUT,
      async () => {
        const client = (await connect('v2')) as McpSdkV2Client;
        const started = Date.now();
        const result = await client.client.callTool({ name: 'test_reconnection', arguments: {} }, { timeout: 30_000 });
        assert.match(resultText(result) ?? '', /completed successfully/);
        const [post, resumed, ...more] = new ResumeChain(
          proxy,
          (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'test_reconnection'),
        ).exchanges();
        assert.ok(post && resumed, 'the call and one resumption');
        assert.deepEqual(more, []);
        assert.equal(post.cut, false, 'the server closed the stream, not the proxy');
        assert.deepEqual(messagesOf(post), [], 'the POST stream ended with its priming event only');
        assert.equal(messagesOf(resumed).filter((message) => 'result' in message).length, 1, 'the result came on the resumed stream');
        assert.ok(Date.now() - started >= MCP_NEST_RETRY_INTERVAL_MS - 50, 'the client waited for the retry interval');
      },
    );

    if (backend.redisUrl) {
      test("DELETE deletes the session's streams from Redis, and no other session's", TEST_TIMEOUT, async (t: TestContext) => {
        const ended = (await connect('v2')) as McpSdkV2Client;
        const other = (await connect('v2')) as McpSdkV2Client;
        for (const client of [ended, other]) {
          await callWithProgress(client, 'countdown', { count: 3, intervalMs: 0 }, () => undefined);
          await client.client.callTool({ name: 'countdown', arguments: { count: 2, intervalMs: 0 } });
        }
        const [endedId, otherId] = [ended.sessionId, other.sessionId];
        const before = (await mcpSessionKeys(SAMPLE_KEY_PREFIX, endedId)).keys;
        assert.ok(
          before.some((key) => /:r1:e:/.test(key)),
          `the session's events are in Redis: ${before.join(', ')}`,
        );
        const otherBefore = (await mcpSessionKeys(SAMPLE_KEY_PREFIX, otherId)).keys;
        assert.ok(otherBefore.some((key) => /:r1:e:/.test(key)));

        await ended.endSession();

        const left = (await mcpSessionKeys(SAMPLE_KEY_PREFIX, endedId)).keys;
        // Only the session's tombstone is left (it makes late writes fail); no stream, no index.
        assert.deepEqual(
          left.filter((key) => !key.endsWith(':r1:d')),
          [],
          'no stream of the session is left in Redis',
        );
        assert.deepEqual((await mcpSessionKeys(SAMPLE_KEY_PREFIX, otherId)).keys, otherBefore, "the other session's keys are untouched");
        t.diagnostic(`Redis keys of the ended session: ${before.length} before DELETE, ${left.length} after (tombstone)`);
      });
    }
  });
}

/** A spying store whose deletions can be held back, to see what waits for them. */
class GatedDeletionStore extends SpyingSseEventStore {
  /** Sessions whose deletion was asked for, held back or not. */
  readonly deletionsStarted: string[] = [];
  private gate?: Promise<void>;

  /** Holds every deletion until the returned function is called. */
  holdDeletions(): () => void {
    let release!: () => void;
    this.gate = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  override async deleteStreamsForSession(sessionId: string): Promise<void> {
    this.deletionsStarted.push(sessionId);
    if (this.gate) await this.gate;
    await super.deleteStreamsForSession(sessionId);
  }
}

describe('the mcp-nest sample in process, on a store the test looks into', () => {
  let app: NestExpressApplication;
  let url: string;
  let closed = false;
  const standalone = createSseEventStore();
  const spy = new GatedDeletionStore(standalone.store);

  before(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [McpNestSampleModule.register({ port: 0 })] })
      .overrideProvider(SseEventStore)
      .useValue(spy)
      .setLogger(new CapturingLogger())
      .compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ forceCloseConnections: true, logger: new CapturingLogger() });
    // As the sample's main.ts: the transport takes app.get(SseEventStore), here the spy.
    await connectMcpNestSample(app);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/mcp`;
  });

  after(async () => {
    if (!closed) await app.close();
    standalone.close();
  });

  const streamsOf = (sessionId: string) => spy.opened.filter((address) => address.sessionId.startsWith(sessionId));

  async function openBusySession(): Promise<McpSdkV2Client> {
    const client = await McpSdkV2Client.connect(url);
    await callWithProgress(client, 'countdown', { count: 2, intervalMs: 0 }, () => undefined);
    await client.client.callTool({ name: 'standalone_countdown', arguments: { count: 2, intervalMs: 0 } });
    // mcp-nest's ctx.log sends without waiting: its standalone stream is in the store once the first one was stored.
    await waitFor(
      () => streamsOf(client.sessionId).some(({ streamId }) => streamId === '_GET_stream'),
      'the standalone stream in the store',
    );
    return client;
  }

  test("DELETE deletes every stream of the session from the store before it is answered, and only that session's", {
    timeout: 30_000,
  }, async () => {
    const ended = await openBusySession();
    const other = await openBusySession();
    try {
      const endedStreams = streamsOf(ended.sessionId);
      assert.ok(endedStreams.length >= 4, `initialize, two calls, standalone: ${JSON.stringify(endedStreams)}`);
      for (const address of endedStreams)
        assert.ok(await standalone.store.getStreamReaderFromStart(address), `${address.streamId} is stored`);

      const release = spy.holdDeletions();
      let answered = false;
      const ending = ended.endSession().then(() => (answered = true));
      try {
        await waitFor(() => spy.deletionsStarted.includes(endedStreams[0].sessionId), 'the deletion to start');
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(answered, false, 'DELETE is not answered while the deletion runs');
      } finally {
        release();
      }
      await bounded(ending, 'the DELETE');

      assert.deepEqual(
        [...new Set(spy.deletedSessions)].sort(),
        [...new Set(endedStreams.map(({ sessionId }) => sessionId))].sort(),
        "the ended session's store sessions were deleted (before DELETE was answered), no other",
      );
      for (const address of endedStreams)
        assert.equal(await standalone.store.getStreamReaderFromStart(address), null, `${address.streamId} is gone`);
      for (const address of streamsOf(other.sessionId))
        assert.ok(await standalone.store.getStreamReaderFromStart(address), 'the other session keeps its streams');
    } finally {
      await other.close();
    }
  });

  test("closing the application (the strategy closes its transport, which closes every session) deletes the open sessions' streams before it is done", {
    timeout: 30_000,
  }, async () => {
    const open = await openBusySession();
    const { sessionId } = open;
    const streams = streamsOf(sessionId);
    assert.ok(streams.length >= 4);
    await open.close(); // the client goes away without DELETE: the session stays open on the server
    assert.ok(!spy.deletedSessions.includes(sessionId));

    closed = true;
    const release = spy.holdDeletions();
    let done = false;
    const closing = app.close().then(() => (done = true));
    try {
      await waitFor(() => spy.deletionsStarted.includes(sessionId), 'the deletion to start');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(done, false, 'the application does not finish closing while the deletion runs');
    } finally {
      release();
    }
    await bounded(closing, 'app.close()');

    assert.ok(spy.deletedSessions.includes(sessionId), 'the session was deleted when the transport closed');
    for (const address of streams)
      assert.equal(await standalone.store.getStreamReaderFromStart(address), null, `${address.streamId} is gone`);
  });
});

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { EventStore as V1EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage as V1Message } from '@modelcontextprotocol/sdk/types.js';
import { SdkHttpError } from '@modelcontextprotocol/client';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { EventStore as V2EventStore, JSONRPCMessage as V2Message } from '@modelcontextprotocol/server';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { SseEventStore } from '../../lib';
import { type McpJsonRpcMessage, type McpReplayTarget, McpSessionEventStore, type McpStoredMessage } from '../../lib/mcp';
import { createSseEventStore } from '../../lib/testing';
import { AppModule } from '../../sample/app.module';
import { MCP_RETRY_INTERVAL_MS as MCP_V2_RETRY_INTERVAL_MS } from '../../sample/mcp/mcp-session-registry';
import { waitFor } from '../support/async';
import { bounded } from '../support/bounded';
import { REDIS_URL } from '../support/caches';
import { type McpSessionKeys, mcpSessionKeys } from '../support/mcp-session-keys';
import { SAMPLE_KEY_PREFIX } from '../support/sample-environment';
import { CapturingLogger } from '../support/capturing-logger';
import { CuttingProxy, type ProxiedExchange } from '../support/cutting-proxy';
import {
  PROTOCOL_2025_11_25,
  hasResponseTo,
  initializeSession,
  mcpRequest,
  toolCall,
  type WireAnswer,
  type WireEvent,
} from '../support/mcp-http';
import { McpSdkClient, oneTo, resultText } from '../support/mcp-sdk-client';
import { McpSdkV2Client } from '../support/mcp-sdk-v2-client';
import { isToolCall, lastEventIdOf, messagesOf, ResumeChain, sessionOf } from '../support/resume-chain';
import { SampleProcess } from '../support/sample-process';
import { SpyingSseEventStore } from '../support/spying-sse-event-store';

/**
 * The MCP TypeScript SDK v2 on McpSessionEventStore: the sample's `/mcp-v2` endpoint
 * (`NodeStreamableHTTPServerTransport` of `@modelcontextprotocol/node`, `McpServer` of
 * `@modelcontextprotocol/server`), run as a real process, in memory and on Redis, driven by the
 * official v2 client (`@modelcontextprotocol/client`) through a proxy that drops connections
 * mid-stream. Plus the two SDK lines against each other's endpoint, on the same store.
 */

const TEST_TIMEOUT = { timeout: 90_000 };
/** The countdowns' length: every test delivers this many notifications. */
const COUNT = 20;
/** Between two notifications: long enough that resumptions meet both stored and live messages. */
const INTERVAL_MS = 100;
/** How long a test waits, after the last expected message, for a duplicate that must not come. */
const SETTLE_MS = 500;

/** Where the proxy drops the stream: after these messages, counted over the whole stream. */
const CUT_PATTERNS: { name: string; cutsAfter: number[] }[] = [
  { name: 'after the 1st', cutsAfter: [1] },
  { name: 'after the 7th', cutsAfter: [7] },
  { name: 'after the 7th and the 14th', cutsAfter: [7, 14] },
  { name: 'after every third', cutsAfter: [3, 6, 9, 12, 15, 18] },
];

const BACKENDS: { name: string; redisUrl?: string }[] = [
  { name: 'in memory', redisUrl: undefined },
  { name: 'on Redis', redisUrl: REDIS_URL },
];

type Message = Record<string, unknown>;

function progressOf(message: Message): number {
  return (message.params as { progress: number }).progress;
}

function tickOf(message: Message): number {
  return (message.params as { data: { progress: number } }).data.progress;
}

/** Every event id the chain's exchanges forwarded, priming events included. */
function eventIdsOf(chain: ProxiedExchange[]): string[] {
  return chain.flatMap((exchange) => exchange.events.map((event) => event.id).filter((id): id is string => id !== undefined));
}

/**
 * What each exchange of a chain must carry when the stream was cut after `cutsAfter`: exchange `i`
 * the messages after cut `i - 1` up to cut `i`, the last one the rest.
 */
function expectedSlices(cutsAfter: number[], count: number): number[][] {
  const bounds = [0, ...cutsAfter, count];
  return bounds.slice(1).map((end, index) => oneTo(count).slice(bounds[index], end));
}

/** The checks every cut stream passes: one exchange per cut plus one, each cut where armed, no id twice. */
function assertCutAsArmed(chain: ProxiedExchange[], cutsAfter: number[], notificationsOf: (exchange: ProxiedExchange) => number[]): void {
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
    chain.map(notificationsOf),
    expectedSlices(cutsAfter, COUNT),
    'each exchange resumed right after the last message the client had',
  );
  for (const resumed of chain.slice(1)) assert.equal(resumed.method, 'GET');
  const ids = eventIdsOf(chain);
  assert.equal(new Set(ids).size, ids.length, 'no event was sent twice');
}

describe('McpSessionEventStore as the SDK v2 EventStore', () => {
  test('is an EventStore of both SDK lines (checked by the compiler), and the v2 transport takes it', () => {
    const store = createSseEventStore();
    try {
      const adapter = new McpSessionEventStore(store.store, 'typed');
      const asV2: V2EventStore = adapter;
      const asV1: V1EventStore = adapter;
      // The messages each SDK stores are ones the adapter takes, and the adapter replays messages each SDK sends.
      const fromV2: McpStoredMessage = {} as V2Message;
      const fromV1: McpStoredMessage = {} as V1Message;
      const toV2: V2Message = { jsonrpc: '2.0', method: 'notifications/message' } satisfies McpJsonRpcMessage;
      const replayTarget: McpReplayTarget = { send: async (_id: string, _message: V2Message) => undefined };
      assert.ok(fromV2 && fromV1 && toV2 && replayTarget);
      for (const sdkStore of [asV2, asV1]) {
        assert.equal(typeof sdkStore.storeEvent, 'function');
        assert.equal(typeof sdkStore.replayEventsAfter, 'function');
        assert.equal(typeof sdkStore.getStreamIdForEventId, 'function');
      }
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => 'typed',
        eventStore: asV2,
        retryInterval: 1_000,
      });
      assert.equal(typeof transport.closeSSEStream, 'function');
    } finally {
      store.close();
    }
  });
});

for (const backend of BACKENDS) {
  describe(`the sample's SDK v2 MCP endpoint (/mcp-v2), ${backend.name}, with the official v2 client`, () => {
    let app: SampleProcess;
    let proxy: CuttingProxy;
    let endpoint: string;
    let proxied: string;
    const clients: (McpSdkV2Client | McpSdkClient)[] = [];

    async function connect(path = '/mcp-v2'): Promise<McpSdkV2Client> {
      const client = await McpSdkV2Client.connect(`${proxy.url}${path}`);
      clients.push(client);
      return client;
    }

    function standaloneOf(sessionId: string): (exchange: ProxiedExchange) => boolean {
      return (exchange) => exchange.method === 'GET' && sessionOf(exchange) === sessionId && lastEventIdOf(exchange) === undefined;
    }

    before(async () => {
      app = await SampleProcess.start({ redisUrl: backend.redisUrl });
      proxy = await CuttingProxy.start(app.url);
      endpoint = `${app.url}/mcp-v2`;
      proxied = `${proxy.url}/mcp-v2`;
    });

    after(async () => {
      await Promise.allSettled(clients.map((client) => client.endSession()));
      await proxy?.close();
      await app?.stop();
    });

    for (const { name, cutsAfter } of CUT_PATTERNS) {
      test(
        `a countdown of ${COUNT} progress notifications, its POST stream cut ${name}: all ${COUNT} once, in order, then the result`,
        TEST_TIMEOUT,
        async (t: TestContext) => {
          const client = await connect();
          const chain = new ResumeChain(proxy, (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'countdown'));
          const cuts = chain.armCuts(cutsAfter);

          const progress: { progress: number; total?: number }[] = [];
          const result = await client.client.callTool(
            { name: 'countdown', arguments: { count: COUNT, intervalMs: INTERVAL_MS } },
            { onprogress: ({ progress: value, total }) => progress.push({ progress: value, total }), timeout: 60_000 },
          );
          assert.equal(resultText(result), `done ${COUNT}`);
          assert.deepEqual(
            progress.map((entry) => entry.progress),
            oneTo(COUNT),
            'every notification once, in order',
          );
          assert.ok(progress.every((entry) => entry.total === COUNT));

          await bounded(cuts, 'the armed cuts', 10_000);
          const exchanges = chain.exchanges();
          assertCutAsArmed(exchanges, cutsAfter, (exchange) =>
            messagesOf(exchange)
              .filter((message) => message.method === 'notifications/progress')
              .map(progressOf),
          );
          assert.equal(exchanges[0].events[0]?.data, '', 'the POST stream opened with a priming event');
          assert.equal(exchanges[0].events[0]?.retry, MCP_V2_RETRY_INTERVAL_MS, 'with the retry interval');
          const results = exchanges.flatMap(messagesOf).filter((message) => 'result' in message);
          assert.equal(results.length, 1, 'one result, on the last exchange');
          assert.ok(messagesOf(exchanges.at(-1)!).some((message) => 'result' in message));
          assert.deepEqual(
            messagesOf(exchanges.at(-1)!)
              .map((message) => ('result' in message ? 'result' : message.method))
              .at(-1),
            'result',
            'the result after the last notification',
          );
          t.diagnostic(
            `delivered ${progress.length}/${COUNT} progress notifications and the result; ${exchanges.length - 1} resumption(s)`,
          );
        },
      );
    }

    for (const { name, cutsAfter } of CUT_PATTERNS) {
      test(
        `the standalone GET stream, ${COUNT} log messages, cut ${name}: all ${COUNT} once, in order`,
        TEST_TIMEOUT,
        async (t: TestContext) => {
          const client = await connect();
          // The client opens the standalone stream by itself after initialisation; messages sent before
          // it is open are only stored (the SDK sends no priming event on GET streams).
          await waitFor(
            () => proxy.exchanges.some((exchange) => standaloneOf(client.sessionId)(exchange) && exchange.status === 200),
            'the standalone GET stream',
          );
          const chain = new ResumeChain(proxy, standaloneOf(client.sessionId));
          const cuts = chain.armCuts(cutsAfter);

          const result = await client.client.callTool(
            { name: 'standalone_countdown', arguments: { count: COUNT, intervalMs: INTERVAL_MS } },
            { timeout: 60_000 },
          );
          assert.equal(resultText(result), `done ${COUNT}`);
          const ticks = await client.waitForTicks('standalone_countdown', COUNT, 30_000);
          await bounded(cuts, 'the armed cuts', 10_000);
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          assert.deepEqual(
            client.ticksOf('standalone_countdown').map((tick) => tick.progress),
            oneTo(COUNT),
            'every message once, in order',
          );
          assert.ok(ticks.every((tick) => tick.total === COUNT));

          assertCutAsArmed(chain.exchanges(), cutsAfter, (exchange) => messagesOf(exchange).map(tickOf));
          t.diagnostic(
            `delivered ${client.ticksOf('standalone_countdown').length}/${COUNT} log messages; ${chain.exchanges().length - 1} resumption(s)`,
          );
        },
      );
    }

    test(
      "test_reconnection closes the call's stream before the result (closeSSE); the v2 client gets it by reconnecting",
      TEST_TIMEOUT,
      async () => {
        const client = await connect();
        const started = Date.now();
        const result = await client.client.callTool({ name: 'test_reconnection', arguments: {} }, { timeout: 30_000 });
        assert.match(resultText(result) ?? '', /completed successfully/);
        const chain = new ResumeChain(
          proxy,
          (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'test_reconnection'),
        );
        const [post, resumed, ...more] = chain.exchanges();
        assert.ok(post && resumed, 'the call and one resumption');
        assert.deepEqual(more, []);
        await bounded(post.closed, 'the end of the POST stream', 10_000);
        assert.equal(post.cut, false, 'the server closed the stream, not the proxy');
        assert.deepEqual(messagesOf(post), [], 'the POST stream ended with its priming event only, before the result');
        assert.equal(post.events[0]?.retry, MCP_V2_RETRY_INTERVAL_MS);
        assert.equal(messagesOf(resumed).filter((message) => 'result' in message).length, 1, 'the result came on the resumed stream');
        assert.ok(Date.now() - started >= MCP_V2_RETRY_INTERVAL_MS - 50, 'the client waited for the retry interval before reconnecting');
      },
    );

    test("another session's event id is refused (400) and replays nothing, POST or standalone stream", TEST_TIMEOUT, async () => {
      const a = await initializeSession(endpoint, PROTOCOL_2025_11_25);
      const b = await connect();
      try {
        // Session A: three log messages on its standalone stream, and a countdown on a POST stream.
        const aStandalone = mcpRequest(proxied, {
          method: 'GET',
          sessionId: a.sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          until: (events) => events.length >= 3,
        });
        await waitFor(
          () => proxy.exchanges.some((exchange) => standaloneOf(a.sessionId)(exchange) && exchange.status === 200),
          "session A's standalone stream",
        );
        const call = await mcpRequest(endpoint, {
          sessionId: a.sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          message: toolCall(1, 'standalone_countdown', { count: 3, intervalMs: 0 }),
          until: hasResponseTo(1),
        });
        assert.equal(call.status, 200);
        const standaloneIds = (await aStandalone).events.map((event) => event.id!);
        const countdown = await mcpRequest(endpoint, {
          sessionId: a.sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          message: toolCall(2, 'countdown', { count: 3, intervalMs: 0 }),
          until: hasResponseTo(2),
        });
        const postIds = countdown.events.map((event) => event.id!);
        assert.equal(standaloneIds.length, 3);
        assert.equal(postIds.length, 5, 'priming event, three log messages, result');

        for (const foreignId of [standaloneIds[0], postIds[0], postIds[1], postIds[3]]) {
          const refused = await mcpRequest(endpoint, {
            method: 'GET',
            sessionId: b.sessionId,
            protocolVersion: PROTOCOL_2025_11_25,
            lastEventId: foreignId,
            until: () => true,
          });
          assert.equal(refused.status, 400, `B presenting ${foreignId}`);
          assert.doesNotMatch(refused.contentType ?? '', /event-stream/);
          assert.equal(refused.events.length, 0);
          assert.doesNotMatch(refused.body, /notifications\/message|"result"/, 'nothing of session A in the refusal');
        }
        // The v2 client of session B, told to resume from A's id, is refused the same way and gets nothing.
        const receivedBefore = b.logMessages.length;
        await assert.rejects(b.transport.resumeStream(postIds[1]), (error: unknown) => {
          assert.ok(error instanceof SdkHttpError, String(error));
          assert.equal(error.status, 400, String(error));
          return true;
        });
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        assert.equal(b.logMessages.length, receivedBefore, "B received none of A's messages");

        // The same ids resume in their own session: the refusal is about the session, not the id.
        let ownPost: WireAnswer | undefined;
        await waitFor(async () => {
          ownPost = await mcpRequest(endpoint, {
            method: 'GET',
            sessionId: a.sessionId,
            protocolVersion: PROTOCOL_2025_11_25,
            lastEventId: postIds[1],
            until: hasResponseTo(2),
          });
          return ownPost.status !== 409;
        }, 'the POST stream to be released');
        assert.equal(ownPost!.status, 200);
        assert.deepEqual(
          ownPost!.events.map((event: WireEvent) => event.id),
          postIds.slice(2),
        );
      } finally {
        await mcpRequest(endpoint, { method: 'DELETE', sessionId: a.sessionId, protocolVersion: PROTOCOL_2025_11_25 });
      }
    });

    test('DELETE ends the session and deletes its streams: its requests and event ids get 404', TEST_TIMEOUT, async (t: TestContext) => {
      const client = await McpSdkV2Client.connect(endpoint);
      const ids: string[] = [];
      const result = await client.client.callTool({ name: 'countdown', arguments: { count: 3, intervalMs: 0 } });
      assert.equal(resultText(result), 'done 3');
      await client.client.callTool({ name: 'standalone_countdown', arguments: { count: 2, intervalMs: 0 } });
      await client.waitForTicks('standalone_countdown', 2);
      const { sessionId } = client;
      const call = await mcpRequest(endpoint, {
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        message: toolCall(99, 'countdown', { count: 2, intervalMs: 0 }),
        until: hasResponseTo(99),
      });
      ids.push(...call.events.map((event) => event.id!));
      let stored: McpSessionKeys | undefined;
      if (backend.redisUrl) {
        stored = await mcpSessionKeys(SAMPLE_KEY_PREFIX, sessionId);
        assert.ok(
          stored.keys.some((key) => /:r1:e:/.test(key)),
          `the session's events are in Redis: ${stored.keys.join(', ')}`,
        );
      }

      await client.endSession();

      const resumed = await mcpRequest(endpoint, { method: 'GET', sessionId, protocolVersion: PROTOCOL_2025_11_25, lastEventId: ids[1] });
      assert.equal(resumed.status, 404);
      const again = await mcpRequest(endpoint, {
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        message: toolCall(100, 'countdown', { count: 1, intervalMs: 0 }),
      });
      assert.equal(again.status, 404);
      if (backend.redisUrl) {
        const left = await mcpSessionKeys(SAMPLE_KEY_PREFIX, sessionId);
        // Only the session's tombstone is left (it makes late writes fail); no stream, no index.
        assert.deepEqual(
          left.keys.filter((key) => !key.endsWith(':r1:d')),
          [],
          'no stream of the session is left in Redis',
        );
        t.diagnostic(`Redis keys of the session: ${stored!.keys.length} before DELETE, ${left.keys.length} after (tombstones)`);
      }
    });

    test(
      'the SDK lines interoperate on the store: the 1.x client on /mcp-v2 and the v2 client on /mcp, a cut each',
      TEST_TIMEOUT,
      async (t: TestContext) => {
        for (const pairing of ['1.x client on /mcp-v2', 'v2 client on /mcp'] as const) {
          const client: McpSdkClient | McpSdkV2Client =
            pairing === '1.x client on /mcp-v2' ? await McpSdkClient.connect(`${proxy.url}/mcp-v2`) : await connect('/mcp');
          if (client instanceof McpSdkClient) clients.push(client);
          const chain = new ResumeChain(proxy, (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'countdown'));
          const cuts = chain.armCuts([7]);
          const progress: number[] = [];
          const onprogress = ({ progress: value }: { progress: number }): void => void progress.push(value);
          const params = { name: 'countdown', arguments: { count: COUNT, intervalMs: INTERVAL_MS } };
          const result =
            client instanceof McpSdkClient
              ? await client.client.callTool(params, undefined, { onprogress, timeout: 60_000 })
              : await client.client.callTool(params, { onprogress, timeout: 60_000 });
          assert.equal(resultText(result), `done ${COUNT}`, pairing);
          assert.deepEqual(progress, oneTo(COUNT), `${pairing}: every notification once, in order`);
          await bounded(cuts, 'the armed cuts', 10_000);
          assertCutAsArmed(chain.exchanges(), [7], (exchange) =>
            messagesOf(exchange)
              .filter((message) => message.method === 'notifications/progress')
              .map(progressOf),
          );
          t.diagnostic(`${pairing}: delivered ${progress.length}/${COUNT} progress notifications and the result across 1 cut`);
        }
      },
    );
  });
}

describe("the sample's /mcp-v2 in process, on a store the test looks into", () => {
  test("DELETE deletes every stream of the session from the store, and only that session's", { timeout: 30_000 }, async () => {
    const store = createSseEventStore();
    const spy = new SpyingSseEventStore(store.store);
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ port: 0 })] })
      .overrideProvider(SseEventStore)
      .useValue(spy)
      .setLogger(new CapturingLogger())
      .compile();
    // As the sample's main.ts configures it.
    const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, forceCloseConnections: true });
    app.useBodyParser('json');
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/mcp-v2`;
      const ended = await McpSdkV2Client.connect(url);
      const other = await McpSdkV2Client.connect(url);
      try {
        for (const client of [ended, other]) {
          await client.client.callTool({ name: 'countdown', arguments: { count: 2, intervalMs: 0 } });
          await client.client.callTool({ name: 'standalone_countdown', arguments: { count: 2, intervalMs: 0 } });
          await client.waitForTicks('standalone_countdown', 2);
        }
        const streamsOf = (client: McpSdkV2Client) => spy.opened.filter(({ sessionId }) => sessionId.startsWith(client.sessionId));
        const endedStreams = streamsOf(ended);
        assert.ok(endedStreams.length >= 4, `initialize, two calls, standalone: ${JSON.stringify(endedStreams)}`);
        assert.ok(endedStreams.some(({ streamId }) => streamId === '_GET_stream'));
        for (const address of endedStreams) assert.ok(await store.store.getStreamReaderFromStart(address), `${address.streamId} is stored`);

        await ended.endSession();

        assert.deepEqual(
          [...new Set(spy.deletedSessions)].sort(),
          [...new Set(endedStreams.map(({ sessionId }) => sessionId))].sort(),
          "the ended session's store sessions were deleted, no other",
        );
        for (const address of endedStreams)
          assert.equal(await store.store.getStreamReaderFromStart(address), null, `${address.streamId} is gone`);
        for (const address of streamsOf(other))
          assert.ok(await store.store.getStreamReaderFromStart(address), 'the other session keeps its streams');
      } finally {
        await other.endSession().catch(() => undefined);
      }
    } finally {
      await app.close();
      store.close();
    }
  });
});

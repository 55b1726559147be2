import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/async';
import { CuttingProxy, type ForwardedEvent, type ProxiedExchange } from '../support/cutting-proxy';
import {
  PROTOCOL_2025_03_26,
  PROTOCOL_2025_11_25,
  deleteMcpSession,
  hasResponseTo,
  initializeSession,
  mcpRequest,
  messagesOf,
  toolCall,
  type WireAnswer,
  type WireEvent,
} from '../support/mcp-http';
import { McpSdkClient, oneTo, resultText } from '../support/mcp-sdk-client';
import { SampleProcess } from '../support/sample-process';

/**
 * The sample's MCP endpoint as a real process, driven over real HTTP by the official SDK client
 * and by plain fetch, through a proxy that can drop a connection mid-stream.
 */

const TEST_TIMEOUT = { timeout: 60_000 };
/** The `retry` interval the sample sends with priming events. */
const SAMPLE_RETRY_MS = 1_000;

function sessionOf(exchange: ProxiedExchange): string | undefined {
  const header = exchange.requestHeaders['mcp-session-id'];
  return typeof header === 'string' ? header : undefined;
}

function lastEventIdOf(exchange: ProxiedExchange): string | undefined {
  const header = exchange.requestHeaders['last-event-id'];
  return typeof header === 'string' ? header : undefined;
}

function isToolCall(exchange: ProxiedExchange, name: string): boolean {
  if (exchange.method !== 'POST') return false;
  try {
    const message = JSON.parse(exchange.requestBody) as { method?: string; params?: { name?: string } };
    return message.method === 'tools/call' && message.params?.name === name;
  } catch {
    return false;
  }
}

function parsed(events: ForwardedEvent[] | WireEvent[]): Record<string, unknown>[] {
  return messagesOf(events as WireEvent[]);
}

function progressOf(message: Record<string, unknown>): number {
  return (message.params as { progress: number }).progress;
}

describe('the sample MCP endpoint', () => {
  let app: SampleProcess;
  let proxy: CuttingProxy;
  let endpoint: string;
  let proxied: string;
  const clients: McpSdkClient[] = [];

  async function connect(): Promise<McpSdkClient> {
    const client = await McpSdkClient.connect(proxied);
    clients.push(client);
    return client;
  }

  /** Resumes after `lastEventId`, waiting while the server still holds the previous connection of the stream (409). */
  async function resume(sessionId: string, lastEventId: string, until: (events: WireEvent[]) => boolean): Promise<WireAnswer> {
    let answer: WireAnswer | undefined;
    await waitFor(async () => {
      answer = await mcpRequest(endpoint, { method: 'GET', sessionId, protocolVersion: PROTOCOL_2025_11_25, lastEventId, until });
      return answer.status !== 409;
    }, 'the previous connection of the stream to be released');
    return answer!;
  }

  before(async () => {
    app = await SampleProcess.start();
    proxy = await CuttingProxy.start(app.url);
    endpoint = `${app.url}/mcp`;
    proxied = `${proxy.url}/mcp`;
  });

  after(async () => {
    await Promise.allSettled(clients.map((client) => client.endSession()));
    await proxy?.close();
    await app?.stop();
  });

  test(
    'a countdown whose POST stream is cut mid-way resumes with Last-Event-ID: each progress notification once, in order, then the result',
    TEST_TIMEOUT,
    async () => {
      const client = await connect();
      const cut = proxy.cutAfter({
        match: (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'countdown'),
        afterEvents: 4,
      });
      const progress: { progress: number; total?: number }[] = [];
      const result = await client.client.callTool({ name: 'countdown', arguments: { count: 25, intervalMs: 40 } }, undefined, {
        onprogress: ({ progress: value, total }) => progress.push({ progress: value, total }),
        timeout: 30_000,
      });

      assert.equal(resultText(result), 'done 25');
      assert.deepEqual(
        progress.map((entry) => entry.progress),
        oneTo(25),
      );
      assert.ok(
        progress.every((entry) => entry.total === 25),
        'every notification carries the total',
      );

      // The connection really was dropped after the 4th notification, and the client resumed from there.
      const dropped = await cut;
      assert.deepEqual(parsed(dropped.events).map(progressOf), [1, 2, 3, 4]);
      assert.equal(dropped.events[0].data, '', 'the POST stream opened with a priming event');
      const lastSeen = dropped.events.at(-1)!.id;
      assert.ok(lastSeen);
      const resumed = proxy.exchanges.filter((exchange) => exchange.method === 'GET' && lastEventIdOf(exchange) === lastSeen);
      assert.equal(resumed.length, 1, 'one resumption with the last id the client saw');
      assert.equal(resumed[0].status, 200);
      const afterCut = parsed(resumed[0].events);
      assert.deepEqual(afterCut.filter((message) => message.method === 'notifications/progress').map(progressOf), oneTo(25).slice(4));
      assert.equal(afterCut.filter((message) => 'result' in message).length, 1, 'the result came on the resumed stream');
      const ids = [...dropped.events, ...resumed[0].events].map((event) => event.id);
      assert.equal(new Set(ids).size, ids.length, 'no event was sent twice');
    },
  );

  test('the standalone GET stream, cut mid-way, resumes with Last-Event-ID: each log message once, in order', TEST_TIMEOUT, async () => {
    const client = await connect();
    const isStandalone = (exchange: ProxiedExchange): boolean =>
      exchange.method === 'GET' && sessionOf(exchange) === client.sessionId && lastEventIdOf(exchange) === undefined;
    // The SDK opens the standalone stream by itself after initialisation; events sent before it is
    // open would only be stored (the SDK sends no priming event on GET streams).
    await waitFor(() => proxy.exchanges.some((exchange) => isStandalone(exchange) && exchange.status === 200), 'the standalone GET stream');
    const cut = proxy.cutAfter({ match: isStandalone, afterEvents: 3 });

    const result = await client.client.callTool({ name: 'standalone_countdown', arguments: { count: 20, intervalMs: 40 } });
    assert.equal(resultText(result), 'done 20');
    const ticks = await client.waitForTicks('standalone_countdown', 20);
    assert.deepEqual(
      ticks.map((tick) => tick.progress),
      oneTo(20),
    );
    assert.ok(ticks.every((tick) => tick.total === 20));

    const dropped = await cut;
    assert.deepEqual(
      parsed(dropped.events).map((message) => (message.params as { data: { progress: number } }).data.progress),
      [1, 2, 3],
    );
    const lastSeen = dropped.events.at(-1)!.id;
    const resumed = proxy.exchanges.filter((exchange) => exchange.method === 'GET' && lastEventIdOf(exchange) === lastSeen);
    assert.equal(resumed.length, 1, 'one resumption with the last id the client saw');
    assert.equal(resumed[0].status, 200);
    // Nothing more arrives later (a duplicate would).
    assert.equal(client.ticksOf('standalone_countdown').length, 20);
  });

  test(
    'a Last-Event-ID of session A is refused to session B (400) and replays nothing, POST or standalone stream',
    TEST_TIMEOUT,
    async () => {
      const a = await initializeSession(proxied, PROTOCOL_2025_11_25);
      const b = await initializeSession(proxied, PROTOCOL_2025_11_25);
      try {
        // Session A: three log messages on its standalone stream, and a countdown on a POST stream.
        const aStandalone = mcpRequest(proxied, {
          method: 'GET',
          sessionId: a.sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          until: (events) => events.length >= 3,
        });
        await waitFor(
          () =>
            proxy.exchanges.some((exchange) => exchange.method === 'GET' && sessionOf(exchange) === a.sessionId && exchange.status === 200),
          "session A's standalone stream",
        );
        const call = await mcpRequest(proxied, {
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

        for (const foreignId of [standaloneIds[0], postIds[0], postIds[1]]) {
          const refused = await mcpRequest(endpoint, {
            method: 'GET',
            sessionId: b.sessionId,
            protocolVersion: PROTOCOL_2025_11_25,
            lastEventId: foreignId,
            // A stream would stay open: take what the answer starts with.
            until: () => true,
          });
          assert.equal(refused.status, 400, `B presenting ${foreignId}`);
          assert.doesNotMatch(refused.contentType ?? '', /event-stream/);
          assert.equal(refused.events.length, 0);
          assert.doesNotMatch(refused.body, /notifications\/message|"result"/, 'nothing of session A in the refusal');
        }
        for (const garbage of ['not-an-event-id', `${postIds[1]}x`]) {
          const refused = await mcpRequest(endpoint, {
            method: 'GET',
            sessionId: b.sessionId,
            protocolVersion: PROTOCOL_2025_11_25,
            lastEventId: garbage,
            until: () => true,
          });
          assert.equal(refused.status, 400, `B presenting ${garbage}`);
        }

        // The same ids resume in their own session: the refusal is about the session, not the id.
        const ownStandalone = await resume(a.sessionId, standaloneIds[0], (events) => events.length >= 2);
        assert.equal(ownStandalone.status, 200);
        assert.deepEqual(
          ownStandalone.events.map((event) => event.id),
          standaloneIds.slice(1),
        );
        const ownPost = await resume(a.sessionId, postIds[1], hasResponseTo(2));
        assert.equal(ownPost.status, 200);
        assert.deepEqual(
          ownPost.events.map((event) => event.id),
          postIds.slice(2),
        );
      } finally {
        await deleteMcpSession(endpoint, a.sessionId);
        await deleteMcpSession(endpoint, b.sessionId);
      }
    },
  );

  test("two sessions' standalone streams (both named _GET_stream by the SDK) never mix, live or resumed", TEST_TIMEOUT, async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    const standaloneOf = (client: McpSdkClient) => (exchange: ProxiedExchange) =>
      exchange.method === 'GET' && sessionOf(exchange) === client.sessionId && lastEventIdOf(exchange) === undefined;
    for (const client of [a, b]) {
      await waitFor(
        () => proxy.exchanges.some((exchange) => standaloneOf(client)(exchange) && exchange.status === 200),
        'the standalone streams',
      );
    }
    const cuts = [a, b].map((client) => proxy.cutAfter({ match: standaloneOf(client), afterEvents: 2 }));

    const [resultA, resultB] = await Promise.all([
      a.client.callTool({ name: 'standalone_countdown', arguments: { count: 6, intervalMs: 30 } }),
      b.client.callTool({ name: 'standalone_countdown', arguments: { count: 9, intervalMs: 20 } }),
    ]);
    assert.equal(resultText(resultA), 'done 6');
    assert.equal(resultText(resultB), 'done 9');
    const ticksA = await a.waitForTicks('standalone_countdown', 6);
    const ticksB = await b.waitForTicks('standalone_countdown', 9);
    assert.deepEqual(
      ticksA,
      oneTo(6).map((progress) => ({ progress, total: 6 })),
    );
    assert.deepEqual(
      ticksB,
      oneTo(9).map((progress) => ({ progress, total: 9 })),
    );

    // Both streams were cut and resumed, each from its own last id.
    for (const [client, cut] of [
      [a, cuts[0]],
      [b, cuts[1]],
    ] as const) {
      const dropped = await cut;
      const resumed = proxy.exchanges.filter(
        (exchange) =>
          exchange.method === 'GET' && sessionOf(exchange) === client.sessionId && lastEventIdOf(exchange) === dropped.events.at(-1)!.id,
      );
      assert.equal(resumed.length, 1);
      assert.equal(resumed[0].status, 200);
    }
    assert.equal(a.ticksOf('standalone_countdown').length, 6);
    assert.equal(b.ticksOf('standalone_countdown').length, 9);
  });

  test('clients on protocol 2025-03-26 get no priming event; clients on 2025-11-25 get one first, with retry', TEST_TIMEOUT, async () => {
    const old = await initializeSession(endpoint, PROTOCOL_2025_03_26);
    const current = await initializeSession(endpoint, PROTOCOL_2025_11_25);
    try {
      const oldCall = await mcpRequest(endpoint, {
        sessionId: old.sessionId,
        protocolVersion: PROTOCOL_2025_03_26,
        message: toolCall(1, 'countdown', { count: 3, intervalMs: 0 }),
        until: hasResponseTo(1),
      });
      for (const events of [old.events, oldCall.events]) {
        assert.ok(events.length > 0);
        assert.deepEqual(
          events.filter((event) => event.data === ''),
          [],
          'no event with empty data',
        );
        assert.ok(
          events.every((event) => event.retry === undefined),
          'no retry field',
        );
        assert.ok(
          events.every((event) => event.id !== undefined),
          'every message still has an id to resume from',
        );
      }
      assert.deepEqual(
        parsed(oldCall.events).map((message) => message.method ?? 'result'),
        ['notifications/message', 'notifications/message', 'notifications/message', 'result'],
      );

      const currentCall = await mcpRequest(endpoint, {
        sessionId: current.sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        message: toolCall(1, 'countdown', { count: 3, intervalMs: 0 }),
        until: hasResponseTo(1),
      });
      for (const events of [current.events, currentCall.events]) {
        assert.equal(events[0].data, '', 'the first event is a priming event');
        assert.ok(events[0].id);
        assert.equal(events[0].retry, SAMPLE_RETRY_MS);
        assert.equal(events.filter((event) => event.data === '').length, 1);
      }
    } finally {
      await deleteMcpSession(endpoint, old.sessionId, PROTOCOL_2025_03_26);
      await deleteMcpSession(endpoint, current.sessionId);
    }
  });

  test(
    "test_reconnection closes the call's stream before the result; the SDK client gets it by reconnecting with Last-Event-ID",
    TEST_TIMEOUT,
    async () => {
      const client = await connect();
      const result = await client.client.callTool({ name: 'test_reconnection', arguments: {} });
      assert.match(resultText(result) ?? '', /completed successfully/);

      const post = proxy.exchanges.find(
        (exchange) => sessionOf(exchange) === client.sessionId && isToolCall(exchange, 'test_reconnection'),
      );
      assert.ok(post);
      await post.closed;
      assert.equal(post.cut, false, 'the server closed the stream, not the proxy');
      assert.deepEqual(parsed(post.events), [], 'the POST stream ended with its priming event only, before the result');
      const resumed = proxy.exchanges.filter((exchange) => exchange.method === 'GET' && lastEventIdOf(exchange) === post.events.at(-1)!.id);
      assert.equal(resumed.length, 1);
      assert.equal(parsed(resumed[0].events).filter((message) => 'result' in message).length, 1);
    },
  );

  test(
    'test_reconnection with a 2025-03-26 client (no priming event): an event id, the stream closes, the result comes on resumption',
    TEST_TIMEOUT,
    async () => {
      const session = await initializeSession(endpoint, PROTOCOL_2025_03_26);
      try {
        const call = await mcpRequest(endpoint, {
          sessionId: session.sessionId,
          protocolVersion: PROTOCOL_2025_03_26,
          message: toolCall(7, 'test_reconnection'),
        });
        assert.equal(call.status, 200);
        assert.equal(hasResponseTo(7)(call.events), false, 'the stream ended before the result');
        const lastId = call.events.at(-1)?.id;
        assert.ok(lastId, 'the client got an event id before the stream closed');

        let resumed: WireAnswer | undefined;
        await waitFor(async () => {
          resumed = await mcpRequest(endpoint, {
            method: 'GET',
            sessionId: session.sessionId,
            protocolVersion: PROTOCOL_2025_03_26,
            lastEventId: lastId,
            until: hasResponseTo(7),
          });
          return resumed.status !== 409;
        }, 'the closed stream to be released');
        assert.equal(resumed!.status, 200);
        const response = parsed(resumed!.events).find((message) => message.id === 7) as { result: { content: { text: string }[] } };
        assert.match(response.result.content[0].text, /completed successfully/);
      } finally {
        await deleteMcpSession(endpoint, session.sessionId, PROTOCOL_2025_03_26);
      }
    },
  );

  test('after DELETE the session is gone: its requests and its event ids get 404', TEST_TIMEOUT, async () => {
    const session = await initializeSession(endpoint, PROTOCOL_2025_11_25);
    const call = await mcpRequest(endpoint, {
      sessionId: session.sessionId,
      protocolVersion: PROTOCOL_2025_11_25,
      message: toolCall(1, 'countdown', { count: 2, intervalMs: 0 }),
      until: hasResponseTo(1),
    });
    assert.equal(await deleteMcpSession(endpoint, session.sessionId), 200);
    const resumed = await mcpRequest(endpoint, {
      method: 'GET',
      sessionId: session.sessionId,
      protocolVersion: PROTOCOL_2025_11_25,
      lastEventId: call.events[1].id,
    });
    assert.equal(resumed.status, 404);
    const again = await mcpRequest(endpoint, {
      sessionId: session.sessionId,
      protocolVersion: PROTOCOL_2025_11_25,
      message: toolCall(2, 'countdown', { count: 1, intervalMs: 0 }),
    });
    assert.equal(again.status, 404);
  });

  test('requests without a session, or with an unknown one, are refused', TEST_TIMEOUT, async () => {
    const noSession = await mcpRequest(endpoint, { message: toolCall(1, 'countdown', { count: 1, intervalMs: 0 }) });
    assert.equal(noSession.status, 400);
    const unknown = await mcpRequest(endpoint, { method: 'GET', sessionId: 'no-such-session', protocolVersion: PROTOCOL_2025_11_25 });
    assert.equal(unknown.status, 404);
    assert.equal((JSON.parse(unknown.body) as { error: { code: number } }).error.code, -32001);
  });
});

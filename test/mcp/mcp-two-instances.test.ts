import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIS_URL } from '../support/caches';
import { CuttingProxy, type ProxiedExchange } from '../support/cutting-proxy';
import { PROTOCOL_2025_11_25, hasResponseTo, initializeSession, mcpRequest, toolCall } from '../support/mcp-http';
import { McpSdkClient, oneTo, resultText } from '../support/mcp-sdk-client';
import { SampleProcess } from '../support/sample-process';

/**
 * The sample's MCP endpoint on two instances sharing Redis. The events live in Redis, but the
 * SDK's session transports live in the process that created them: every new request of a session
 * has to reach that instance; a resumption can be served by any. Redis is required.
 */

const TEST_TIMEOUT = { timeout: 60_000 };

describe('the sample MCP endpoint on two instances sharing Redis', () => {
  let instanceA: SampleProcess;
  let instanceB: SampleProcess;
  let proxy: CuttingProxy;
  const clients: McpSdkClient[] = [];

  before(async () => {
    [instanceA, instanceB] = await Promise.all([
      SampleProcess.start({ redisUrl: REDIS_URL }),
      SampleProcess.start({ redisUrl: REDIS_URL }),
    ]);
    proxy = await CuttingProxy.start(instanceA.url);
  });

  after(async () => {
    // DELETE removes each session's streams from the shared Redis.
    await Promise.allSettled(clients.map((client) => client.endSession()));
    await proxy?.close();
    await Promise.all([instanceA?.stop(), instanceB?.stop()]);
  });

  test('a countdown cut mid-way resumes from the events in Redis: each progress notification once, in order', TEST_TIMEOUT, async () => {
    const client = await McpSdkClient.connect(`${proxy.url}/mcp`);
    clients.push(client);
    const cut = proxy.cutAfter({
      match: (exchange: ProxiedExchange) => exchange.method === 'POST' && exchange.requestBody.includes('"countdown"'),
      afterEvents: 3,
    });
    const progress: number[] = [];
    const result = await client.client.callTool({ name: 'countdown', arguments: { count: 15, intervalMs: 40 } }, undefined, {
      onprogress: ({ progress: value }) => progress.push(value),
      timeout: 30_000,
    });
    assert.equal(resultText(result), 'done 15');
    assert.deepEqual(progress, oneTo(15));
    const dropped = await cut;
    const lastSeen = dropped.events.at(-1)!.id;
    const resumed = proxy.exchanges.filter(
      (exchange) => exchange.method === 'GET' && exchange.requestHeaders['last-event-id'] === lastSeen,
    );
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0].status, 200);
  });

  test(
    'the other instance does not hold the session: its new requests get 404 (route by Mcp-Session-Id); resumptions are served there',
    TEST_TIMEOUT,
    async () => {
      const { sessionId } = await initializeSession(`${instanceA.url}/mcp`, PROTOCOL_2025_11_25);
      try {
        const call = await mcpRequest(`${instanceA.url}/mcp`, {
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          message: toolCall(1, 'countdown', { count: 2, intervalMs: 0 }),
          until: hasResponseTo(1),
        });
        const onB = await mcpRequest(`${instanceB.url}/mcp`, {
          method: 'GET',
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          lastEventId: call.events[1].id,
          until: hasResponseTo(1),
        });
        // Served from the shared store (McpRemoteResumption, see mcp-resume-anywhere.test.ts).
        assert.equal(onB.status, 200);
        assert.equal(hasResponseTo(1)(onB.events), true);
        const postOnB = await mcpRequest(`${instanceB.url}/mcp`, {
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          message: toolCall(2, 'countdown', { count: 1, intervalMs: 0 }),
          until: () => true,
        });
        assert.equal(postOnB.status, 404);
        // On its own instance the same id resumes.
        const onA = await mcpRequest(`${instanceA.url}/mcp`, {
          method: 'GET',
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          lastEventId: call.events[1].id,
          until: hasResponseTo(1),
        });
        assert.equal(onA.status, 200);
        assert.equal(hasResponseTo(1)(onA.events), true);
      } finally {
        await mcpRequest(`${instanceA.url}/mcp`, { method: 'DELETE', sessionId, protocolVersion: PROTOCOL_2025_11_25 });
      }
    },
  );
});

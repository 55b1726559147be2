import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIS_URL } from '../support/caches';
import { CuttingProxy, type ProxiedExchange } from '../support/cutting-proxy';
import { PROTOCOL_2025_11_25, hasResponseTo, initializeSession, mcpRequest, toolCall } from '../support/mcp-http';
import { McpSdkClient, oneTo, resultText } from '../support/mcp-sdk-client';
import { McpSdkV2Client } from '../support/mcp-sdk-v2-client';
import { SampleProcess } from '../support/sample-process';

/**
 * Resume anywhere: the sample's MCP endpoints (SDK 1.x at /mcp, v2 at /mcp-v2) on two instances
 * sharing Redis. A call runs on instance A; its stream is cut, and the proxy (a load balancer)
 * sends the reconnect to instance B, which does not hold the session: B serves the resumption from
 * the shared store, woken by pushes, until the call's stream completes. Redis is required.
 */

const TEST_TIMEOUT = { timeout: 90_000 };
const COUNT = 20;

describe('MCP resumptions served by an instance that does not hold the session', () => {
  let instanceA: SampleProcess;
  let instanceB: SampleProcess;

  before(async () => {
    [instanceA, instanceB] = await Promise.all([
      SampleProcess.start({ redisUrl: REDIS_URL }),
      SampleProcess.start({ redisUrl: REDIS_URL }),
    ]);
  });
  after(() => Promise.all([instanceA?.stop(), instanceB?.stop()]));

  for (const endpoint of ['/mcp', '/mcp-v2'] as const) {
    for (const cuts of [[7], [7, 14]]) {
      test(
        `${endpoint}: a countdown cut after ${cuts.join(' and ')} resumes on the other instance: ${COUNT} notifications once, in order, then the result`,
        TEST_TIMEOUT,
        async () => {
          const proxy = await CuttingProxy.start(instanceA.url);
          const client =
            endpoint === '/mcp'
              ? await McpSdkClient.connect(`${proxy.url}${endpoint}`)
              : await McpSdkV2Client.connect(`${proxy.url}${endpoint}`);
          try {
            // The first cut is of the call's POST stream on A; later ones of its resumptions on B.
            const isCountdownStream = (exchange: ProxiedExchange): boolean =>
              (exchange.method === 'POST' && exchange.requestBody.includes('"countdown"')) ||
              (exchange.method === 'GET' && exchange.requestHeaders['last-event-id'] !== undefined);
            let after = 0;
            const armed = cuts.map((at) => {
              const rule = { match: isCountdownStream, afterEvents: at - after };
              after = at;
              return rule;
            });
            const cutsDone = (async () => {
              for (const rule of armed) {
                await proxy.cutAfter(rule);
                proxy.switchTo(instanceB.url); // every reconnect from now on lands on B
              }
            })();
            const progress: number[] = [];
            const call = { name: 'countdown', arguments: { count: COUNT, intervalMs: 60 } };
            const options = { onprogress: ({ progress: value }: { progress: number }) => progress.push(value), timeout: 60_000 };
            // The 1.x client takes a result schema before the options; the v2 client does not.
            const result =
              client instanceof McpSdkClient
                ? await client.client.callTool(call, undefined, options)
                : await client.client.callTool(call, options);
            await cutsDone;
            assert.equal(resultText(result), `done ${COUNT}`);
            assert.deepEqual(progress, oneTo(COUNT), 'every progress notification once, in order');
            const resumptions = proxy.exchanges.filter(
              (exchange) => exchange.method === 'GET' && exchange.requestHeaders['last-event-id'] !== undefined,
            );
            assert.equal(resumptions.length, cuts.length, 'one resumption per cut');
            for (const resumption of resumptions) assert.equal(resumption.status, 200, 'served by B, which does not hold the session');
            const ids = proxy.exchanges.flatMap((exchange) =>
              exchange.events.filter((event) => event.data !== '').map((event) => event.id),
            );
            assert.equal(new Set(ids).size, ids.length, 'no event sent twice');
            console.log(
              `${endpoint}, cuts after ${cuts.join('+')}: delivered ${progress.length}/${COUNT} and the result; ${resumptions.length} resumption(s) on the other instance`,
            );
          } finally {
            proxy.switchTo(instanceA.url);
            await client.endSession().catch(() => undefined);
            await proxy.close();
          }
        },
      );
    }
  }

  test(
    'only resumptions travel: a new request on the other instance still needs the session (404), and a session that ended is resumed nowhere',
    TEST_TIMEOUT,
    async () => {
      const { sessionId } = await initializeSession(`${instanceA.url}/mcp`, PROTOCOL_2025_11_25);
      const call = await mcpRequest(`${instanceA.url}/mcp`, {
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        message: toolCall(1, 'countdown', { count: 2, intervalMs: 0 }),
        until: hasResponseTo(1),
      });
      const postOnB = await mcpRequest(`${instanceB.url}/mcp`, {
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        message: toolCall(2, 'countdown', { count: 1, intervalMs: 0 }),
        until: () => true,
      });
      assert.equal(postOnB.status, 404, 'new requests need affinity');
      const resumeCallOnB = () =>
        mcpRequest(`${instanceB.url}/mcp`, {
          method: 'GET',
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          lastEventId: call.events[1].id,
          until: hasResponseTo(1),
        });
      const resumeOnB = await resumeCallOnB();
      assert.equal(resumeOnB.status, 200);
      assert.equal(hasResponseTo(1)(resumeOnB.events), true, 'B replayed the rest of the call, its result included');
      // Each resumption's retry: is drawn between half the sample's 1 s and 1 s (the default
      // retryJitter, 0.5): 6 equal draws of 501 values would happen about once in 10^13.
      const retries = [resumeOnB.events[0].retry];
      for (let attempt = 0; attempt < 5; attempt++) retries.push((await resumeCallOnB()).events[0].retry);
      for (const retry of retries) assert.ok(retry !== undefined && retry >= 500 && retry <= 1_000, `retry: ${retry} within 500–1000 ms`);
      assert.ok(new Set(retries).size > 1, `retry: spread over resumptions, got ${retries.join(', ')}`);

      const foreign = await mcpRequest(`${instanceB.url}/mcp`, {
        method: 'GET',
        sessionId: 'mcp:00000000-0000-0000-0000-000000000000',
        protocolVersion: PROTOCOL_2025_11_25,
        lastEventId: call.events[1].id,
        until: () => true,
      });
      assert.equal(foreign.status, 400, "another session's id is refused, nothing replayed");
      assert.deepEqual(foreign.events, []);

      await mcpRequest(`${instanceA.url}/mcp`, { method: 'DELETE', sessionId, protocolVersion: PROTOCOL_2025_11_25 });
      const afterEnd = await mcpRequest(`${instanceB.url}/mcp`, {
        method: 'GET',
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        lastEventId: call.events[1].id,
        until: () => true,
      });
      assert.equal(afterEnd.status, 404, 'the session ended: the client starts a new one');
    },
  );

  test("a resumption served elsewhere ends once the session's instance is gone, and is then refused with 404", TEST_TIMEOUT, async () => {
    const owner = await SampleProcess.start({ redisUrl: REDIS_URL });
    try {
      const url = `${owner.url}/mcp`;
      const { sessionId } = await initializeSession(url, PROTOCOL_2025_11_25);
      // A long call, stopped after its first notification, as a client cut off would be.
      const call = await mcpRequest(url, {
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        message: toolCall(1, 'countdown', { count: 50, intervalMs: 200 }),
        until: (events) => events.filter((event) => event.data !== '').length >= 1,
      });
      const lastSeen = call.events.at(-1)!.id!;
      // The resumption lands on B and follows the call live...
      const resumed = mcpRequest(`${instanceB.url}/mcp`, {
        method: 'GET',
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        lastEventId: lastSeen,
        timeoutMs: 30_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // ...until the instance that holds the session dies: B must end the response, not hang.
      await owner.kill('SIGKILL');
      const answer = await resumed;
      assert.equal(answer.status, 200);
      assert.ok(answer.events.length > 0, 'B delivered what the call sent while its instance lived');
      assert.equal(hasResponseTo(1)(answer.events), false, 'the call never finished');
      const again = await mcpRequest(`${instanceB.url}/mcp`, {
        method: 'GET',
        sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        lastEventId: answer.events.at(-1)!.id,
        until: () => true,
      });
      assert.equal(again.status, 404, 'the session lives nowhere: the client starts a new one');
    } finally {
      await owner.stop();
    }
  });
});

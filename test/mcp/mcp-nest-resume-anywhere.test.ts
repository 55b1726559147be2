import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIS_URL } from '../support/caches';
import { CuttingProxy, type ProxiedExchange } from '../support/cutting-proxy';
import { SampleProcess } from '../support/sample-process';
import { McpSdkClient, oneTo, resultText } from '../support/mcp-sdk-client';
import { McpSdkV2Client } from '../support/mcp-sdk-v2-client';
import { MCP_NEST_RETRY_INTERVAL_MS } from '../../sample/mcp-nest/mcp-nest-sample';

/**
 * Resume anywhere on `@rekog/mcp-nest`: the mcp-nest sample (ResumableStreamableHttpTransport) on
 * two instances sharing Redis. A call runs on instance A; its stream is cut, and the proxy sends
 * the reconnect to instance B, which does not hold the session and serves the resumption from the
 * store until the call's stream completes. Redis is required.
 */

const TEST_TIMEOUT = { timeout: 90_000 };
const COUNT = 20;

describe('@rekog/mcp-nest with ResumableStreamableHttpTransport: a resumption served by the other instance', () => {
  let instanceA: SampleProcess;
  let instanceB: SampleProcess;

  before(async () => {
    // No spread of `retry:`, so the resumption's tells that the transport's retryJitter reached it.
    const env = { SSE_RETRY_JITTER: '0' };
    [instanceA, instanceB] = await Promise.all([
      SampleProcess.start({ sample: 'mcp-nest', redisUrl: REDIS_URL, env }),
      SampleProcess.start({ sample: 'mcp-nest', redisUrl: REDIS_URL, env }),
    ]);
  });
  after(() => Promise.all([instanceA?.stop(), instanceB?.stop()]));

  for (const line of ['1.x', 'v2'] as const) {
    test(
      `${line} client: a countdown cut after 7 resumes on the other instance: ${COUNT} notifications once, in order, then the result`,
      TEST_TIMEOUT,
      async () => {
        const proxy = await CuttingProxy.start(instanceA.url);
        const client = line === '1.x' ? await McpSdkClient.connect(`${proxy.url}/mcp`) : await McpSdkV2Client.connect(`${proxy.url}/mcp`);
        try {
          const cut = proxy.cutAfter({
            match: (exchange: ProxiedExchange) => exchange.method === 'POST' && exchange.requestBody.includes('"countdown"'),
            afterEvents: 7,
          });
          void cut.then(() => proxy.switchTo(instanceB.url)); // every reconnect from now on lands on B
          const progress: number[] = [];
          const call = { name: 'countdown', arguments: { count: COUNT, intervalMs: 60 } };
          const options = { onprogress: ({ progress: value }: { progress: number }) => progress.push(value), timeout: 60_000 };
          const result =
            client instanceof McpSdkClient
              ? await client.client.callTool(call, undefined, options)
              : await client.client.callTool(call, options);
          await cut;
          assert.equal(resultText(result), `done ${COUNT}`);
          assert.deepEqual(progress, oneTo(COUNT), 'every progress notification once, in order');
          const resumptions = proxy.exchanges.filter(
            (exchange) => exchange.method === 'GET' && exchange.requestHeaders['last-event-id'] !== undefined,
          );
          assert.equal(resumptions.length, 1, 'one resumption');
          assert.equal(resumptions[0].status, 200, 'served by B, which does not hold the session');
          assert.equal(resumptions[0].events[0]?.retry, MCP_NEST_RETRY_INTERVAL_MS, "B's retry: is the transport's, not spread");
          const ids = proxy.exchanges.flatMap((exchange) => exchange.events.filter((event) => event.data !== '').map((event) => event.id));
          assert.equal(new Set(ids).size, ids.length, 'no event sent twice');
          console.log(
            `mcp-nest, ${line} client, cut after 7, resumed on the other instance: delivered ${progress.length}/${COUNT} and the result`,
          );
        } finally {
          proxy.switchTo(instanceA.url);
          await client.endSession().catch(() => undefined);
          await proxy.close();
        }
      },
    );
  }
});

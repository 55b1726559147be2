import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { waitFor } from '../support/async';
import { type InProcessSample, startInProcessSample } from '../support/in-process-sample';
import { PROTOCOL_2025_11_25, hasResponseTo, mcpRequest } from '../support/mcp-http';
import { McpSdkClient, resultText } from '../support/mcp-sdk-client';
import { createOutageCache, type OutageCache } from '../support/outage-cache';

/**
 * The SDK's transport answers any error of a POST with 400 and JSON-RPC -32700 "Parse error" (and
 * any error of a resume with 500). The sample answers a request that a store error ended with the
 * status and JSON-RPC error that say what happened. The sample runs in the test's process, on a
 * store the test can fill up or take away; the client is the official SDK client, or plain HTTP
 * where the test needs headers.
 */

const TEST_TIMEOUT = { timeout: 30_000 };
/**
 * How long the store waits for its cache before it reports it unavailable, in these tests. The
 * store runs on the generic path, through the in-memory cache that the tests take away.
 */
const OPERATION_TIMEOUT_MS = 250;

interface JsonRpcErrorBody {
  jsonrpc: string;
  id: unknown;
  error: { code: number; message: string; data?: { code?: string } };
}

/** The HTTP status and JSON-RPC error of a request the SDK client saw refused. */
function refusalOf(error: unknown): { status: number; body: JsonRpcErrorBody } {
  assert.ok(error instanceof StreamableHTTPError, `a refusal over HTTP, got ${String(error)}`);
  const json = error.message.slice(error.message.indexOf('{'));
  return { status: error.code!, body: JSON.parse(json) as JsonRpcErrorBody };
}

/** A `ping` over plain HTTP, for the headers of its answer. */
async function rawPing(endpoint: string, sessionId: string, id: number): Promise<Response> {
  return fetch(endpoint, {
    method: 'POST',
    headers: {
      Accept: 'application/json, text/event-stream',
      'Content-Type': 'application/json',
      'Mcp-Session-Id': sessionId,
      'Mcp-Protocol-Version': PROTOCOL_2025_11_25,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }),
  });
}

describe('the sample answers store errors with what happened, never 400 -32700 "Parse error"', () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function sampleOn(store: StandaloneSseEventStore): Promise<InProcessSample> {
    cleanups.push(() => store.close());
    const sample = await startInProcessSample(store.store);
    cleanups.push(() => sample.close());
    return sample;
  }

  async function connect(sample: InProcessSample): Promise<McpSdkClient> {
    const client = await McpSdkClient.connect(`${sample.url}/mcp`);
    cleanups.push(() => client.endSession());
    return client;
  }

  test(
    'the stream limit: 429 and -32000 while the session has maxStreamsPerSession requests in progress; answered, it takes requests again',
    TEST_TIMEOUT,
    async () => {
      const sample = await sampleOn(createSseEventStore({ maxStreamsPerSession: 3 }));
      const client = await connect(sample);
      // Three calls in progress (each waits between its two notifications): three open streams.
      const started = [false, false, false];
      const calls = started.map((_, index) =>
        client.client.callTool({ name: 'countdown', arguments: { count: 2, intervalMs: 1_500 } }, undefined, {
          onprogress: () => (started[index] = true),
        }),
      );
      await waitFor(() => started.every(Boolean), 'the three calls to start');

      const refused = refusalOf(
        await client.client.ping().then(
          () => assert.fail('the ping was not refused'),
          (error: unknown) => error,
        ),
      );
      assert.equal(refused.status, 429);
      assert.equal(refused.body.error.code, -32000);
      assert.match(refused.body.error.message, /Too many streams.*3.*maxStreamsPerSession/);
      assert.equal(refused.body.error.data?.code, 'SSE_LIMIT_EXCEEDED');
      assert.equal(refused.body.id, null);

      for (const result of await Promise.all(calls)) assert.equal(resultText(result), 'done 2');
      await client.client.ping();
    },
  );

  test(
    'the store unavailable: 503, -32603 and Retry-After, for a request and for a resume; back again, the session works',
    TEST_TIMEOUT,
    async () => {
      const outage: OutageCache = await createOutageCache('memory');
      cleanups.push(() => outage.close());
      const sample = await sampleOn(
        createSseEventStore({ cache: outage.cache, operationTimeout: OPERATION_TIMEOUT_MS, storage: 'generic' }),
      );
      const endpoint = `${sample.url}/mcp`;
      const client = await connect(sample);
      await client.client.ping();
      const before = await mcpRequest(endpoint, {
        sessionId: client.sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        message: { jsonrpc: '2.0', id: 'before', method: 'ping' },
        until: hasResponseTo('before'),
      });
      const primingId = before.events[0].id!;

      await outage.stop('kill');
      const refused = refusalOf(
        await client.client.ping().then(
          () => assert.fail('the ping was not refused'),
          (error: unknown) => error,
        ),
      );
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, -32603);
      assert.match(refused.body.error.message, /event store is unavailable/);
      assert.equal(refused.body.error.data?.code, 'SSE_STORE_UNAVAILABLE');

      const raw = await rawPing(endpoint, client.sessionId, 7);
      assert.equal(raw.status, 503);
      assert.equal(raw.headers.get('retry-after'), '5');
      assert.match(raw.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(((await raw.json()) as JsonRpcErrorBody).error.code, -32603);

      // A resume (GET with Last-Event-ID): the SDK's answer would be 500 -32000.
      const resume = await mcpRequest(endpoint, {
        method: 'GET',
        sessionId: client.sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        lastEventId: primingId,
        until: () => true,
      });
      assert.equal(resume.status, 503);
      assert.equal((JSON.parse(resume.body) as JsonRpcErrorBody).error.code, -32603);

      await outage.resume();
      await client.client.ping();
      const resumed = await mcpRequest(endpoint, {
        method: 'GET',
        sessionId: client.sessionId,
        protocolVersion: PROTOCOL_2025_11_25,
        lastEventId: primingId,
        until: hasResponseTo('before'),
      });
      assert.equal(resumed.status, 200);
      assert.equal(hasResponseTo('before')(resumed.events), true);
    },
  );

  test('initialize while the store is unavailable: 503 -32603, and the sample does not keep the session', TEST_TIMEOUT, async () => {
    const outage: OutageCache = await createOutageCache('memory');
    cleanups.push(() => outage.close());
    const sample = await sampleOn(createSseEventStore({ cache: outage.cache, operationTimeout: OPERATION_TIMEOUT_MS, storage: 'generic' }));
    await outage.stop('kill');
    const refused = await McpSdkClient.connect(`${sample.url}/mcp`).then(
      () => assert.fail('initialize was not refused'),
      (error: unknown) => refusalOf(error),
    );
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error.code, -32603);

    const lifecycle = sample.logs.from('McpSessionsService').map((entry) => String(entry.message));
    const initialised = lifecycle.filter((line) => / initialised\.$/.test(line));
    assert.equal(initialised.length, 1);
    const sessionId = initialised[0].split(' ')[2];
    assert.ok(lifecycle.includes(`MCP session ${sessionId} ended.`), 'the session that the client never got was closed');
    await outage.resume();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/async';
import {
  PROTOCOL_2025_11_25,
  deleteMcpSession,
  hasResponseTo,
  initializeSession,
  mcpRequest,
  toolCall,
  type WireAnswer,
  type WireEvent,
} from '../support/mcp-http';
import { openMcpGetStream } from '../support/mcp-live-stream';
import { McpSdkClient } from '../support/mcp-sdk-client';
import { publish, request, streamUrl } from '../support/sample-client';
import { SampleProcess } from '../support/sample-process';

/**
 * The sample serves two APIs on one store: MCP at `/mcp` and the plain `/sessions` routes. They
 * never share a session of the store: MCP session ids are `mcp:<uuid>`, and `/sessions` refuses
 * that namespace (403) before it reads, writes or deletes anything. Tested with real MCP session
 * ids, against the sample as a process.
 */

const TEST_TIMEOUT = { timeout: 60_000 };
const GET_STREAM = '_GET_stream';

/** What `/sessions` answers, with the MCP session's real id, to each way of reaching its streams. */
async function plainApiAttempts(baseUrl: string, sessionId: string, lastEventId: string): Promise<[string, number, string][]> {
  const events = streamUrl(baseUrl, sessionId, GET_STREAM, 'events');
  const attempts: [string, () => Promise<{ status: number; body: string }>][] = [
    ['read', () => request('GET', events)],
    ['resume (header)', async () => plainRead(events, { 'Last-Event-ID': lastEventId })],
    ['resume (query)', () => request('GET', `${events}?lastEventId=${encodeURIComponent(lastEventId)}`)],
    ['write', () => request('POST', events, JSON.stringify({ data: { injected: true } }))],
    ['complete', () => request('POST', streamUrl(baseUrl, sessionId, GET_STREAM, 'complete'))],
    ['delete', () => request('DELETE', `${baseUrl}/sessions/${encodeURIComponent(sessionId)}`)],
    // The id as it is in the path, ':' not encoded.
    ['read (raw path)', () => request('GET', `${baseUrl}/sessions/${sessionId}/streams/${GET_STREAM}/events`)],
    [
      'write (raw path)',
      () => request('POST', `${baseUrl}/sessions/${sessionId}/streams/${GET_STREAM}/events`, JSON.stringify({ data: 1 })),
    ],
    // The adapter's overflow store sessions are in the namespace too.
    [
      'write (overflow store session)',
      () => request('POST', streamUrl(baseUrl, `${sessionId} overflow-1`, 'x', 'events'), JSON.stringify({ data: 1 })),
    ],
  ];
  const answers: [string, number, string][] = [];
  for (const [what, attempt] of attempts) {
    const { status, body } = await attempt();
    answers.push([what, status, body]);
  }
  return answers;
}

/** A GET of an event stream with headers, read to its end (a refusal ends at once). */
async function plainRead(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5_000);
  try {
    const response = await fetch(url, { headers, signal: abort.signal });
    return { status: response.status, body: await response.text() };
  } finally {
    clearTimeout(timer);
  }
}

describe('the sample: MCP sessions and the plain /sessions API never share storage', () => {
  let app: SampleProcess;
  let endpoint: string;

  before(async () => {
    app = await SampleProcess.start();
    endpoint = `${app.url}/mcp`;
  });

  after(async () => {
    await app?.stop();
  });

  test(
    "an MCP session's streams cannot be read, resumed, written, completed or deleted through /sessions (403), and the session is untouched",
    TEST_TIMEOUT,
    async () => {
      const { sessionId } = await initializeSession(endpoint, PROTOCOL_2025_11_25);
      try {
        assert.match(sessionId, /^mcp:[0-9a-f-]{36}$/);
        // Three log messages on the session's standalone stream (_GET_stream), seen live.
        const standalone = await openMcpGetStream(endpoint, { sessionId, protocolVersion: PROTOCOL_2025_11_25 });
        assert.equal(standalone.status, 200);
        const call = await mcpRequest(endpoint, {
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          message: toolCall(1, 'standalone_countdown', { count: 3, intervalMs: 0 }),
          until: hasResponseTo(1),
        });
        assert.equal(call.status, 200);
        const standaloneIds = (await standalone.waitForEvents(3)).map((event) => event.id!);
        standalone.close();

        for (const [what, status, body] of await plainApiAttempts(app.url, sessionId, standaloneIds[0])) {
          assert.equal(status, 403, `${what}: ${body}`);
          assert.doesNotMatch(body, /notifications\/message|standalone_countdown/, `${what}: nothing of the MCP session in the answer`);
        }
        // Not only the live session's id: the whole namespace, before any such session exists.
        const unborn = `mcp:${crypto.randomUUID()}`;
        for (const [what, status] of await plainApiAttempts(app.url, unborn, standaloneIds[0]))
          assert.equal(status, 403, `${what} (unborn)`);

        // The MCP session still has exactly its own events: its standalone stream resumes (it would hang
        // on an event written by another client), and the session was not deleted.
        let resumed: WireAnswer | undefined;
        await waitFor(async () => {
          resumed = await mcpRequest(endpoint, {
            method: 'GET',
            sessionId,
            protocolVersion: PROTOCOL_2025_11_25,
            lastEventId: standaloneIds[0],
            until: (events: WireEvent[]) => events.length >= 2,
          });
          return resumed.status !== 409; // the closed connection is released a moment later
        }, 'the standalone stream to be released');
        assert.ok(resumed);
        assert.equal(resumed.status, 200);
        assert.deepEqual(
          resumed.events.map((event) => event.id),
          standaloneIds.slice(1),
        );
        const ping = await mcpRequest(endpoint, {
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          message: { jsonrpc: '2.0', id: 2, method: 'ping' },
          until: hasResponseTo(2),
        });
        assert.equal(ping.status, 200);
      } finally {
        await deleteMcpSession(endpoint, sessionId);
      }
    },
  );

  test(
    'the SDK client: its session id is in the namespace; /sessions refuses it, and the session keeps working',
    TEST_TIMEOUT,
    async () => {
      const client = await McpSdkClient.connect(endpoint);
      try {
        assert.match(client.sessionId, /^mcp:/);
        await client.client.callTool({ name: 'standalone_countdown', arguments: { count: 2, intervalMs: 0 } });
        const write = await request(
          'POST',
          streamUrl(app.url, client.sessionId, GET_STREAM, 'events'),
          JSON.stringify({ data: { injected: true } }),
        );
        assert.equal(write.status, 403);
        const removal = await request('DELETE', `${app.url}/sessions/${encodeURIComponent(client.sessionId)}`);
        assert.equal(removal.status, 403);
        await client.client.ping();
        await client.client.callTool({ name: 'standalone_countdown', arguments: { count: 2, intervalMs: 0 } });
        const ticks = await client.waitForTicks('standalone_countdown', 4);
        assert.ok(
          ticks.every((tick) => typeof tick.progress === 'number'),
          'only the countdown arrived on the standalone stream',
        );
        assert.equal(client.logMessages.length, 4);
      } finally {
        await client.endSession();
      }
    },
  );

  test(
    'event ids never cross: an MCP id resumes nothing on /sessions (404), a /sessions id nothing on /mcp (400)',
    TEST_TIMEOUT,
    async () => {
      const { sessionId } = await initializeSession(endpoint, PROTOCOL_2025_11_25);
      try {
        const call = await mcpRequest(endpoint, {
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          message: toolCall(1, 'countdown', { count: 2, intervalMs: 0 }),
          until: hasResponseTo(1),
        });
        const mcpId = call.events[1].id!;
        const plain = await publish(app.url, 'plain-session', 'plain-stream', { hello: 'world' });

        for (const streamId of [GET_STREAM, 'plain-stream']) {
          const answer = await plainRead(streamUrl(app.url, 'plain-session', streamId, 'events'), { 'Last-Event-ID': mcpId });
          assert.equal(answer.status, 404, `${streamId}: ${answer.body}`);
        }
        const onMcp = await mcpRequest(endpoint, {
          method: 'GET',
          sessionId,
          protocolVersion: PROTOCOL_2025_11_25,
          lastEventId: plain.id,
          until: () => true,
        });
        assert.equal(onMcp.status, 400);
        assert.equal(onMcp.events.length, 0);
        assert.doesNotMatch(onMcp.body, /world/);
      } finally {
        await deleteMcpSession(endpoint, sessionId);
      }
    },
  );
});

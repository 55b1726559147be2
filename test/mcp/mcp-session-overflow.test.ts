import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import { SseLimitExceededError, type SseEventStoreModuleOptions } from '../../lib';
import { McpSessionEventStore, type McpJsonRpcMessage } from '../../lib/mcp';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { delay } from '../support/async';
import { CapturingLogger } from '../support/capturing-logger';
import { SpyingSseEventStore } from '../support/spying-sse-event-store';

/**
 * An MCP session with more POST streams than the store's `maxStreamsPerSession`: the adapter
 * keeps them in overflow store sessions, every stream stays resumable, and the limit still bounds
 * the streams that are open at once. On a real in-memory store with a small limit.
 */

const MAX_STREAMS = 4;
const GET_STREAM = '_GET_stream';

function notification(progress: number): McpJsonRpcMessage {
  return { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress } };
}

function result(id: number): McpJsonRpcMessage {
  return { jsonrpc: '2.0', id, result: {} };
}

/** Ids of one POST stream that ran to its response: priming event, a notification, the response. */
interface RequestStream {
  streamId: string;
  priming: string;
  progress: string;
  response: string;
  request: number;
}

/** What the SDK stores for one request: priming event, a notification, the response. */
async function answeredRequest(adapter: McpSessionEventStore, request: number): Promise<RequestStream> {
  const streamId = `request-${request}`;
  const priming = await adapter.storeEvent(streamId, {});
  const progress = await adapter.storeEvent(streamId, notification(request));
  const response = await adapter.storeEvent(streamId, result(request));
  return { streamId, priming, progress, response, request };
}

async function replay(
  adapter: McpSessionEventStore,
  lastEventId: string,
): Promise<{ streamId: string; sent: [string, McpJsonRpcMessage][] }> {
  const sent: [string, McpJsonRpcMessage][] = [];
  const streamId = await adapter.replayEventsAfter(lastEventId, { send: async (id, message) => void sent.push([id, message]) });
  return { streamId, sent };
}

describe('McpSessionEventStore in a session with more streams than maxStreamsPerSession', () => {
  let standalone: StandaloneSseEventStore;
  let spy: SpyingSseEventStore;

  function useStore(options: SseEventStoreModuleOptions = {}): void {
    standalone = createSseEventStore({ maxStreamsPerSession: MAX_STREAMS, ...options });
    spy = new SpyingSseEventStore(standalone.store);
  }

  before(() => Logger.overrideLogger(new CapturingLogger()));
  after(() => Logger.overrideLogger(new Logger()));
  beforeEach(() => useStore());
  afterEach(() => standalone.close());

  test('keeps answered requests beyond the limit in overflow store sessions; every stream still resumes, with only its own messages', async () => {
    const adapter = new McpSessionEventStore(spy, 'mcp:long');
    const standaloneFirst = await adapter.storeEvent(GET_STREAM, notification(0));
    const requests: RequestStream[] = [];
    for (let request = 1; request <= 3 * MAX_STREAMS; request++) requests.push(await answeredRequest(adapter, request));
    const standaloneLast = await adapter.storeEvent(GET_STREAM, notification(99));

    // 13 streams with a limit of 4: the session's own store session, then three overflow ones.
    assert.deepEqual(adapter.storeSessionIds, ['mcp:long', 'mcp:long overflow-1', 'mcp:long overflow-2', 'mcp:long overflow-3']);
    const perSession = new Map<string, number>();
    for (const { sessionId } of spy.opened) perSession.set(sessionId, (perSession.get(sessionId) ?? 0) + 1);
    assert.deepEqual([...perSession.values()], [MAX_STREAMS, MAX_STREAMS, MAX_STREAMS, 1]);
    assert.deepEqual(
      spy.opened.slice(0, MAX_STREAMS).map(({ sessionId, streamId }) => [sessionId, streamId]),
      [['mcp:long', GET_STREAM], ...requests.slice(0, 3).map(({ streamId }) => ['mcp:long', streamId])],
      'the first streams are where they always were: under the MCP session id, with the SDK stream ids',
    );

    for (const { streamId, priming, progress, response, request } of requests) {
      assert.equal(await adapter.getStreamIdForEventId(priming), streamId);
      assert.deepEqual(await replay(adapter, priming), {
        streamId,
        sent: [
          [progress, notification(request)],
          [response, result(request)],
        ],
      });
      assert.deepEqual((await replay(adapter, response)).sent, [], 'nothing after its response');
    }
    assert.deepEqual(await replay(adapter, standaloneFirst), { streamId: GET_STREAM, sent: [[standaloneLast, notification(99)]] });
  });

  test('the open streams still count: at the limit a new stream is refused until a request is answered', async () => {
    const adapter = new McpSessionEventStore(spy, 'mcp:busy');
    // Four requests in progress: the session's own store session is full of open streams.
    for (let request = 1; request <= MAX_STREAMS; request++) await adapter.storeEvent(`open-${request}`, {});
    await assert.rejects(
      adapter.storeEvent('one-too-many', {}),
      (error: unknown) => error instanceof SseLimitExceededError && error.max === MAX_STREAMS,
    );
    assert.deepEqual(adapter.storeSessionIds, ['mcp:busy'], 'no overflow session for streams that are all open');

    // One answered: a new stream goes to an overflow session, because the answered one still holds its place.
    await adapter.storeEvent('open-1', result(1));
    const admitted = await adapter.storeEvent('admitted', {});
    assert.equal(await adapter.getStreamIdForEventId(admitted), 'admitted');
    assert.deepEqual(adapter.storeSessionIds, ['mcp:busy', 'mcp:busy overflow-1']);
    // Four open again (open-2, open-3, open-4, admitted): the next one is refused although overflow-1 has room.
    await assert.rejects(adapter.storeEvent('refused', {}), SseLimitExceededError);
    await adapter.storeEvent('admitted', result(2));
    await adapter.storeEvent('admitted-too', {});
    // Streams already open take more messages whatever the count.
    await adapter.storeEvent('open-2', notification(1));
  });

  test('a completed stream written again (a batch) continues where it is, after the session moved on to another store session', async () => {
    const adapter = new McpSessionEventStore(spy, 'mcp:batch');
    const priming = await adapter.storeEvent('batch', {});
    const first = await adapter.storeEvent('batch', result(1));
    for (let request = 1; request <= 2 * MAX_STREAMS; request++) await answeredRequest(adapter, request);
    assert.equal(adapter.storeSessionIds.length, 3);

    const second = await adapter.storeEvent('batch', result(2));
    assert.deepEqual(
      spy.opened.filter(({ streamId }) => streamId === 'batch').map(({ sessionId }) => sessionId),
      ['mcp:batch', 'mcp:batch'],
      'reopened in its store session',
    );
    assert.deepEqual((await replay(adapter, priming)).sent, [
      [first, result(1)],
      [second, result(2)],
    ]);
  });

  test('goes back to the oldest store session once its completed streams expired, instead of opening more', async () => {
    standalone.close();
    useStore({
      metadataSlidingExpiration: 300,
      metadataAbsoluteExpiration: 300,
      eventSlidingExpiration: 300,
      eventAbsoluteExpiration: 300,
    });
    const adapter = new McpSessionEventStore(spy, 'mcp:cycling');
    for (let request = 1; request <= MAX_STREAMS + 1; request++) await answeredRequest(adapter, request);
    assert.deepEqual(adapter.storeSessionIds, ['mcp:cycling', 'mcp:cycling overflow-1']);
    await delay(400); // the first store session's streams expire
    for (let request = MAX_STREAMS + 2; request <= 2 * MAX_STREAMS + 1; request++) await answeredRequest(adapter, request);
    const recent = await answeredRequest(adapter, 100);
    assert.deepEqual(adapter.storeSessionIds, ['mcp:cycling', 'mcp:cycling overflow-1'], 'no third store session');
    assert.equal(spy.opened.at(-1)?.sessionId, 'mcp:cycling');
    assert.deepEqual((await replay(adapter, recent.priming)).sent.length, 2);
  });

  test("refuses the ids of another session's overflow store sessions", async () => {
    const a = new McpSessionEventStore(spy, 'mcp:a');
    const b = new McpSessionEventStore(spy, 'mcp:b');
    let lastOfA: RequestStream | undefined;
    for (let request = 1; request <= MAX_STREAMS + 1; request++) {
      lastOfA = await answeredRequest(a, request);
      await answeredRequest(b, request);
    }
    assert.equal(b.storeSessionIds.length, 2);
    assert.equal(await b.getStreamIdForEventId(lastOfA!.priming), undefined);
    assert.equal(await a.getStreamIdForEventId(lastOfA!.priming), lastOfA!.streamId);
  });

  test('close() deletes every store session of the session, and nothing of it resumes afterwards', async () => {
    const adapter = new McpSessionEventStore(spy, 'mcp:ending');
    const requests: RequestStream[] = [];
    for (let request = 1; request <= 2 * MAX_STREAMS + 1; request++) requests.push(await answeredRequest(adapter, request));
    const sessions = adapter.storeSessionIds;
    assert.equal(sessions.length, 3);

    await adapter.close();
    assert.deepEqual([...spy.deletedSessions].sort(), [...sessions].sort());
    for (const { priming } of requests) {
      assert.equal(await adapter.getStreamIdForEventId(priming), undefined);
      const reader = await Promise.all(sessions.map((sessionId) => standalone.store.getStreamReader(priming, { sessionId })));
      assert.deepEqual(reader.filter(Boolean), [], 'the store holds nothing of the session');
    }
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SseEventStreamMode, SseInvalidInputError, SseSessionDeletedError } from '../../lib';
import { McpResumeRefusedError, McpSessionEventStore, type McpJsonRpcMessage } from '../../lib/mcp';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { collect, waitFor } from '../support/async';
import { CapturingLogger } from '../support/capturing-logger';
import { SpyingSseEventStore } from '../support/spying-sse-event-store';

/** The adapter between SseEventStore and the MCP SDK's EventStore, on a real in-memory store. */

const GET_STREAM = '_GET_stream';

function notification(progress: number): McpJsonRpcMessage {
  return { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 't', progress } };
}

function result(id: number): McpJsonRpcMessage {
  return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `done ${id}` }] } };
}

/** Replays after `lastEventId` and collects what was sent, as the SDK's replay does. */
async function replay(
  adapter: McpSessionEventStore,
  lastEventId: string,
): Promise<{ streamId: string; sent: [string, McpJsonRpcMessage][] }> {
  const sent: [string, McpJsonRpcMessage][] = [];
  const streamId = await adapter.replayEventsAfter(lastEventId, {
    send: async (eventId, message) => {
      sent.push([eventId, message]);
    },
  });
  return { streamId, sent };
}

describe('McpSessionEventStore', () => {
  let standalone: StandaloneSseEventStore;
  let spy: SpyingSseEventStore;
  let logs: CapturingLogger;

  before(() => {
    logs = new CapturingLogger();
    Logger.overrideLogger(logs);
  });

  after(() => {
    Logger.overrideLogger(new Logger());
  });

  beforeEach(() => {
    standalone = createSseEventStore({ maxEventsPerStream: 5 });
    spy = new SpyingSseEventStore(standalone.store);
  });

  afterEach(() => {
    standalone.close();
  });

  test('is an EventStore of the SDK (checked by the compiler) and loads without the SDK installed', () => {
    const asSdkStore: EventStore = new McpSessionEventStore(spy, 'typed');
    assert.equal(typeof asSdkStore.storeEvent, 'function');
    assert.equal(typeof asSdkStore.replayEventsAfter, 'function');
    assert.equal(typeof asSdkStore.getStreamIdForEventId, 'function');

    const entry = path.join(__dirname, '../../lib/mcp/index.js');
    const script = `
      const Module = require('node:module');
      const resolve = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request.startsWith('@modelcontextprotocol/')) throw new Error('the SDK was required: ' + request);
        return resolve.call(this, request, ...rest);
      };
      const mcp = require(${JSON.stringify(entry)});
      if (typeof mcp.McpSessionEventStore !== 'function') throw new Error('no McpSessionEventStore');
    `;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
  });

  test('stores each SDK stream as a polling stream of the session, with ids in order, and maps ids back to the SDK stream', async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const priming = await adapter.storeEvent('request-stream', {});
    const first = await adapter.storeEvent('request-stream', notification(1));
    const standaloneEvent = await adapter.storeEvent(GET_STREAM, notification(9));
    const second = await adapter.storeEvent('request-stream', notification(2));

    assert.equal(new Set([priming, first, standaloneEvent, second]).size, 4, 'ids are unique across the streams of a session');
    assert.deepEqual(
      spy.opened.map(({ sessionId, streamId, mode }) => [sessionId, streamId, mode]),
      [
        ['session-1', 'request-stream', SseEventStreamMode.Polling],
        ['session-1', GET_STREAM, SseEventStreamMode.Polling],
      ],
      'one writer per SDK stream, opened on its first event',
    );
    assert.equal(await adapter.getStreamIdForEventId(first), 'request-stream');
    assert.equal(await adapter.getStreamIdForEventId(standaloneEvent), GET_STREAM);
    const reader = await standalone.store.getStreamReader(second, { sessionId: 'session-1' });
    assert.equal(reader?.streamId, 'request-stream', 'the store sees the SDK stream under the session');
  });

  test('replays the messages after the id, of its stream only, in order, and returns the stream id', async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const priming = await adapter.storeEvent('request-a', {});
    const ids = [await adapter.storeEvent('request-a', notification(1))];
    await adapter.storeEvent('request-b', notification(100));
    await adapter.storeEvent(GET_STREAM, notification(200));
    ids.push(await adapter.storeEvent('request-a', notification(2)), await adapter.storeEvent('request-a', result(1)));

    const fromPriming = await replay(adapter, priming);
    assert.equal(fromPriming.streamId, 'request-a');
    assert.deepEqual(fromPriming.sent, [
      [ids[0], notification(1)],
      [ids[1], notification(2)],
      [ids[2], result(1)],
    ]);
    assert.deepEqual((await replay(adapter, ids[1])).sent, [[ids[2], result(1)]]);
    assert.deepEqual(await replay(adapter, ids[2]), { streamId: 'request-a', sent: [] }, 'nothing after the last event');
  });

  test('never replays a priming event', async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const first = await adapter.storeEvent(GET_STREAM, notification(1));
    await adapter.storeEvent(GET_STREAM, {});
    const last = await adapter.storeEvent(GET_STREAM, notification(2));
    assert.deepEqual((await replay(adapter, first)).sent, [[last, notification(2)]]);
  });

  test("refuses another session's ids, even of the _GET_stream both sessions have, and replays nothing", async () => {
    const sessionA = new McpSessionEventStore(spy, 'session-a');
    const sessionB = new McpSessionEventStore(spy, 'session-b');
    const idA = await sessionA.storeEvent(GET_STREAM, notification(1));
    await sessionA.storeEvent(GET_STREAM, notification(2));
    const idB = await sessionB.storeEvent(GET_STREAM, notification(10));
    await sessionB.storeEvent(GET_STREAM, notification(20));

    assert.equal(await sessionB.getStreamIdForEventId(idA), undefined, 'the SDK answers 400');
    const sent: unknown[] = [];
    await assert.rejects(
      sessionB.replayEventsAfter(idA, { send: async (...event) => void sent.push(event) }),
      (error: unknown) => error instanceof McpResumeRefusedError && error.sessionId === 'session-b',
    );
    assert.deepEqual(sent, []);
    // Each session resumes its own stream, and only gets its own events.
    assert.deepEqual(
      (await replay(sessionB, idB)).sent.map(([, message]) => message),
      [notification(20)],
    );
    assert.deepEqual(
      (await replay(sessionA, idA)).sent.map(([, message]) => message),
      [notification(2)],
    );
  });

  test('refuses ids that are not event ids, and positions whose events were trimmed', async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const ids: string[] = [];
    for (let progress = 1; progress <= 20; progress++) ids.push(await adapter.storeEvent(GET_STREAM, notification(progress)));

    for (const id of ['', 'not-an-id', `${ids[3]}0`, `x${ids[3]}`]) {
      assert.equal(await adapter.getStreamIdForEventId(id), undefined, id);
      await assert.rejects(adapter.replayEventsAfter(id, { send: async () => undefined }), McpResumeRefusedError);
    }
    // The store keeps about the 5 newest events: resuming after the first would skip lost events.
    assert.equal(await adapter.getStreamIdForEventId(ids[0]), undefined);
    assert.ok(
      logs.from('McpSessionEventStore').some((entry) => entry.level === 'warn' && /no longer holds/.test(String(entry.message))),
      'a resume refused because events were lost is worth a warning',
    );
    assert.equal(await adapter.getStreamIdForEventId(ids[18]), GET_STREAM, 'a recent position still resumes');
  });

  test('binds a session id given as a function on first use, and refuses to store before it is known', async () => {
    let current: string | undefined;
    const adapter = new McpSessionEventStore(spy, () => current);
    assert.equal(adapter.sessionId, undefined);
    await assert.rejects(adapter.storeEvent(GET_STREAM, notification(1)), SseInvalidInputError);
    current = 'late-session';
    const id = await adapter.storeEvent(GET_STREAM, notification(1));
    current = 'another-session';
    const next = await adapter.storeEvent(GET_STREAM, notification(2));
    assert.equal(adapter.sessionId, 'late-session');
    assert.equal((await standalone.store.getStreamReader(id, { sessionId: 'late-session' }))?.streamId, GET_STREAM);
    assert.equal((await standalone.store.getStreamReader(next, { sessionId: 'late-session' }))?.streamId, GET_STREAM);
    assert.throws(() => new McpSessionEventStore(spy, undefined as unknown as string), SseInvalidInputError);
  });

  test("completes a POST stream's writer once its response is stored; a later message continues the stream", async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const priming = await adapter.storeEvent('batch-stream', {});
    const progress = await adapter.storeEvent('batch-stream', notification(1));
    const firstResponse = await adapter.storeEvent('batch-stream', result(1));
    await adapter.storeEvent(GET_STREAM, notification(5));
    await waitFor(() => spy.completed.length === 1, 'the completion of the POST stream');
    assert.deepEqual(spy.completed, [{ sessionId: 'session-1', streamId: 'batch-stream' }]);

    // A second response on the same stream (a batch of two requests) opens a new writer that continues it.
    const secondResponse = await adapter.storeEvent('batch-stream', result(2));
    assert.equal(spy.opened.filter(({ streamId }) => streamId === 'batch-stream').length, 2);
    assert.deepEqual((await replay(adapter, priming)).sent, [
      [progress, notification(1)],
      [firstResponse, result(1)],
      [secondResponse, result(2)],
    ]);
    await waitFor(() => spy.completed.length === 2, 'the completion of the continued stream');
    assert.ok(
      spy.completed.every(({ streamId }) => streamId === 'batch-stream'),
      'the standalone stream stays open',
    );
  });

  test('messages of one stream stored concurrently, from its first one on, get ids in call order and one writer', async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const ids = await Promise.all([1, 2, 3, 4].map((progress) => adapter.storeEvent('fresh-stream', notification(progress))));
    const reader = await standalone.store.getStreamReaderFromStart({ sessionId: 'session-1', streamId: 'fresh-stream' });
    assert.ok(reader);
    const stored = await collect(reader.events());
    assert.deepEqual(
      stored.map((event) => [event.id, event.data]),
      ids.map((id, index) => [id, notification(index + 1)]),
    );
    assert.equal(spy.opened.length, 1);
  });

  test('a replay waits for a write of its stream that is still in flight, so the SDK cannot miss that message', async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const first = await adapter.storeEvent(GET_STREAM, notification(1));
    const held = spy.holdWrite((streamId, event) => streamId === GET_STREAM && JSON.stringify(event.data).includes('"progress":2'));
    const storing = adapter.storeEvent(GET_STREAM, notification(2));
    await held.arrived;

    let replayDone = false;
    const replaying = replay(adapter, first).finally(() => (replayDone = true));
    await waitFor(() => spy.readsFinished >= 1, 'the first read of the replay');
    assert.equal(replayDone, false, 'the replay does not end while a write of its stream is in flight');
    held.release();
    const second = await storing;
    assert.deepEqual((await replaying).sent, [[second, notification(2)]]);
  });

  test("close() deletes the session's streams: nothing can be resumed or stored afterwards; closing again is harmless", async () => {
    const adapter = new McpSessionEventStore(spy, 'session-1');
    const id = await adapter.storeEvent('request-stream', notification(1));
    await adapter.storeEvent(GET_STREAM, notification(2));

    await adapter.close();
    assert.deepEqual(spy.deletedSessions, ['session-1']);
    assert.equal(adapter.isClosed, true);
    assert.equal(await standalone.store.getStreamReader(id, { sessionId: 'session-1' }), null, 'the store holds nothing of the session');
    assert.equal(await adapter.getStreamIdForEventId(id), undefined);
    await assert.rejects(adapter.storeEvent(GET_STREAM, notification(3)), SseSessionDeletedError);
    await adapter.close();
    await adapter[Symbol.asyncDispose]();
    assert.deepEqual(spy.deletedSessions, ['session-1'], 'deleted once');
  });

  test('close() before the session id is known deletes nothing', async () => {
    const adapter = new McpSessionEventStore(spy, () => undefined);
    await adapter.close();
    assert.deepEqual(spy.deletedSessions, []);
  });
});

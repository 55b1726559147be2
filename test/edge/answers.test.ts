import assert from 'node:assert/strict';
import type { OutgoingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { SseStreamAddress } from '../../lib';
import { memoryStreamTableOf } from '../../lib/storage/memory/memory-stream-table';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import { delay } from '../support/async';
import { redisClientOf } from '../support/cache-inspection';
import { EventSourceClient } from '../support/event-source-client';
import { rawGet } from '../support/raw-http';
import { memoryNativeLayout } from '../support/stored-layout';
import { COMBINATIONS, EdgeApp, freshSession } from './edge-app';

/**
 * The table of answers of a `@ResumableSse` route, one test per row, each asserting what the
 * server sends (status, content type, body) and what a real `EventSource` does with it: a client
 * that must stop is CLOSED for good and sends nothing more; a stream that ended normally is
 * resumed with the client's last id, and a completed one answered 204.
 * (The store-unavailable row is in store-unavailable.test.ts.)
 */

const RETRY = 200;
/** Small, so a short stream loses its oldest events to the retention cap. */
const MAX_EVENTS_PER_STREAM = 2;
/** Small, so an over-long stream id fits in a URL every platform routes (Fastify's limit is 100). */
const MAX_ID_LENGTH = 64;

/** A line of the SSE format: none may appear in an HTTP error's body. */
const SSE_FIELD = /^(retry|event|id|data):/m;

for (const { platform, backend } of COMBINATIONS) {
  describe(`the answers of @ResumableSse (${platform}, ${backend})`, () => {
    let app: EdgeApp;
    /** Every EventSource of a row that must have stopped: it must send nothing more until the end. */
    const stopped: { client: EventSourceClient; address: SseStreamAddress; requests: number }[] = [];
    const clients: EventSourceClient[] = [];

    before(async () => {
      app = await EdgeApp.start({
        platform,
        backend,
        store: { retryInterval: RETRY, retryJitter: 0, maxEventsPerStream: MAX_EVENTS_PER_STREAM, maxIdLength: MAX_ID_LENGTH },
      });
    });

    after(async () => {
      for (const client of clients) client.close();
      await app?.close();
    });

    function follow(url: string, lastEventId?: string): EventSourceClient {
      const client = new EventSourceClient(url, { lastEventId });
      clients.push(client);
      return client;
    }

    /**
     * The row's answer, twice: a raw GET (status, content type, a JSON error body with no SSE field
     * in it, or an empty 204), then an EventSource, which must close for good on it.
     */
    async function assertRefused(
      address: SseStreamAddress,
      status: number,
      position: { lastEventId?: string; query?: string; code?: string },
    ): Promise<void> {
      const url = app.streamUrl(address) + (position.query ?? '');
      const headers: OutgoingHttpHeaders = position.lastEventId === undefined ? {} : { 'last-event-id': position.lastEventId };
      const answer = await rawGet(url, { accept: 'text/event-stream', ...headers });
      assert.equal(answer.status, status, `raw GET: ${answer.body}`);
      assert.equal(answer.end, 'ended');
      assert.doesNotMatch(answer.headers['content-type'] ?? '', /text\/event-stream/);
      if (status === 204) {
        assert.equal(answer.body, '');
      } else {
        assert.match(answer.headers['content-type'] ?? '', /^application\/json\b/);
        const body = JSON.parse(answer.body) as { statusCode: number; message: unknown; code?: string };
        assert.equal(body.statusCode, status);
        assert.equal(typeof body.message, 'string');
        if (position.code) assert.equal(body.code, position.code);
        assert.doesNotMatch(answer.body, SSE_FIELD);
      }

      const before = app.streamRequests(address).length;
      const client = follow(url, position.lastEventId);
      await client.waitForClosed();
      assert.deepEqual(
        client.errors.map((error) => [error.code, error.readyStateAfter]),
        [[status, EventSourceClient.CLOSED]],
        'one error event, with the status, and closed for good',
      );
      assert.equal(client.opens, 0, 'the stream never opened');
      assert.deepEqual(client.messages, []);
      const served = app.streamRequests(address).slice(before);
      assert.equal(served.length, 1, 'one request from the EventSource');
      assert.deepEqual(served[0].lastEventIds, position.lastEventId === undefined ? [] : [position.lastEventId]);
      assert.equal(served[0].status, status);
      stopped.push({ client, address, requests: app.streamRequests(address).length });
    }

    it('control: a stream from its start is sent as `retry:` and the stored events under their ids; EventSource then resumes and gets 204', async () => {
      const address = { sessionId: freshSession(), streamId: 'from-start' };
      const ids = [await app.append(address, { n: 1 }), await app.append(address, 'two', 'custom')];
      assert.equal(await app.complete(address), 204);

      const answer = await rawGet(app.streamUrl(address), { accept: 'text/event-stream' });
      assert.equal(answer.status, 200);
      assert.match(answer.headers['content-type'] ?? '', /^text\/event-stream\b/);
      assert.equal(answer.end, 'ended');
      // Exactly these bytes: `retry:` first, the store's ids (nothing generated), no error event.
      assert.equal(answer.body, `retry: ${RETRY}\n\nid: ${ids[0]}\ndata: {"n":1}\n\nevent: custom\nid: ${ids[1]}\ndata: two\n\n`);

      const client = new EventSourceClient(app.streamUrl(address), { types: ['custom'] });
      clients.push(client);
      await client.waitForClosed();
      assert.deepEqual(client.messages, [
        { type: 'message', data: '{"n":1}', lastEventId: ids[0] },
        { type: 'custom', data: 'two', lastEventId: ids[1] },
      ]);
      assert.equal(client.opens, 1);
      // The end of the response made it reconnect with its last id; the answer, 204, stopped it.
      assert.deepEqual(
        client.errors.map((error) => [error.code, error.readyStateAfter]),
        [
          [undefined, EventSourceClient.CONNECTING],
          [204, EventSourceClient.CLOSED],
        ],
      );
      const served = app.streamRequests(address).slice(1);
      assert.deepEqual(
        served.map((request) => [request.status, request.lastEventIds]),
        [
          [200, []],
          [204, [ids[1]]],
        ],
      );
      stopped.push({ client, address, requests: app.streamRequests(address).length });
    });

    it('control: resuming after an id sends the events after it, by header or query parameter', async () => {
      const address = { sessionId: freshSession(), streamId: 'resume' };
      const ids = [await app.append(address, 1), await app.append(address, 2)];
      assert.equal(await app.complete(address), 204);
      const expected = `retry: ${RETRY}\n\nid: ${ids[1]}\ndata: 2\n\n`;
      assert.equal((await rawGet(app.streamUrl(address), { 'last-event-id': ids[0] })).body, expected);
      assert.equal((await rawGet(`${app.streamUrl(address)}?lastEventId=${encodeURIComponent(ids[0])}`)).body, expected);

      const client = follow(app.streamUrl(address), ids[0]);
      await client.waitForClosed();
      assert.deepEqual(client.messages, [{ type: 'message', data: '2', lastEventId: ids[1] }]);
      assert.deepEqual(
        client.errors.map((error) => error.code),
        [undefined, 204],
      );
      stopped.push({ client, address, requests: app.streamRequests(address).length });
    });

    it('an unknown stream (no Last-Event-ID) gives 404', async () => {
      await assertRefused({ sessionId: freshSession(), streamId: 'never-written' }, 404, {});
    });

    it('an unparseable Last-Event-ID gives 404', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      await app.append(address, 1);
      await assertRefused(address, 404, { lastEventId: 'not-an-event-id' });
      // Well-formed, but naming a stream id longer than maxIdLength: not one of ours either.
      const tooLong = [address.sessionId, 'x'.repeat(MAX_ID_LENGTH + 16)].map((part) => Buffer.from(part).toString('base64url')).join('.');
      await assertRefused(address, 404, { lastEventId: `${tooLong}.1` });
    });

    it("another session's id gives 404", async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      await app.append(address, 'mine');
      const foreign = await app.append({ sessionId: freshSession('other'), streamId: 'main' }, 'theirs');
      await assertRefused(address, 404, { lastEventId: foreign });
    });

    it("a deleted session's id gives 404", async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      const id = await app.append(address, 1);
      await app.append(address, 2);
      assert.equal(await app.deleteSession(address.sessionId), 204);
      await assertRefused(address, 404, { lastEventId: id });
    });

    it("another stream's id of the same session gives 400", async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      await app.append(address, 1);
      const other = await app.append({ sessionId: address.sessionId, streamId: 'other' }, 1);
      await assertRefused(address, 400, { lastEventId: other });
    });

    it('an id whose next events were trimmed by the retention cap gives 410', async () => {
      const address = { sessionId: freshSession(), streamId: 'trimmed' };
      const ids: string[] = [];
      for (let n = 1; n <= 5; n++) ids.push(await app.append(address, n));
      await assertRefused(address, 410, { lastEventId: ids[0], code: 'SSE_HISTORY_EXPIRED' });
    });

    it('a from-start read whose first event is gone gives 410', async () => {
      const address = { sessionId: freshSession(), streamId: 'first-gone' };
      await app.append(address, 1);
      if (backend === 'memory') {
        await app.append(address, 2);
        await memoryNativeLayout(memoryStreamTableOf(app.cache, app.keyPrefix)).removeEvent(address, 1); // as an eviction would
      } else {
        // The stream's events key expired (or was evicted) while its metadata stayed: the next
        // append continues the sequence and marks event 1 lost.
        await redisClientOf(app.cache)!.del(new RedisStreamKeys(app.keyPrefix).stream(address).events);
        await app.append(address, 2);
      }
      await assertRefused(address, 410, { code: 'SSE_HISTORY_EXPIRED' });
    });

    it('the last id of a completed stream gives 204', async () => {
      const address = { sessionId: freshSession(), streamId: 'done' };
      await app.append(address, 1);
      const last = await app.append(address, 2);
      assert.equal(await app.complete(address), 204);
      await assertRefused(address, 204, { lastEventId: last });
    });

    it('a from-start read of a completed empty stream gives 204', async () => {
      const address = { sessionId: freshSession(), streamId: 'empty' };
      assert.equal(await app.complete(address), 204);
      await assertRefused(address, 204, {});
    });

    it('two Last-Event-ID headers give 400', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      const first = await app.append(address, 1);
      const second = await app.append(address, 2);
      for (const lines of [
        [first, second],
        [first, first],
      ]) {
        const answer = await rawGet(app.streamUrl(address), { accept: 'text/event-stream', 'last-event-id': lines });
        assert.equal(answer.status, 400, `${JSON.stringify(lines)}: ${answer.body}`);
        assert.match(answer.headers['content-type'] ?? '', /^application\/json\b/);
        assert.match(answer.body, /Last-Event-ID/);
        assert.doesNotMatch(answer.body, SSE_FIELD);
        assert.deepEqual(app.streamRequests(address).at(-1)?.lastEventIds, lines, 'the server received both lines');
      }
    });

    it('a repeated lastEventId query parameter gives 400', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      const first = await app.append(address, 1);
      const second = await app.append(address, 2);
      const query = `?lastEventId=${encodeURIComponent(first)}&lastEventId=${encodeURIComponent(second)}`;
      await assertRefused(address, 400, { query });
    });

    it('an invalid stream id (longer than maxIdLength) gives 400 with the store error code', async () => {
      await assertRefused({ sessionId: freshSession(), streamId: 'x'.repeat(MAX_ID_LENGTH + 16) }, 400, { code: 'SSE_INVALID_INPUT' });
    });

    it('no client that was told to stop sent another request', async () => {
      assert.ok(stopped.length >= 12, `${stopped.length} clients checked`);
      await delay(RETRY * 3); // several reconnection delays: a client that reconnects has done so by now
      // The requests each stream had once its last client stopped.
      const expected = new Map(stopped.map(({ address, requests }) => [app.streamUrl(address), { address, requests }]));
      for (const { client } of stopped) assert.equal(client.readyState, EventSourceClient.CLOSED);
      for (const { address, requests } of expected.values()) {
        assert.equal(app.streamRequests(address).length, requests, `${address.streamId}: no request after the clients stopped`);
      }
    });

    it('nothing a client caused was logged as an error or with a stack', () => {
      assert.deepEqual(app.errorsLogged(), []);
    });
  });
}

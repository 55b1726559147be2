import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delay, waitFor } from '../support/async';
import { EventSourceClient } from '../support/event-source-client';
import { readThrottled } from '../support/throttled-sse-reader';
import { cleanup, COMBINATIONS, EdgeApp, freshSession, type ServedRequest } from './edge-app';
import { createStoreOutage } from './store-outage';

/**
 * An error after the response started (the session deleted, the store failing) ends the response
 * plainly: no `event: error`, just the end of the body. EventSource then reconnects with the id of
 * the last event it really got (checked on the server), and that request gets the documented
 * answer: 404 for a deleted session; 200 with only `retry:` while the store is down; the stream
 * again (or 204 once completed) when it is back.
 */

const RETRY = 200;

/** The exact body of a response that sent these events (no type) and ended. */
function sseBody(events: [id: string, data: string][]): string {
  return `retry: ${RETRY}\n\n${events.map(([id, data]) => `id: ${id}\ndata: ${data}\n\n`).join('')}`;
}

function describeRequests(requests: ServedRequest[]): string {
  return JSON.stringify(requests.map((request) => [request.status, request.lastEventIds]));
}

describe('errors after the response started', () => {
  for (const { platform, backend } of COMBINATIONS) {
    it(`the session deleted while a client follows: the response ends, EventSource resumes with its last id and gets 404 (${platform}, ${backend})`, {
      timeout: 30_000,
    }, async (t) => {
      const onEnd = cleanup(t);
      const app = await EdgeApp.start({ platform, backend, store: { retryInterval: RETRY, retryJitter: 0 } });
      onEnd(() => app.close());
      const address = { sessionId: freshSession(), streamId: 'main' };
      const url = app.streamUrl(address);
      const ids = [await app.append(address, 'one')];
      const client = new EventSourceClient(url);
      onEnd(() => client.close());
      const raw = readThrottled(url, { bytesPerSecond: Infinity, keepBody: true });
      await client.waitForMessages(1);
      ids.push(await app.append(address, 'two')); // live
      await client.waitForMessages(2);

      assert.equal(await app.deleteSession(address.sessionId), 204);
      const read = await raw;
      assert.equal(read.end, 'ended', 'the server ended the response');
      assert.equal(
        read.body,
        sseBody([
          [ids[0], 'one'],
          [ids[1], 'two'],
        ]),
        'the events, then the end: no error event',
      );

      await client.waitForClosed();
      assert.deepEqual(
        client.errors.map((error) => [error.code, error.readyStateAfter]),
        [
          [undefined, EventSourceClient.CONNECTING],
          [404, EventSourceClient.CLOSED],
        ],
      );
      const requests = app.streamRequests(address);
      // The raw reader's and the EventSource's first requests, then the EventSource's resumption.
      assert.deepEqual(
        requests.map((request) => [request.status, request.lastEventIds]),
        [
          [200, []],
          [200, []],
          [404, [ids[1]]],
        ],
        describeRequests(requests),
      );
      assert.deepEqual(app.errorsLogged(), []);
    });
  }

  for (const { platform, backend } of COMBINATIONS) {
    it(`a client that goes away mid-stream is not a server error (${platform}, ${backend})`, { timeout: 30_000 }, async (t) => {
      const onEnd = cleanup(t);
      const app = await EdgeApp.start({ platform, backend, store: { retryInterval: RETRY, retryJitter: 0 } });
      onEnd(() => app.close());
      const address = { sessionId: freshSession(), streamId: 'main' };
      await app.append(address, 'one');
      const gone = new AbortController();
      const response = await fetch(app.streamUrl(address), { signal: gone.signal });
      const reader = response.body!.getReader();
      await reader.read(); // the stream started
      gone.abort();
      await waitFor(() => app.streamRequests(address)[0]?.closed === true, 'the server to see the client go');
      await app.append(address, 'two'); // written to nobody
      await delay(100);
      assert.deepEqual(app.errorsLogged(), []);
    });
  }

  for (const { platform, backend } of COMBINATIONS) {
    it(`the store fails while a client follows: the response ends, EventSource comes back with its last id until the store is back (${platform}, ${backend})`, {
      timeout: 60_000,
    }, async (t) => {
      const onEnd = cleanup(t);
      const outage = await createStoreOutage(backend);
      onEnd(() => outage.close());
      const app = await EdgeApp.start({
        platform,
        backend,
        cache: outage.cache,
        store: { ...outage.storeOptions, retryInterval: RETRY, retryJitter: 0 },
      });
      onEnd(() => app.close());
      const address = { sessionId: freshSession(), streamId: 'main' };
      const url = app.streamUrl(address);
      const ids = [await app.append(address, 'one')];
      const client = new EventSourceClient(url);
      onEnd(() => client.close());
      const raw = readThrottled(url, { bytesPerSecond: Infinity, keepBody: true });
      await client.waitForMessages(1);
      ids.push(await app.append(address, 'two'));
      await client.waitForMessages(2);

      if (backend === 'memory') {
        // Reads fail, writes still work: the completion wakes the reader, whose read fails.
        await outage.down({ readsOnly: true });
        assert.equal(await app.complete(address), 204);
      } else {
        // Redis goes away: the reader loses its wake-ups, polls, and its read times out.
        await outage.down();
      }
      const read = await raw;
      assert.equal(read.end, 'ended', 'the server ended the response');
      assert.equal(
        read.body,
        sseBody([
          [ids[0], 'one'],
          [ids[1], 'two'],
        ]),
        'the events, then the end: no error event',
      );

      // While the store is down, every resumption carries the real last id and is told to come back.
      await client.waitForErrors(4, 20_000);
      assert.notEqual(client.readyState, EventSourceClient.CLOSED);
      const whileDown = app.streamRequests(address).slice(2);
      assert.ok(whileDown.length >= 3, describeRequests(whileDown));
      for (const request of whileDown.filter((request) => request.closed)) {
        assert.deepEqual([request.status, request.lastEventIds], [200, [ids[1]]], describeRequests(whileDown));
      }

      await outage.up();
      if (backend === 'redis') {
        // Back: the client resumes the stream after `two`, gets what comes next, and the completion.
        await waitFor(
          () => app.streamRequests(address).some((request) => request.status === 200 && !request.closed),
          'the stream reopened',
          20_000,
        );
        ids.push(await app.append(address, 'three'));
        await client.waitForMessages(3, 20_000);
        assert.equal(await app.complete(address), 204);
      }
      await client.waitForClosed(20_000);
      assert.deepEqual(
        client.messages.map((message) => [message.data, message.lastEventId]),
        ids.map((id, index) => [['one', 'two', 'three'][index], id]),
      );
      assert.equal(client.errors.at(-1)?.code, 204, 'stopped by 204 once it had every event of the completed stream');
      const requests = app.streamRequests(address).slice(2);
      const last = requests.at(-1)!;
      assert.deepEqual([last.status, last.lastEventIds], [204, [ids.at(-1)]]);
      assert.ok(
        requests.every((request) => request.lastEventIds.length === 1 && ids.includes(request.lastEventIds[0])),
        `every resumption carried an id the client had: ${describeRequests(requests)}`,
      );
      console.log(
        `[${platform}, ${backend}] store failure mid-stream: ${requests.length} resumptions (${whileDown.length} while down, answered 200 + retry), ` +
          `${client.messages.length} events, ended by 204`,
      );
      assert.deepEqual(app.errorsLogged(), []);
    });
  }
});

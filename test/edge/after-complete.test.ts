import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delay } from '../support/async';
import { EventSourceClient } from '../support/event-source-client';
import { CapturingLogger } from '../support/capturing-logger';
import { cleanup, COMBINATIONS, EdgeApp, freshSession } from './edge-app';

/**
 * After `complete()`, an EventSource that follows the stream makes at most one more request (its
 * reconnection with the last id), answered 204, and then none: the server counts every request
 * it receives for 30 s. The four platform/backend runs go side by side, so the file takes the
 * 30 s once.
 */

const RETRY = 500;
const WATCH_MS = 30_000;

describe('after complete(), EventSource stops', { concurrency: true }, () => {
  /** One for every app of the file: they run side by side (see EdgeAppOptions.logger). */
  const logger = new CapturingLogger();

  for (const { platform, backend } of COMBINATIONS) {
    it(`one request answered 204, then none for 30 s (${platform}, ${backend})`, { timeout: WATCH_MS + 30_000 }, async (t) => {
      const onEnd = cleanup(t);
      const app = await EdgeApp.start({ logger, platform, backend, store: { retryInterval: RETRY } });
      onEnd(() => app.close());
      const address = { sessionId: freshSession(), streamId: 'job' };
      const ids = [await app.append(address, 'queued')];
      const client = new EventSourceClient(app.streamUrl(address));
      onEnd(() => client.close());
      await client.waitForMessages(1);
      // Live events, then the completion while the client follows.
      ids.push(await app.append(address, 'running'), await app.append(address, 'done'));
      await client.waitForMessages(3);
      const before = app.streamRequests(address).length;
      assert.equal(before, 1, 'one connection so far');
      const completedAt = Date.now();
      assert.equal(await app.complete(address), 204);

      await client.waitForClosed(RETRY + 10_000);
      const closedAfterMs = Date.now() - completedAt;
      assert.deepEqual(
        client.messages.map((message) => [message.data, message.lastEventId]),
        [
          ['queued', ids[0]],
          ['running', ids[1]],
          ['done', ids[2]],
        ],
      );
      assert.deepEqual(
        client.errors.map((error) => [error.code, error.readyStateAfter]),
        [
          [undefined, EventSourceClient.CONNECTING], // the response ended: reconnect after `retry`
          [204, EventSourceClient.CLOSED], // told to stop
        ],
      );

      await delay(WATCH_MS);
      const after = app.streamRequests(address).slice(before);
      assert.deepEqual(
        after.map((request) => [request.status, request.lastEventIds]),
        [[204, [ids[2]]]],
        'exactly one request after complete(), with the last id, answered 204',
      );
      assert.equal(client.requests, 2);
      assert.equal(app.requests.filter((request) => request.method === 'GET').length, 2, 'no other request either');
      console.log(
        `[${platform}, ${backend}] closed ${closedAfterMs} ms after complete(); requests in the ${WATCH_MS / 1000} s after: ${after.length - 1}`,
      );
      assert.deepEqual(app.errorsLogged(), []);
    });
  }
});

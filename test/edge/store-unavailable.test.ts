import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { EventSourceClient } from '../support/event-source-client';
import { rawGet } from '../support/raw-http';
import { COMBINATIONS, EdgeApp, freshSession } from './edge-app';
import { createStoreOutage, type StoreOutage } from './store-outage';

/**
 * The store unavailable while a stream is opened: the answer is a 200 that only says `retry:` and
 * ends, so EventSource keeps coming back (any other status would stop it for good) and gets the
 * stream once the store is back. Publishing meanwhile answers 503 with Retry-After. Nothing of it
 * is logged as an error.
 */

const RETRY = 100;

for (const { platform, backend } of COMBINATIONS) {
  describe(`the store unavailable (${platform}, ${backend})`, () => {
    let app: EdgeApp | undefined;
    let outage: StoreOutage | undefined;
    const clients: EventSourceClient[] = [];

    afterEach(async () => {
      for (const client of clients.splice(0)) client.close();
      await app?.close();
      await outage?.close();
      app = outage = undefined;
    });

    it('opening a stream answers 200 with only `retry:`; EventSource reconnects until the store is back, then gets the stream', {
      timeout: 60_000,
    }, async () => {
      outage = await createStoreOutage(backend);
      app = await EdgeApp.start({
        platform,
        backend,
        cache: outage.cache,
        store: { ...outage.storeOptions, retryInterval: RETRY, retryJitter: 0 },
      });
      const address = { sessionId: freshSession(), streamId: 'main' };
      const url = app.streamUrl(address);
      const first = await app.append(address, 'one');
      await outage.down();

      for (const headers of [{}, { 'last-event-id': first }]) {
        const answer = await rawGet(url, { accept: 'text/event-stream', ...headers });
        assert.equal(answer.status, 200);
        assert.match(answer.headers['content-type'] ?? '', /^text\/event-stream\b/);
        assert.equal(answer.end, 'ended');
        assert.equal(answer.body, `retry: ${RETRY}\n\n`, 'only when to come back: no event, no error event');
      }

      // A client from the start, and one resuming after `first` (by query parameter, as a page that kept the id).
      const fromStart = new EventSourceClient(url);
      const resuming = new EventSourceClient(`${url}?lastEventId=${encodeURIComponent(first)}`);
      clients.push(fromStart, resuming);
      await fromStart.waitForErrors(3, 20_000);
      await resuming.waitForErrors(3, 20_000);
      for (const client of [fromStart, resuming]) {
        assert.notEqual(client.readyState, EventSourceClient.CLOSED, 'EventSource did not give up');
        assert.ok(
          client.errors.every((error) => error.code === undefined && error.readyStateAfter === EventSourceClient.CONNECTING),
          `every answer ended a stream that EventSource reconnects: ${JSON.stringify(client.errors)}`,
        );
        assert.deepEqual(client.messages, []);
      }
      const whileDown = app.streamRequests(address);
      assert.ok(whileDown.length >= 8, `${whileDown.length} requests while the store was down`);
      assert.ok(
        whileDown.every((request) => request.status === 200 || request.status === undefined),
        `every answer was 200: ${whileDown.map((request) => request.status).join(',')}`,
      );

      // Publishing meanwhile: 503 and Retry-After, to an open stream and to a new one.
      for (const [target, code] of [
        [address, 'SSE_EVENT_NOT_PERSISTED'],
        [{ sessionId: address.sessionId, streamId: 'new' }, 'SSE_STORE_UNAVAILABLE'],
      ] as const) {
        const published = await app.publish(target, { data: 'while down' });
        assert.equal(published.status, 503);
        assert.equal(published.headers.get('retry-after'), '5');
        assert.equal(published.body.statusCode, 503);
        assert.equal(published.body.code, code);
        assert.equal(published.body.error, 'Service Unavailable');
      }

      await outage.up();
      const second = await app.append(address, 'two');
      await fromStart.waitForMessages(2, 20_000);
      await resuming.waitForMessages(1, 20_000);
      assert.deepEqual(
        fromStart.messages.map((message) => [message.data, message.lastEventId]),
        [
          ['one', first],
          ['two', second],
        ],
      );
      assert.deepEqual(
        resuming.messages.map((message) => [message.data, message.lastEventId]),
        [['two', second]],
      );
      assert.equal(fromStart.readyState, EventSourceClient.OPEN);
      assert.equal(resuming.readyState, EventSourceClient.OPEN);

      // Completed: both reconnect once with their real last id and are told to stop.
      assert.equal(await app.complete(address), 204);
      await fromStart.waitForClosed();
      await resuming.waitForClosed();
      const last = app.streamRequests(address).slice(-2);
      assert.deepEqual(
        last.map((request) => [request.status, request.lastEventIds]),
        [
          [204, [second]],
          [204, [second]],
        ],
      );
      console.log(
        `[${platform}, ${backend}] ${whileDown.length} requests answered 200 + retry while the store was down; ` +
          `then ${fromStart.messages.length} + ${resuming.messages.length} events delivered and 204 after complete()`,
      );

      // The outage is logged once as a warning and once as it ends; each refusal only at debug level.
      // (On Redis the pub/sub subscriber's outage too.)
      const warnings = app.logger.entries.filter((entry) => entry.level === 'warn').map((entry) => String(entry.message));
      assert.equal(warnings.filter((message) => /is not answering the event store/.test(message)).length, 1, JSON.stringify(warnings));
      assert.deepEqual(
        warnings.filter((message) => !/is not answering the event store|^Redis pub\/sub subscriber disconnected/.test(message)),
        [],
        'no other warning',
      );
      assert.ok(
        app.logger.entries.some((entry) => entry.level === 'log' && /answers the event store again after/.test(String(entry.message))),
        'the end of the outage was logged',
      );
      assert.ok(
        app.logger.entries.some(
          (entry) => entry.level === 'debug' && /could not be opened; the client retries/.test(String(entry.message)),
        ),
        'the refusals were logged at debug level',
      );
      assert.deepEqual(app.errorsLogged(), [], 'nothing logged as an error, no stack');
    });
  });
}

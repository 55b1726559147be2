import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { delay, waitFor } from '../support/async';
import { EventSourceClient } from '../support/event-source-client';
import { IdleCuttingProxy } from '../support/idle-cutting-proxy';
import { readThrottled } from '../support/throttled-sse-reader';
import { CapturingLogger } from '../support/capturing-logger';
import { cleanup, COMBINATIONS, EdgeApp, freshSession, PLATFORMS } from './edge-app';

/**
 * Keep-alive comments through a proxy that cuts connections idle for 5 s (as load balancers do,
 * with a shorter timeout): with `keepAliveInterval: 2000` an idle stream survives 30 s of silence
 * without a cut or a reconnect; with keep-alive off the same proxy cuts it (the control that shows
 * the test can fail). Every run goes side by side, so the file takes about 30 s.
 */

const PROXY_IDLE_TIMEOUT_MS = 5_000;
const KEEP_ALIVE_MS = 2_000;
const SILENCE_MS = 30_000;
const RETRY = 500;

describe('keep-alive through a proxy that cuts idle connections', { concurrency: true }, () => {
  /** One for every app of the file: they run side by side (see EdgeAppOptions.logger). */
  const logger = new CapturingLogger();

  for (const { platform, backend } of COMBINATIONS) {
    it(`keepAliveInterval ${KEEP_ALIVE_MS}: no cut and no reconnect in ${SILENCE_MS / 1000} s of silence (${platform}, ${backend})`, {
      timeout: SILENCE_MS + 30_000,
    }, async (t) => {
      const onEnd = cleanup(t);
      const app = await EdgeApp.start({ logger, platform, backend, store: { keepAliveInterval: KEEP_ALIVE_MS, retryInterval: RETRY } });
      onEnd(() => app.close());
      const proxy = await IdleCuttingProxy.start(app.baseUrl, PROXY_IDLE_TIMEOUT_MS);
      onEnd(() => proxy.close());
      const address = { sessionId: freshSession(), streamId: 'quiet' };
      const first = await app.append(address, 'hello');
      const url = proxy.url + new URL(app.streamUrl(address)).pathname;

      const client = new EventSourceClient(url);
      onEnd(() => client.close());
      // A raw reader on the same route, to count the comments the proxy forwarded.
      const raw = readThrottled(url, { bytesPerSecond: Infinity, keepBody: true });
      await client.waitForMessages(1);
      await waitFor(() => app.streamRequests(address).length === 2, 'both readers connected');

      await delay(SILENCE_MS);
      const reconnects = client.errors.length;
      assert.equal(proxy.cuts, 0, 'the proxy cut no connection');
      assert.deepEqual(client.errors, [], 'the EventSource saw no error, so it never reconnected');
      assert.equal(client.readyState, EventSourceClient.OPEN);
      assert.equal(client.opens, 1);
      assert.equal(app.streamRequests(address).length, 2, 'the server received no other request');

      // The connection still works: a live event arrives, then the completion ends both readers.
      const second = await app.append(address, 'after the silence');
      await client.waitForMessages(2);
      assert.deepEqual(
        client.messages.map((message) => [message.data, message.lastEventId]),
        [
          ['hello', first],
          ['after the silence', second],
        ],
      );
      assert.equal(await app.complete(address), 204);
      const read = await raw;
      assert.equal(read.end, 'ended');
      assert.deepEqual(
        read.events.map((event) => event.data),
        ['hello', 'after the silence'],
      );
      const keepAlives = (read.body!.match(/^: keep-alive\n\n/gm) ?? []).length;
      assert.ok(keepAlives >= SILENCE_MS / KEEP_ALIVE_MS - 3, `${keepAlives} keep-alive comments in ${SILENCE_MS / 1000} s`);
      assert.doesNotMatch(read.body!, /^event: error/m);
      console.log(
        `[${platform}, ${backend}] keep-alive ${KEEP_ALIVE_MS} ms: ${proxy.cuts} cuts, ${reconnects} reconnects, ${keepAlives} comments in ${SILENCE_MS / 1000} s`,
      );
      assert.deepEqual(app.errorsLogged(), []);
    });
  }

  for (const platform of PLATFORMS) {
    it(`control, keep-alive off: the same proxy cuts the idle stream and EventSource reconnects (${platform}, memory)`, {
      timeout: 60_000,
    }, async (t) => {
      const onEnd = cleanup(t);
      const app = await EdgeApp.start({ logger, platform, backend: 'memory', store: { keepAliveInterval: 0, retryInterval: RETRY } });
      onEnd(() => app.close());
      const proxy = await IdleCuttingProxy.start(app.baseUrl, PROXY_IDLE_TIMEOUT_MS);
      onEnd(() => proxy.close());
      const address = { sessionId: freshSession(), streamId: 'quiet' };
      const first = await app.append(address, 'hello');
      const client = new EventSourceClient(proxy.url + new URL(app.streamUrl(address)).pathname);
      onEnd(() => client.close());
      await client.waitForMessages(1);
      const connectedAt = Date.now();

      await waitFor(() => proxy.cuts >= 1, 'the proxy to cut the idle stream', PROXY_IDLE_TIMEOUT_MS * 3);
      const cutAfterMs = Date.now() - connectedAt;
      await waitFor(() => app.streamRequests(address).length >= 2, 'EventSource to reconnect', 10_000);
      const again = app.streamRequests(address)[1];
      assert.deepEqual(again.lastEventIds, [first], 'it reconnected with its last id');
      assert.ok(client.errors.length >= 1 && client.errors[0].readyStateAfter === EventSourceClient.CONNECTING);
      console.log(`[${platform}, memory] keep-alive off: cut after ${cutAfterMs} ms of silence; the client reconnected`);
      assert.deepEqual(app.errorsLogged(), [], 'a connection cut by the proxy is not a server error');
    });
  }
});

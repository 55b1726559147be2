import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from 'cache-manager';
import { CacheKeys } from '../../lib/storage/cache-keys';
import { recordingCache } from '../support/cache-inspection';
import { readThrottled } from '../support/throttled-sse-reader';
import { CapturingLogger } from '../support/capturing-logger';
import { cleanup, COMBINATIONS, EdgeApp, freshSession } from './edge-app';

/**
 * A large replay to a slow client: 320 events of 64 KiB (about 21 MB) stored first, then read by a
 * raw client that takes at most 1 MB/s. Every event arrives, in order, under consecutive ids, on
 * one connection that the server ends normally after the last one. (Nest 12's own SSE writer drops
 * a connection once more than 4 Mi characters wait for the client; the route writes per event as
 * the client reads, so it never gets there.) On the in-memory cache, on the generic path (each read
 * a cache call), the test also counts the events the server read from the store as the client
 * receives them: it stays within a few pages
 * and what the sockets buffer of the client, never the whole stream at once. The four
 * platform/backend runs go side by side.
 */

const EVENTS = 320;
const EVENT_CHARS = 64 * 1024;
const BYTES_PER_SECOND = 1_000_000;
const RETRY = 1_000;
/** Events per replay read; small, so what the server read shows how far it ran ahead of the client. */
const PAGE = 16;

/** The data of event `n`: its number, padded to 64 KiB. */
function payload(n: number): string {
  return `${n}:`.padEnd(EVENT_CHARS, 'x');
}

describe(`a replay of ${EVENTS} × 64 KiB to a client reading 1 MB/s`, { concurrency: true }, () => {
  /** One for every app of the file: they run side by side (see EdgeAppOptions.logger). */
  const logger = new CapturingLogger();

  for (const { platform, backend } of COMBINATIONS) {
    it(`arrives whole, in order, on one connection (${platform}, ${backend})`, { timeout: 120_000 }, async (t) => {
      const onEnd = cleanup(t);
      // On memory, a cache that records which keys each read asked for.
      const recorded = backend === 'memory' ? recordingCache(createCache()) : undefined;
      const app = await EdgeApp.start({
        logger,
        platform,
        backend,
        cache: recorded?.cache,
        store: { retryInterval: RETRY, retryJitter: 0, replayPageSize: PAGE, ...(recorded ? { storage: 'generic' as const } : {}) },
      });
      onEnd(() => app.close());
      const address = { sessionId: freshSession(), streamId: 'large' };
      const eventKeys = new CacheKeys(app.keyPrefix).eventPrefix(address);
      const eventsRead = (): number =>
        (recorded?.calls ?? [])
          .filter((call) => call.operation === 'mget')
          .reduce((sum, call) => sum + call.keys.filter((key) => key.startsWith(eventKeys)).length, 0);
      const ids: string[] = [];
      for (let n = 1; n <= EVENTS; n += 32) {
        const batch = Array.from({ length: Math.min(32, EVENTS - n + 1) }, (_, offset) =>
          app.publisher.append(address, { data: payload(n + offset) }),
        );
        ids.push(...(await Promise.all(batch)).map((event) => event.id));
      }
      await app.publisher.complete(address);

      const readBefore = eventsRead();
      let received = 0;
      let mostAhead = 0;
      let readAtTenth = 0;
      const read = await readThrottled(app.streamUrl(address), {
        bytesPerSecond: BYTES_PER_SECOND,
        onEvent: () => {
          received++;
          mostAhead = Math.max(mostAhead, eventsRead() - readBefore - received);
          if (received === 10) readAtTenth = eventsRead() - readBefore;
        },
      });
      assert.equal(read.status, 200);
      assert.match(read.contentType ?? '', /^text\/event-stream\b/);
      assert.equal(read.end, 'ended', 'the server ended the response: no disconnect');
      assert.deepEqual(read.retries, [RETRY]);
      assert.equal(read.events.length, EVENTS, `${read.events.length} of ${EVENTS} events arrived`);
      assert.deepEqual(
        read.events.map((event) => event.id),
        ids,
        'the stored ids, in order',
      );
      const sequences = read.events.map((event) => Number(event.id!.split('.').at(-1)));
      assert.ok(
        sequences.every((sequence, index) => sequence === index + 1),
        'ids are consecutive',
      );
      read.events.forEach((event, index) => {
        assert.equal(event.event, undefined, `event ${index + 1} has no type (no error event)`);
        assert.equal(event.data.length, EVENT_CHARS, `event ${index + 1} whole`);
        assert.ok(event.data.startsWith(`${index + 1}:`), `event ${index + 1} in its place`);
      });
      assert.equal(app.streamRequests(address).length, 1, 'one connection');
      if (recorded) {
        // Ahead by what the sockets' kernel buffers hold (a few MB on loopback) and a page, not by
        // the whole stream, as a server that ignores the client would be within a few pages.
        assert.ok(readAtTenth < EVENTS, `the server had read ${readAtTenth} events when the client had 10`);
      }
      const megabytes = read.bytes / 1e6;
      console.log(
        `[${platform}, ${backend}] ${read.events.length} events, ${megabytes.toFixed(1)} MB in ${(read.elapsedMs / 1000).toFixed(1)} s ` +
          `(${(megabytes / (read.elapsedMs / 1000)).toFixed(2)} MB/s), one connection, ended by the server` +
          (recorded
            ? `; the server read at most ${mostAhead} events (${((mostAhead * EVENT_CHARS) / 1e6).toFixed(1)} MB) ahead of the client, ${readAtTenth} when it had 10`
            : ''),
      );
      assert.deepEqual(app.errorsLogged(), []);
    });
  }
});

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseEventStreamMode, SseHistoryExpiredError } from '../../../lib';
import { delay, waitFor } from '../../support/async';
import { memoryStreamTableOf } from '../../../lib/storage/memory/memory-stream-table';
import { cacheLayout, memoryNativeLayout, redisNativeLayout } from '../../support/stored-layout';
import { isError, assertWithin, MINUTE, type StoreSuiteContext } from './store-suite-context';

const { Streaming } = SseEventStreamMode;

/** Expiry: the TTLs the store sets on what it keeps, and how reads slide them. */
export function defineExpiryTests(suite: StoreSuiteContext): void {
  const { path, it, open, readFromStart, readAfter, writeMany } = suite;

  describe('expiry', () => {
    it('events and metadata are stored with the sliding TTL, never beyond the absolute limit', async (t) => {
      const capped = await open(t, {
        eventSlidingExpiration: 60_000,
        eventAbsoluteExpiration: 20_000,
        metadataSlidingExpiration: 30_000,
        metadataAbsoluteExpiration: 120_000,
      });
      const address = { sessionId: 'ttl', streamId: 'main' };
      const writer = await capped.store.createStream(address);
      await writer.write({ data: 1 });
      const eventTtl = await capped.layout.eventTtl(address, 1);
      const metadataTtl = await capped.layout.metadataTtl(address);
      const indexTtl = await capped.layout.indexTtl(address.sessionId);
      assertWithin(eventTtl, 20_000, 'event TTL: the absolute limit is shorter than the sliding window');
      assertWithin(metadataTtl, 30_000, 'metadata TTL: the sliding window');
      // In memory a session has no index of its own: it goes with its last stream.
      if (path !== 'memory-native') assertWithin(indexTtl, 120_000, 'session index TTL: the longest lifetime of any key of the session');

      const sliding = await open(t, { eventSlidingExpiration: 20_000, eventAbsoluteExpiration: 60_000 });
      const other = await sliding.store.createStream(address);
      await other.write({ data: 1 });
      assertWithin(await sliding.layout.eventTtl(address, 1), 20_000, 'event TTL: the sliding window');
    });

    // Expiry differs by path: one key per event on the generic paths, one key per stream natively.
    const REFRESH_EXPIRATIONS = {
      eventSlidingExpiration: 30 * MINUTE,
      eventAbsoluteExpiration: 120 * MINUTE,
      metadataSlidingExpiration: 60 * MINUTE,
      metadataAbsoluteExpiration: 240 * MINUTE,
    };
    if (path === 'redis-native') {
      it('reading an old stream slides its expiry, never past the absolute limit of its newest event', async (t) => {
        const h = await open(t, REFRESH_EXPIRATIONS);
        const address = { sessionId: 'refresh', streamId: 'main' };
        const native = redisNativeLayout(h.raw, h.keyPrefix);
        const writer = await h.store.createStream(address);
        await writeMany(writer, 4);
        await writer.complete();
        // Age the stream: events written long ago, both keys with only a minute left to live.
        const now = Date.now();
        await native.age(address, [now - 125 * MINUTE, now - 20 * MINUTE, now - 5 * MINUTE, now - 5 * MINUTE], now - 40 * MINUTE, MINUTE);

        h.trips.reset();
        // The first event is past its absolute limit: gone, as its own key would be on the generic path.
        await assert.rejects(
          h.store.getStreamReader(h.ids.format(address, 0)),
          isError(SseHistoryExpiredError, (error) => assert.equal(error.missingSequence, 1)),
        );
        assert.deepEqual(
          (await readAfter(h, h.ids.format(address, 1))).map((event) => event.data),
          [1, 2, 3].map((n) => ({ n })),
        );
        assert.equal(h.trips.count(), h.trips.count('read'), 'the expiry slides within the reads themselves');
        assertWithin(await h.layout.eventTtl(address, 2), 30 * MINUTE, 'the events get a full sliding window again');
        assertWithin(await h.layout.metadataTtl(address), 60 * MINUTE, "a completed stream's metadata slides too");

        // Cut at the absolute limit of the newest event: 120 minutes after it was written, not 30 minutes after this read.
        await native.age(
          address,
          [now - 125 * MINUTE, now - 120 * MINUTE, now - 118 * MINUTE, now - 115 * MINUTE],
          now - 115 * MINUTE,
          MINUTE,
        );
        assert.deepEqual(
          (await readAfter(h, h.ids.format(address, 3))).map((event) => event.data),
          [{ n: 3 }],
        );
        const nearEnd = await h.layout.eventTtl(address, 4);
        assert.ok(nearEnd !== undefined && nearEnd > 2 * MINUTE, `refreshed, got ${nearEnd}`);
        assert.ok(Date.now() + nearEnd <= now + 5 * MINUTE + 1_000, `expires by the absolute limit, got ${nearEnd} ms left`);
      });
    } else if (path === 'memory-native') {
      it('reading an old stream slides its expiry, never past the absolute limit of its newest event', async (t) => {
        const h = await open(t, REFRESH_EXPIRATIONS);
        const address = { sessionId: 'refresh', streamId: 'main' };
        const memory = memoryNativeLayout(memoryStreamTableOf(h.raw, h.keyPrefix));
        const writer = await h.store.createStream(address);
        await writeMany(writer, 4);
        await writer.complete();
        // Age the stream: a minute left for its events and metadata, its newest event 5 minutes before its absolute limit.
        const stream = memory.stream(address)!;
        const now = Date.now();
        stream.eventsExpireAt = stream.metadataExpiresAt = now + MINUTE;
        stream.eventsAbsoluteAt = now + 5 * MINUTE;
        stream.metadataAbsoluteAt = now + 100 * MINUTE;

        assert.deepEqual(
          (await readFromStart(h, address)).map((event) => event.data),
          [0, 1, 2, 3].map((n) => ({ n })),
        );
        const events = await h.layout.eventTtl(address, 1);
        assert.ok(events !== undefined && events > 2 * MINUTE, `refreshed, got ${events}`);
        assert.ok(Date.now() + events <= now + 5 * MINUTE, `expires by the absolute limit, got ${events} ms left`);
        assertWithin(await h.layout.metadataTtl(address), 60 * MINUTE, "a completed stream's metadata slides too");
      });
    } else {
      it('reading an old event refreshes its TTL, never past its absolute limit', async (t) => {
        const h = await open(t, REFRESH_EXPIRATIONS);
        const address = { sessionId: 'refresh', streamId: 'main' };
        const generic = cacheLayout(h.raw, h.keyPrefix);
        const eventKey = (sequence: number): string => generic.eventKey(address, sequence);
        const writer = await h.store.createStream(address);
        await writeMany(writer, 4);
        await writer.complete();
        // Age the stored records: written long ago, with only a minute left to live.
        const now = Date.now();
        const age = async (key: string, record: object) => h.raw.set(key, JSON.stringify(record), MINUTE);
        await age(eventKey(1), { d: 'stale', w: now - 20 * MINUTE });
        await age(eventKey(2), { d: 'near its end', w: now - 115 * MINUTE });
        await age(eventKey(3), { d: 'fresh', w: now - 5 * MINUTE });
        await age(eventKey(4), { d: 'past its end', w: now - 125 * MINUTE });
        await age(generic.metadataKey(address), { m: Streaming, c: true, f: 1, l: 4, w: now - 40 * MINUTE });

        h.trips.reset();
        assert.deepEqual(
          (await readFromStart(h, address)).map((event) => event.data),
          ['stale', 'near its end', 'fresh', 'past its end'],
        );
        await waitFor(async () => ((await generic.eventTtl(address, 1)) ?? 0) > 2 * MINUTE, 'the stale event to be refreshed');
        // Opening the reader is one read (it finds the completed stream's metadata stale), reading
        // the page is another (stale events); each sends its refreshes in one call.
        assert.ok(h.trips.count('write') >= 1 && h.trips.count('write') <= 2, `one refresh call per read, got ${h.trips.count('write')}`);

        assertWithin(await generic.eventTtl(address, 1), 30 * MINUTE, 'a stale event gets a full sliding window again');
        // Cut at its absolute limit: it expires 120 minutes after it was written, not 30 minutes after this read.
        const nearEnd = await generic.eventTtl(address, 2);
        assert.ok(nearEnd !== undefined && nearEnd > 2 * MINUTE, `refreshed, got ${nearEnd}`);
        assert.ok(Date.now() + nearEnd <= now + 5 * MINUTE + 1_000, `expires by its absolute limit, got ${nearEnd} ms left`);
        assert.ok((await generic.eventTtl(address, 3))! <= MINUTE, 'a fresh event is not rewritten');
        assert.ok((await generic.eventTtl(address, 4))! <= MINUTE, 'an event past its absolute limit is not kept alive');
        assertWithin(await generic.metadataTtl(address), 60 * MINUTE, "a completed stream's metadata slides too");
        const refreshed = JSON.parse((await h.raw.get<string>(eventKey(1)))!) as { d: unknown; w: number; a?: number };
        assert.equal(refreshed.d, 'stale');
        assert.equal(refreshed.w, now - 20 * MINUTE, 'the write time, which the absolute limit counts from, is kept');
        assert.ok(refreshed.a !== undefined && refreshed.a >= now);

        // Now recently refreshed: a second read rewrites nothing.
        h.trips.reset();
        await readFromStart(h, address);
        await delay(50);
        assert.equal(h.trips.count('write'), 0);
      });
    }
  });
}

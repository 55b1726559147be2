import assert from 'node:assert/strict';
import { describe, it as nodeIt, type TestContext } from 'node:test';
import { Logger } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import calculateSlot from 'cluster-key-slot';
import {
  SseEventPersistenceError,
  SseHistoryExpiredError,
  SseSessionDeletedError,
  type SseEventStore,
  type SseEventStoreModuleOptions,
  type SseStoredEvent,
} from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { CacheKeys } from '../../lib/storage/cache-keys';
import { WakeupChannels } from '../../lib/wakeup/wakeup-channels';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import { MAX_PUSHED_CHARS } from '../../lib/encoding/appended-events';
import { createSseEventStore } from '../../lib/testing';
import { collect, delay, record, waitFor } from '../support/async';
import { listKeys, redisClientOf } from '../support/cache-inspection';
import type { RedisClientType } from '@keyv/redis';
import { createTestCache, uniquePrefix } from '../support/caches';
import { redisRoundTrips, type RoundTripLog } from '../support/round-trips';
import { type RedisNativeLayout, redisNativeLayout } from '../support/stored-layout';

Logger.overrideLogger(['error', 'warn']);

const it = (name: string, fn: (t: TestContext) => Promise<void>) => nodeIt(name, { timeout: 60_000 }, fn);
const ids = new EventIdCodec(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength);
const sequenceOf = (id: string): number => ids.parse(id)!.sequence;

/** A store on a Redis connection of its own, as one instance of an application has. */
interface Instance {
  store: SseEventStore;
  trips: RoundTripLog;
  /** The cache under the store, and its node-redis client: for looking at or tampering with what is stored. */
  raw: Cache;
  client: RedisClientType;
  keys: RedisStreamKeys;
  layout: RedisNativeLayout;
}

type Options = Omit<SseEventStoreModuleOptions, 'cache' | 'keyPrefix'>;

async function instance(t: TestContext, keyPrefix: string, options: Options = { storage: 'redis' }): Promise<Instance> {
  const testCache = await createTestCache('redis');
  const recorded = redisRoundTrips(testCache.cache);
  const created = createSseEventStore({ ...options, cache: recorded.cache, keyPrefix });
  t.after(async () => {
    await created.close();
    await testCache.close();
  });
  return {
    store: created.store,
    trips: recorded.log,
    raw: testCache.cache,
    client: redisClientOf(testCache.cache)!,
    keys: new RedisStreamKeys(keyPrefix),
    layout: redisNativeLayout(testCache.cache, keyPrefix),
  };
}

/** A raw subscriber that counts the messages on a channel. */
async function countMessages(t: TestContext, client: RedisClientType, channel: string): Promise<{ count(): number }> {
  const subscriber = client.duplicate();
  await subscriber.connect();
  t.after(() => subscriber.destroy());
  let messages = 0;
  await subscriber.subscribe(channel, () => messages++);
  return { count: () => messages };
}

describe('native Redis storage', () => {
  describe('choosing the path', () => {
    it('a cache on @keyv/redis is stored natively by default; storage: generic keeps the cache-manager layout', async (t) => {
      const address = { sessionId: 'path', streamId: 'main' };
      const nativePrefix = uniquePrefix();
      const genericPrefix = uniquePrefix();
      const native = await instance(t, nativePrefix, {});
      const generic = await instance(t, genericPrefix, { storage: 'generic' });
      for (const { store } of [native, generic]) await (await store.createStream(address)).write({ data: 1 });

      const nativeKeys = new RedisStreamKeys(nativePrefix);
      assert.deepEqual(
        await listKeys(native.raw, `${nativePrefix}:`),
        [nativeKeys.index('path'), nativeKeys.stream(address).events, nativeKeys.stream(address).metadata].sort(),
      );
      const genericKeys = new CacheKeys(genericPrefix);
      assert.deepEqual(
        await listKeys(generic.raw, `${genericPrefix}:`),
        [genericKeys.eventPrefix(address) + 1, genericKeys.sessionIndex('path'), genericKeys.metadata(address)].sort(),
      );
      assert.equal(generic.trips.count(), 0, 'the generic path sends nothing to the Redis client directly');
    });

    it('generic and native data never mix: a stream stored by one path is unknown to the other', async (t) => {
      const keyPrefix = uniquePrefix();
      const native = await instance(t, keyPrefix);
      const generic = await instance(t, keyPrefix, { storage: 'generic' });
      const nativeEvent = await (await native.store.createStream({ sessionId: 's', streamId: 'native' })).write({ data: 'n' });
      const genericEvent = await (await generic.store.createStream({ sessionId: 's', streamId: 'generic' })).write({ data: 'g' });
      assert.equal(await generic.store.getStreamReader(nativeEvent.id), null);
      assert.equal(await native.store.getStreamReader(genericEvent.id), null);
      // The same stream on both paths: two separate streams, each with its own sequence.
      const both = { sessionId: 's', streamId: 'both' };
      const writers = [await native.store.createStream(both), await generic.store.createStream(both)];
      const [fromNative, fromGeneric] = [await writers[0].write({ data: 'n' }), await writers[1].write({ data: 'g' })];
      assert.equal(fromNative.id, fromGeneric.id, 'both start at sequence 1');
      for (const writer of writers) await writer.complete();
      assert.deepEqual(
        (await collect((await native.store.getStreamReaderFromStart(both))!.events())).map((event) => event.data),
        ['n'],
      );
      assert.deepEqual(
        (await collect((await generic.store.getStreamReaderFromStart(both))!.events())).map((event) => event.data),
        ['g'],
      );
    });
  });

  describe('round trips', () => {
    it('an awaited write is one script call; writes in flight on one stream share one', async (t) => {
      const { store, trips } = await instance(t, uniquePrefix());
      const writer = await store.createStream({ sessionId: 's', streamId: 'one' });
      trips.reset();
      for (let n = 0; n < 50; n++) await writer.write({ data: n });
      assert.deepEqual(
        trips.trips.map((trip) => trip.operation),
        new Array(50).fill('append'),
      );
      trips.reset();
      await Promise.all(Array.from({ length: 50 }, (_, n) => writer.write({ data: n })));
      assert.deepEqual(
        trips.trips.map((trip) => trip.operation),
        ['append'],
      );
    });

    it('writes to 100 streams of 100 sessions issued together share two script calls, each stream with its own sequence', async (t) => {
      const { store, trips } = await instance(t, uniquePrefix());
      const writers = await Promise.all(
        Array.from({ length: 100 }, (_, n) => store.createStream({ sessionId: `session-${n}`, streamId: 'stream' })),
      );
      for (let round = 1; round <= 3; round++) {
        trips.reset();
        const written = await Promise.all(writers.map((writer, n) => writer.write({ data: { n, round } })));
        // Two calls, so Redis runs one while this process handles the other's reply.
        assert.deepEqual(
          trips.trips.map((trip) => trip.operation),
          ['append', 'append'],
          `round ${round}: two calls for 100 streams`,
        );
        assert.deepEqual(
          trips.trips.map((trip) => trip.keys.length),
          [150, 150],
          'three keys per stream, 50 streams each',
        );
        assert.deepEqual(
          written.map((event) => sequenceOf(event.id)),
          new Array(100).fill(round),
        );
      }
      await Promise.all(writers.map((writer) => writer.complete()));
      const read = await collect((await store.getStreamReaderFromStart({ sessionId: 'session-42', streamId: 'stream' }))!.events());
      assert.deepEqual(
        read.map((event) => event.data),
        [1, 2, 3].map((round) => ({ n: 42, round })),
      );
    });

    it('one stream failing in a shared call fails only its own writes', async (t) => {
      const { store, client, keys, trips } = await instance(t, uniquePrefix());
      const broken = { sessionId: 'shared', streamId: 'broken' };
      const healthy = { sessionId: 'shared', streamId: 'healthy' };
      const [brokenWriter, healthyWriter] = [await store.createStream(broken), await store.createStream(healthy)];
      // Something else took the events key of one stream (a string where a Redis Stream belongs).
      await client.set(keys.stream(broken).events, 'not a stream');
      trips.reset();
      const [failed, stored] = await Promise.allSettled([brokenWriter.write({ data: 'lost' }), healthyWriter.write({ data: 'kept' })]);
      assert.deepEqual(
        trips.trips.map((trip) => trip.operation),
        ['append'],
        'both went in one call',
      );
      assert.equal(failed.status, 'rejected');
      assert.ok(failed.reason instanceof SseEventPersistenceError, `got ${String(failed.reason)}`);
      assert.match(String((failed.reason as Error).cause), /WRONGTYPE/);
      assert.equal(stored.status, 'fulfilled');
      await healthyWriter.complete();
      assert.deepEqual(
        (await collect((await store.getStreamReaderFromStart(healthy))!.events())).map((event) => event.data),
        ['kept'],
      );
    });

    it('scripts flushed from the server are sent again with EVAL', async (t) => {
      const { store, client, trips } = await instance(t, uniquePrefix());
      const writer = await store.createStream({ sessionId: 's', streamId: 'flushed' });
      await writer.write({ data: 1 });
      await client.scriptFlush();
      trips.reset();
      const second = await writer.write({ data: 2 });
      assert.deepEqual(
        trips.trips.map((trip) => trip.operation),
        ['append', 'eval'],
        'EVALSHA refused, then EVAL',
      );
      assert.equal(sequenceOf(second.id), 2);
      trips.reset();
      await writer.write({ data: 3 });
      assert.deepEqual(
        trips.trips.map((trip) => trip.operation),
        ['append'],
        'cached again',
      );
    });
  });

  describe('several instances on one Redis', () => {
    it('two writers of one stream in two instances interleave their sequences and never overwrite', async (t) => {
      const keyPrefix = uniquePrefix();
      const [first, second] = [await instance(t, keyPrefix), await instance(t, keyPrefix)];
      const address = { sessionId: 'shared', streamId: 'twice' };
      const writers = [await first.store.createStream(address), await second.store.createStream(address)];
      const written: { id: string; data: { writer: number; n: number } }[] = [];
      for (let round = 0; round < 10; round++) {
        // Both instances write 20 events at once: their appends reach Redis interleaved.
        const batches = writers.map((writer, index) =>
          Promise.all(Array.from({ length: 20 }, (_, n) => writer.write({ data: { writer: index, n: round * 20 + n } }))),
        );
        written.push(...(await Promise.all(batches)).flat());
      }
      const sequences = written.map((event) => sequenceOf(event.id));
      assert.deepEqual(
        [...sequences].sort((a, b) => a - b),
        Array.from({ length: 400 }, (_, n) => n + 1),
        'every sequence given once',
      );
      await Promise.all(writers.map((writer) => writer.complete()));

      const stored = await collect((await first.store.getStreamReaderFromStart(address))!.events());
      assert.equal(stored.length, 400, 'nothing lost');
      const byId = new Map(stored.map((event) => [event.id, event.data]));
      for (const event of written) assert.deepEqual(byId.get(event.id), event.data, `${event.id} holds what was written under it`);
      for (const index of [0, 1]) {
        const own = stored
          .filter((event) => (event.data as { writer: number }).writer === index)
          .map((event) => (event.data as { n: number }).n);
        assert.deepEqual(
          own,
          Array.from({ length: 200 }, (_, n) => n),
          `writer ${index}'s events in its own order`,
        );
      }
    });

    it('each write wakes the readers of other instances with one message, published by the write itself', async (t) => {
      const keyPrefix = uniquePrefix();
      const writerSide = await instance(t, keyPrefix);
      // A polling interval far longer than the test: whatever arrives was pushed.
      const readerSide = await instance(t, keyPrefix, { storage: 'redis', pollingInterval: 3_600_000 });
      const address = { sessionId: 'live', streamId: 'push' };
      const messages = await countMessages(t, writerSide.client, new WakeupChannels(keyPrefix).streamChannel(address));
      const writer = await writerSide.store.createStream(address);
      const reader = await readerSide.store.getStreamReaderFromStart(address);
      const live = record(reader!.events());
      await delay(200); // the reader's channel goes live
      for (let n = 1; n <= 5; n++) {
        await writer.write({ data: { n } });
        await live.waitForCount(n);
      }
      await writer.complete();
      assert.deepEqual(await live.ended, { completed: true });
      assert.deepEqual(
        live.values.map((event: SseStoredEvent) => event.data),
        [1, 2, 3, 4, 5].map((n) => ({ n })),
      );
      await waitFor(() => messages.count() >= 6, 'the wake-ups to arrive');
      await delay(100);
      assert.equal(messages.count(), 6, 'one message per write and one for the completion, none published twice');
    });

    it('wake-ups that do not travel through the cache client are left to the wake-ups themselves: still one message per write', async (t) => {
      const keyPrefix = uniquePrefix();
      const probe = await instance(t, keyPrefix);
      const address = { sessionId: 'own-client', streamId: 'main' };
      const messages = await countMessages(t, probe.client, new WakeupChannels(keyPrefix).streamChannel(address));
      const publisher = probe.client.duplicate();
      await publisher.connect();
      t.after(() => publisher.destroy());
      // Pub/sub on a client of its own (it could be another server): the scripts cannot publish for it.
      const separate = await instance(t, keyPrefix, { storage: 'redis', redis: publisher });
      const writer = await separate.store.createStream(address);
      for (let n = 0; n < 3; n++) await writer.write({ data: n });
      await waitFor(() => messages.count() >= 3, 'the wake-ups to arrive');
      await delay(100);
      assert.equal(messages.count(), 3, 'published once per write, by the wake-ups');

      // Pub/sub turned off: nothing is published at all.
      const silent = await instance(t, keyPrefix, { storage: 'redis', redis: false });
      const quiet = await silent.store.createStream({ ...address, streamId: 'quiet' });
      const quietMessages = await countMessages(
        t,
        probe.client,
        new WakeupChannels(keyPrefix).streamChannel({ ...address, streamId: 'quiet' }),
      );
      for (let n = 0; n < 3; n++) await quiet.write({ data: n });
      await delay(100);
      assert.equal(quietMessages.count(), 0);
      await Promise.all([writer.complete(), quiet.complete()]);
    });

    it('a reader waiting in another instance sends no command while nothing is written, nor for events that come with the wake-up', async (t) => {
      const keyPrefix = uniquePrefix();
      const writerSide = await instance(t, keyPrefix);
      const readerSide = await instance(t, keyPrefix, { storage: 'redis', pollingInterval: 3_600_000 });
      const address = { sessionId: 'idle', streamId: 'quiet' };
      const writer = await writerSide.store.createStream(address);
      const live = record((await readerSide.store.getStreamReaderFromStart(address))!.events());
      await delay(300); // the first read, and the re-check once the channel is live
      readerSide.trips.reset();
      await delay(1_500);
      assert.equal(readerSide.trips.count(), 0, 'no command while idle');
      await writer.write({ data: 'wakes it' });
      await live.waitForCount(1);
      assert.equal(readerSide.trips.count(), 0, 'the event came with its wake-up: nothing to read');
      await writer.write({ data: 'x'.repeat(MAX_PUSHED_CHARS) });
      await live.waitForCount(2);
      assert.deepEqual(
        readerSide.trips.trips.map((trip) => trip.operation),
        ['read'],
        'one read for an event too large to travel',
      );
      live.subscription.unsubscribe();
      await writer.complete();
    });

    it('once the session is deleted in one instance, a writer in another is refused', async (t) => {
      const keyPrefix = uniquePrefix();
      const [first, second] = [await instance(t, keyPrefix), await instance(t, keyPrefix)];
      const remote = await second.store.createStream({ sessionId: 'gone', streamId: 'remote' });
      await remote.write({ data: 'before' });
      await first.store.deleteStreamsForSession('gone');
      await assert.rejects(remote.write({ data: 'after' }), SseSessionDeletedError);
      await assert.rejects(remote.setMode('polling' as never), SseSessionDeletedError);
      await assert.rejects(second.store.createStream({ sessionId: 'gone', streamId: 'new' }), SseSessionDeletedError);
      assert.deepEqual(await first.layout.sessionKeys('gone'), [first.layout.tombstoneKey('gone')]);
    });
  });

  describe('key layout', () => {
    it('every key and wake-up channel of a session hashes to one Redis Cluster slot', async () => {
      const keyPrefix = 'sse';
      const keys = new RedisStreamKeys(keyPrefix);
      const channels = new WakeupChannels(keyPrefix);
      for (const sessionId of ['s', '', '{tag}', 'a}b{c', 'séssion ✓', 'x'.repeat(300)]) {
        const names = [keys.tombstone(sessionId), keys.index(sessionId), channels.sessionChannel(sessionId)];
        for (const streamId of ['main', '', '{other}']) {
          const stream = keys.stream({ sessionId, streamId });
          names.push(stream.metadata, stream.events, stream.tombstone, channels.streamChannel({ sessionId, streamId }));
        }
        const slots = new Set(names.map((name) => calculateSlot(name)));
        assert.equal(slots.size, 1, `one slot for every key of session ${JSON.stringify(sessionId)}: ${JSON.stringify(names)}`);
      }
      assert.notEqual(calculateSlot(keys.index('a')), calculateSlot(keys.index('b')), 'sessions spread over slots');
    });

    it('keys are versioned: the library key version, then the native layout version', async () => {
      const keys = new RedisStreamKeys('app');
      assert.match(keys.stream({ sessionId: 's', streamId: 't' }).events, /^app:v1:\{cw\}:r1:e:dA$/);
      assert.match(keys.stream({ sessionId: 's', streamId: 't' }).metadata, /^app:v1:\{cw\}:r1:m:dA$/);
      assert.equal(keys.index('s'), 'app:v1:{cw}:r1:i');
      assert.equal(keys.tombstone('s'), 'app:v1:{cw}:r1:d');
    });
  });

  describe('expiry and recovery', () => {
    it('the tombstone and the index outlive every other key of the session', async (t) => {
      const { store, client, layout } = await instance(t, uniquePrefix(), {
        storage: 'redis',
        eventAbsoluteExpiration: 50_000,
        metadataAbsoluteExpiration: 90_000,
      });
      await (await store.createStream({ sessionId: 'lives', streamId: 'a' })).write({ data: 1 });
      const indexTtl = await layout.indexTtl('lives');
      assert.ok(indexTtl !== undefined && indexTtl <= 90_000 && indexTtl > 80_000, `index TTL ${indexTtl}`);
      await store.deleteStreamsForSession('lives');
      const tombstoneTtl = await client.pTTL(layout.tombstoneKey('lives'));
      assert.ok(tombstoneTtl <= 90_000 && tombstoneTtl > 80_000, `tombstone TTL ${tombstoneTtl}`);
    });

    it('a stream whose metadata vanished while its writer is open continues after its last sequence', async (t) => {
      const { store, layout } = await instance(t, uniquePrefix());
      const address = { sessionId: 'evicted', streamId: 'main' };
      const writer = await store.createStream(address);
      await Promise.all([1, 2, 3].map((n) => writer.write({ data: n })));
      await layout.removeMetadata(address);
      const next = await writer.write({ data: 4 });
      assert.equal(sequenceOf(next.id), 4, 'no sequence given twice');
      await writer.complete();
      const read = await collect((await store.getStreamReaderFromStart(address))!.events());
      assert.deepEqual(
        read.map((event) => event.data),
        ['1', '2', '3', '4'],
        'the events still stored remain readable',
      );
    });

    it('a stream whose events expired before its metadata continues its sequence; the lost events stay reported as expired', async (t) => {
      const { store, client, keys } = await instance(t, uniquePrefix());
      const address = { sessionId: 'emptied', streamId: 'main' };
      const writer = await store.createStream(address);
      const old = await writer.write({ data: 'old' });
      await client.del(keys.stream(address).events);
      const live = record((await store.getStreamReader(old.id))!.events());
      const next = await writer.write({ data: 'new' });
      assert.equal(sequenceOf(next.id), 2, 'no sequence given twice');
      await live.waitForCount(1);
      assert.deepEqual(
        live.values.map((event) => event.data),
        ['new'],
      );
      await assert.rejects(store.getStreamReader(ids.format(address, 0)), SseHistoryExpiredError);
      await writer.complete();
      assert.deepEqual(await live.ended, { completed: true });
    });
  });
});

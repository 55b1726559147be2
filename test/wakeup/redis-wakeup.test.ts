import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import type { Cache } from 'cache-manager';
import Redis from 'iovalkey';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { createTestCache, REDIS_URL, type TestCache, uniquePrefix } from '../support/caches';
import { countingCache } from '../support/counting-cache';

/**
 * Where the wake-ups get their Redis client: the one behind the cache, or an iovalkey client given
 * in the `redis` option (whatever the cache's client is).
 */
const WAKEUP_CLIENTS = { 'the client behind the cache': false, 'an iovalkey client in the redis option': true } as const;

/** Two stores on separate Redis connections stand for two application instances. */
for (const [clientName, viaOption] of Object.entries(WAKEUP_CLIENTS))
  describe(`cross-instance wake-ups through Redis pub/sub, on ${clientName}`, () => {
    const keyPrefix = uniquePrefix();
    const caches: TestCache[] = [];
    const optionClients: Redis[] = [];
    const stores: StandaloneSseEventStore[] = [];
    let readerCounts: ReturnType<typeof countingCache>;

    /** A store on `cache`, with its own iovalkey client for the wake-ups when the variant says so. */
    const openStore = (cache: Cache): StandaloneSseEventStore => {
      const redis = viaOption ? new Redis(REDIS_URL) : undefined;
      if (redis) optionClients.push(redis);
      // A polling interval far longer than the test: whatever arrives was pushed.
      return createSseEventStore({ cache, keyPrefix, redis, pollingInterval: 3_600_000 });
    };

    before(async () => {
      caches.push(await createTestCache('redis'), await createTestCache('redis'));
      readerCounts = countingCache(caches[1].cache);
      stores.push(openStore(caches[0].cache), openStore(readerCounts.cache));
    });

    after(async () => {
      for (const store of stores) await store.close();
      for (const client of optionClients) client.disconnect();
      for (const cache of caches) await cache.close();
    });

    test('a reader in one instance receives events written in another without polling', async () => {
      const [writerSide, readerSide] = stores.map((entry) => entry.store);
      const writer = await writerSide.createStream({ sessionId: 'live', streamId: 'push' });
      const reader = await readerSide.getStreamReaderFromStart({ sessionId: 'live', streamId: 'push' });
      assert.ok(reader);
      const received = firstValueFrom(reader.events().pipe(take(3), toArray()));
      // Give the subscription time to go live, then write from the other instance.
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const n of [1, 2, 3]) await writer.write({ data: { n } });
      const events = await received;
      assert.deepEqual(
        events.map((event) => event.data),
        [{ n: 1 }, { n: 2 }, { n: 3 }],
      );
      await writer.complete();
    });

    test('a waiting reader performs no cache reads while nothing is written', async () => {
      const [writerSide, readerSide] = stores.map((entry) => entry.store);
      const writer = await writerSide.createStream({ sessionId: 'idle', streamId: 'quiet' });
      const reader = await readerSide.getStreamReaderFromStart({ sessionId: 'idle', streamId: 'quiet' });
      assert.ok(reader);
      const subscription = reader.events().subscribe();
      // The first read and the re-check once the channel is live.
      await new Promise((resolve) => setTimeout(resolve, 300));
      readerCounts.reset();
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      assert.equal(readerCounts.counts.mget + readerCounts.counts.get, 0);
      subscription.unsubscribe();
      await writer.complete();
    });

    test('a reader subscribed during a write sees that write exactly once', async () => {
      const [writerSide, readerSide] = stores.map((entry) => entry.store);
      const writer = await writerSide.createStream({ sessionId: 'race', streamId: 'r' });
      const total = 50;
      const writes = (async () => {
        for (let n = 1; n <= total; n++) await writer.write({ data: { n } });
        await writer.complete();
      })();
      const reader = await readerSide.getStreamReaderFromStart({ sessionId: 'race', streamId: 'r' });
      assert.ok(reader);
      const events = await firstValueFrom(reader.events().pipe(toArray()));
      await writes;
      assert.deepEqual(
        events.map((event) => (event.data as { n: number }).n),
        Array.from({ length: total }, (_, index) => index + 1),
      );
    });
  });

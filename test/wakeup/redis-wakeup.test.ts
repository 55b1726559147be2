import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { createTestCache, type TestCache, uniquePrefix } from '../support/caches';
import { countingCache } from '../support/counting-cache';

/** Two stores on separate Redis connections stand for two application instances. */
describe('cross-instance wake-ups through Redis pub/sub', () => {
  const keyPrefix = uniquePrefix();
  const caches: TestCache[] = [];
  const stores: StandaloneSseEventStore[] = [];
  let readerCounts: ReturnType<typeof countingCache>;

  before(async () => {
    caches.push(await createTestCache('redis'), await createTestCache('redis'));
    readerCounts = countingCache(caches[1].cache);
    // A polling interval far longer than the test: whatever arrives was pushed.
    stores.push(createSseEventStore({ cache: caches[0].cache, keyPrefix, pollingInterval: 3_600_000 }));
    stores.push(createSseEventStore({ cache: readerCounts.cache, keyPrefix, pollingInterval: 3_600_000 }));
  });

  after(async () => {
    for (const store of stores) await store.close();
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

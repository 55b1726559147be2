import { strict as assert } from 'node:assert';
import { after, before, describe, test } from 'node:test';
import Redis from 'iovalkey';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { createTestCache, REDIS_URL, type TestCache, uniquePrefix } from '../support/caches';

/** The `redis` option given an iovalkey client: the wake-ups travel through it, whatever the cache. */
describe('the redis option with an iovalkey client', () => {
  const keyPrefix = uniquePrefix();
  const caches: TestCache[] = [];
  const clients: Redis[] = [];
  const stores: StandaloneSseEventStore[] = [];

  before(async () => {
    caches.push(await createTestCache('redis'), await createTestCache('redis'));
    for (const { cache } of caches) {
      const client = new Redis(REDIS_URL);
      clients.push(client);
      // A polling interval far longer than the test: whatever arrives was pushed.
      stores.push(createSseEventStore({ cache, keyPrefix, redis: client, pollingInterval: 3_600_000 }));
    }
  });

  after(async () => {
    for (const store of stores) await store.close();
    for (const client of clients) client.disconnect();
    for (const cache of caches) await cache.close();
  });

  test('a reader in one instance receives events written in another without polling', async () => {
    const [writerSide, readerSide] = stores.map((entry) => entry.store);
    const writer = await writerSide.createStream({ sessionId: 'option', streamId: 'push' });
    const reader = await readerSide.getStreamReaderFromStart({ sessionId: 'option', streamId: 'push' });
    assert.ok(reader);
    const received = firstValueFrom(reader.events().pipe(take(3), toArray()));
    // Give the subscription time to go live, then write from the other instance.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const n of [1, 2, 3]) await writer.write({ data: { n } });
    assert.deepEqual(
      (await received).map((event) => event.data),
      [{ n: 1 }, { n: 2 }, { n: 3 }],
    );
    await writer.complete();
  });
});

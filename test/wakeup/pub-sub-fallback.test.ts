import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { Logger } from '@nestjs/common';
import { createClient, type RedisClientType } from '@redis/client';
import type { Subscription } from 'rxjs';
import type { SseStoredEvent } from '../../lib';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { waitFor } from '../support/async';
import { createTestCache, type TestCache, uniquePrefix } from '../support/caches';
import { CapturingLogger } from '../support/capturing-logger';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';

const logger = new CapturingLogger();
const caches: TestCache[] = [];
const stores: StandaloneSseEventStore[] = [];
// A server of the test's own: it drops every pub/sub connection on it, which would disturb
// whatever else uses a shared one.
let server: RedisServerProcess;
let admin: RedisClientType;

before(async () => {
  Logger.overrideLogger(logger);
  server = await startRedisServer();
  admin = createClient({ url: server.url });
  await admin.connect();
  caches.push(await createTestCache('redis', server.url), await createTestCache('redis', server.url));
  const keyPrefix = uniquePrefix();
  for (const { cache } of caches) stores.push(createSseEventStore({ cache, keyPrefix, pollingInterval: 100 }));
});

after(async () => {
  Logger.overrideLogger(new Logger());
  for (const store of stores) await store.close();
  for (const cache of caches) await cache.close();
  await admin?.quit();
  await server?.dispose();
});

const messages = (text: string) => logger.entries.filter((entry) => String(entry.message).includes(text));

test('a dropped pub/sub connection degrades to polling and recovers, without losing or repeating an event', async () => {
  const [writerSide, readerSide] = stores.map((entry) => entry.store);
  const writer = await writerSide.createStream({ sessionId: 'fallback', streamId: 's' });
  const reader = await readerSide.getStreamReaderFromStart({ sessionId: 'fallback', streamId: 's' });
  assert.ok(reader);
  const received: SseStoredEvent[] = [];
  let completed = false;
  const subscription: Subscription = reader.events().subscribe({
    next: (event) => received.push(event),
    complete: () => (completed = true),
  });
  try {
    await writer.write({ data: { n: 1 } });
    await waitFor(() => received.length === 1, 'the first event');

    // Drop every subscriber connection on the server; node-redis reconnects on its own.
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    await waitFor(() => messages('pub/sub subscriber disconnected').length > 0, 'the loss to be noticed');
    for (let n = 2; n <= 10; n++) await writer.write({ data: { n } });
    await waitFor(() => received.length === 10, 'the events written during the outage');
    await waitFor(() => messages('pub/sub subscriber reconnected').length > 0, 'the connection to come back');
    for (let n = 11; n <= 20; n++) await writer.write({ data: { n } });
    await writer.complete();
    await waitFor(() => completed, 'the stream to complete');

    assert.deepEqual(
      received.map((event) => (event.data as { n: number }).n),
      Array.from({ length: 20 }, (_, index) => index + 1),
    );
    assert.equal(messages('pub/sub subscriber disconnected').length, 1, 'the loss is logged once');
    assert.equal(messages('pub/sub subscriber reconnected').length, 1, 'the recovery is logged once');
  } finally {
    subscription.unsubscribe();
  }
});

import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createKeyv } from '@keyv/redis';
import type { Cache } from 'cache-manager';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import { SseEventStore, SseEventStoreModule, type SseEventStreamReader } from '../../lib';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { createTestCache, REDIS_URL, type TestCache, uniquePrefix } from '../support/caches';
import { CapturingLogger } from '../support/capturing-logger';

/** The application as it would run on several instances: CACHE_MANAGER on Redis, the store on top. */
async function createRedisApp(keyPrefix: string, logger: CapturingLogger): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      CacheModule.registerAsync({
        isGlobal: true,
        useFactory: () => ({ stores: [createKeyv(REDIS_URL)] }),
      }),
      SseEventStoreModule.forRoot({ keyPrefix, pollingInterval: 50 }),
    ],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication();
  await app.init();
  return app;
}

/** A raw command on the Redis client behind a cache-manager cache on `@keyv/redis`. */
function redisClient(cache: Cache): { keys(pattern: string): Promise<string[]> } {
  const keyv = cache.stores[0] as unknown as { store: { client: { keys(pattern: string): Promise<string[]> } } };
  return keyv.store.client;
}

function collect(reader: SseEventStreamReader, count: number): Promise<unknown[]> {
  return firstValueFrom(reader.events().pipe(take(count), toArray())).then((events) => events.map((event) => event.data));
}

describe('SseEventStoreModule on a Redis CACHE_MANAGER', () => {
  let probe: TestCache;
  let app: INestApplication | undefined;
  let otherInstance: StandaloneSseEventStore | undefined;
  let otherCache: TestCache | undefined;

  before(async () => {
    // Required, never skipped: without Redis on REDIS_URL this fails the suite.
    probe = await createTestCache('redis');
  });

  after(async () => {
    await probe.close();
  });

  afterEach(async () => {
    otherInstance?.close();
    otherInstance = undefined;
    await otherCache?.close();
    otherCache = undefined;
    await app?.close();
    app = undefined;
  });

  /** A second store on its own Redis connection and the same key prefix: another instance of the application. */
  async function startOtherInstance(keyPrefix: string): Promise<SseEventStore> {
    otherCache = await createTestCache('redis');
    otherInstance = createSseEventStore({ cache: otherCache.cache, keyPrefix, pollingInterval: 50 });
    return otherInstance.store;
  }

  it('stores events in Redis, where another instance resumes them', { timeout: 20_000 }, async () => {
    const keyPrefix = uniquePrefix();
    const logger = new CapturingLogger();
    app = await createRedisApp(keyPrefix, logger);
    const store = app.get(SseEventStore);
    const writer = await store.createStream({ sessionId: 'session', streamId: 'stream' });
    const first = await writer.write({ data: 'one' });
    await writer.write({ data: 'two' });
    await writer.write({ data: 'three', type: 'last' });
    await writer.complete();

    const keys = await redisClient(app.get<Cache>(CACHE_MANAGER)).keys(`*${keyPrefix}:v1:*`);
    // Both storage layouts keep a metadata key (`m:`) and event data (`e:`) for the stream.
    assert.ok(
      keys.some((key) => key.includes(':m:')) && keys.some((key) => key.includes(':e:')),
      `expected event and metadata keys in Redis, got ${JSON.stringify(keys)}`,
    );

    const other = await startOtherInstance(keyPrefix);
    const reader = await other.getStreamReader(first.id);
    assert.ok(reader, 'the other instance can resume the id');
    const events = await firstValueFrom(reader.events().pipe(toArray()));
    assert.deepEqual(
      events.map(({ data, type }) => ({ data, type })),
      [
        { data: 'two', type: undefined },
        { data: 'three', type: 'last' },
      ],
    );
    assert.equal(logger.entries.filter((entry) => /no CACHE_MANAGER is registered/.test(String(entry.message))).length, 0);
  });

  it('a reader of the Nest store receives what another instance writes, until it completes', { timeout: 20_000 }, async () => {
    const keyPrefix = uniquePrefix();
    app = await createRedisApp(keyPrefix, new CapturingLogger());
    const other = await startOtherInstance(keyPrefix);
    const writer = await other.createStream({ sessionId: 'session', streamId: 'live' });
    await writer.write({ data: 'stored before' });

    const reader = await app.get(SseEventStore).getStreamReaderFromStart({ sessionId: 'session', streamId: 'live' });
    assert.ok(reader);
    const received = firstValueFrom(reader.events().pipe(toArray()));
    await writer.write({ data: 'written live' });
    await writer.complete();
    assert.deepEqual(
      (await received).map((event) => event.data),
      ['stored before', 'written live'],
    );
  });

  it('app.close() ends a reader that waits on Redis and releases the connection', { timeout: 20_000 }, async () => {
    const keyPrefix = uniquePrefix();
    app = await createRedisApp(keyPrefix, new CapturingLogger());
    const store = app.get(SseEventStore);
    const writer = await store.createStream({ sessionId: 'session', streamId: 'open' });
    await writer.write({ data: 'first' });
    const reader = await store.getStreamReaderFromStart({ sessionId: 'session', streamId: 'open' });
    assert.ok(reader);

    const received: unknown[] = [];
    const ended = new Promise<string>((resolve) =>
      reader.events().subscribe({
        next: (event) => received.push(event.data),
        complete: () => resolve('complete'),
        error: (error: unknown) => resolve(`error: ${String(error)}`),
      }),
    );
    assert.deepEqual(await collect(reader, 1), ['first']); // a second subscription: the stream is readable and open

    const closing = app.close();
    app = undefined;
    await closing;
    assert.equal(await ended, 'complete');
    assert.deepEqual(received, ['first']);
  });
});

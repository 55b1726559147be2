import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import { createCache } from 'cache-manager';
import Keyv from 'keyv';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { firstValueFrom, toArray } from 'rxjs';
import { SseEventStore, SseEventStoreModule } from '../../../lib';
import { createSseEventStore } from '../../../lib/testing';
import { CapturingLogger } from '../../support/capturing-logger';

const FALLBACK_MESSAGE = /no CACHE_MANAGER is registered/;

/** Writes `count` events to a completed stream; resolves with their ids. */
async function writeStream(store: SseEventStore, streamId: string, count: number): Promise<string[]> {
  const writer = await store.createStream({ sessionId: 'session', streamId });
  const ids: string[] = [];
  for (let n = 1; n <= count; n++) ids.push((await writer.write({ data: `event ${n}` })).id);
  await writer.complete();
  return ids;
}

/** What a reader on `store` replays after `lastEventId`, or `null` when that store cannot resume it. */
async function replayAfter(store: SseEventStore, lastEventId: string): Promise<unknown[] | null> {
  const reader = await store.getStreamReader(lastEventId);
  if (!reader) return null;
  const events = await firstValueFrom(reader.events().pipe(toArray()));
  return events.map((event) => event.data);
}

/** A Keyv on a `Map` the test holds, so it can see which keys were written. */
function inspectableKeyv(): { keyv: Keyv; keys: () => string[] } {
  const map = new Map<string, unknown>();
  return { keyv: new Keyv({ store: map }), keys: () => [...map.keys()] };
}

describe('SseEventStoreModule cache', () => {
  let moduleRef: TestingModule | undefined;
  const standaloneStores: { close(): void }[] = [];

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    for (const standalone of standaloneStores.splice(0)) standalone.close();
  });

  function storeOn(cache?: Cache): SseEventStore {
    const standalone = createSseEventStore(cache ? { cache } : {});
    standaloneStores.push(standalone);
    return standalone.store;
  }

  it('stores events in the CACHE_MANAGER of CacheModule.register({ isGlobal: true })', async () => {
    const logger = new CapturingLogger();
    moduleRef = await Test.createTestingModule({
      imports: [CacheModule.register({ isGlobal: true }), SseEventStoreModule.forRoot()],
    })
      .setLogger(logger)
      .compile();
    const ids = await writeStream(moduleRef.get(SseEventStore), 'stream', 3);

    // Another store on the application's cache replays them; one on a cache of its own cannot.
    const applicationCache = moduleRef.get<Cache>(CACHE_MANAGER);
    assert.deepEqual(await replayAfter(storeOn(applicationCache), ids[0]), ['event 2', 'event 3']);
    assert.equal(await replayAfter(storeOn(), ids[0]), null);
    assert.deepEqual(
      logger.entries.filter((entry) => FALLBACK_MESSAGE.test(String(entry.message))),
      [],
      'no fallback is announced when CACHE_MANAGER exists',
    );
  });

  it('on the generic path, writes its keys, under its key prefix, into the store the application configured', async () => {
    const { keyv, keys } = inspectableKeyv();
    moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.register({ isGlobal: true, stores: [keyv] }),
        SseEventStoreModule.forRoot({ keyPrefix: 'app-events', storage: 'generic' }),
      ],
    }).compile();
    assert.deepEqual(keys(), []);

    await writeStream(moduleRef.get(SseEventStore), 'stream', 2);
    const written = keys();
    assert.ok(written.length >= 3, `expected the events and the stream's metadata, got ${JSON.stringify(written)}`);
    for (const key of written) assert.match(key, /app-events:v1:/);
  });

  it('uses a CacheModule that forRootAsync imports, even when it is not global', async () => {
    const { keyv, keys } = inspectableKeyv();
    const logger = new CapturingLogger();
    moduleRef = await Test.createTestingModule({
      imports: [
        SseEventStoreModule.forRootAsync({
          imports: [CacheModule.register({ stores: [keyv] })],
          // The generic path, whose cache keys show which cache the store runs on.
          useFactory: () => ({ storage: 'generic' as const }),
        }),
      ],
    })
      .setLogger(logger)
      .compile();
    await writeStream(moduleRef.get(SseEventStore), 'stream', 1);
    assert.ok(keys().length > 0);
    assert.equal(logger.entries.filter((entry) => FALLBACK_MESSAGE.test(String(entry.message))).length, 0);
  });

  it('prefers the cache option to CACHE_MANAGER', async () => {
    const { keyv, keys } = inspectableKeyv();
    const own = createCache();
    moduleRef = await Test.createTestingModule({
      imports: [CacheModule.register({ isGlobal: true, stores: [keyv] }), SseEventStoreModule.forRoot({ cache: own })],
    }).compile();
    const ids = await writeStream(moduleRef.get(SseEventStore), 'stream', 2);

    assert.deepEqual(keys(), [], 'nothing reaches the application cache');
    assert.equal(
      await replayAfter(storeOn(moduleRef.get<Cache>(CACHE_MANAGER)), ids[0]),
      null,
      'a store on the application cache has none of it',
    );
    assert.deepEqual(await replayAfter(storeOn(own), ids[0]), ['event 2']);
  });

  it('without CACHE_MANAGER, runs on an in-memory cache of its own and says so once', async () => {
    const logger = new CapturingLogger();
    moduleRef = await Test.createTestingModule({ imports: [SseEventStoreModule.forRoot()] })
      .setLogger(logger)
      .compile();
    const store = moduleRef.get(SseEventStore);
    const app = moduleRef.createNestApplication();
    await app.init();

    const first = await writeStream(store, 'first', 3);
    const second = await writeStream(store, 'second', 2);
    assert.deepEqual(await replayAfter(store, first[0]), ['event 2', 'event 3']);
    assert.deepEqual(await replayAfter(store, second[0]), ['event 2']);
    await app.close();

    const announcements = logger.entries.filter((entry) => FALLBACK_MESSAGE.test(String(entry.message)));
    assert.equal(announcements.length, 1);
    assert.equal(announcements[0].level, 'log');
    assert.equal(announcements[0].context, 'SseEventStore');
    assert.deepEqual(
      logger.entries.filter((entry) => entry.level === 'warn' || entry.level === 'error'),
      [],
    );
  });

  it('gives every application without CACHE_MANAGER a separate in-memory cache', async () => {
    moduleRef = await Test.createTestingModule({ imports: [SseEventStoreModule.forRoot()] }).compile();
    const other = await Test.createTestingModule({ imports: [SseEventStoreModule.forRoot()] }).compile();
    try {
      const ids = await writeStream(moduleRef.get(SseEventStore), 'stream', 2);
      assert.deepEqual(await replayAfter(moduleRef.get(SseEventStore), ids[0]), ['event 2']);
      assert.equal(await replayAfter(other.get(SseEventStore), ids[0]), null);
    } finally {
      await other.close();
    }
  });
});

import assert from 'node:assert/strict';
import { before, describe, it as nodeIt, type TestContext } from 'node:test';
import { Logger } from '@nestjs/common';
import { type Cache, createCache } from 'cache-manager';
import {
  SseEventPersistenceError,
  SseEventStore,
  SseEventStoreConfigurationError,
  SseEventStoreError,
  SseEventStreamMode,
  SseHistoryExpiredError,
  SseInvalidInputError,
  SseSessionDeletedError,
  SseStoreUnavailableError,
  SseStreamClosedError,
  SseStreamWriterConflictError,
  type SseEventStoreModuleOptions,
  type SseStoredEvent,
  type SseStreamAddress,
} from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { createSseEventStore } from '../../lib/testing';
import { collect, delay, type Recording, record, waitFor } from '../support/async';
import { type CacheBackend, createTestCache, uniquePrefix } from '../support/caches';
import { createOutageCache } from '../support/outage-cache';
import { readHeld } from '../support/read-held';
import { cacheRoundTrips, redisRoundTrips, type RoundTripLog } from '../support/round-trips';
import { cacheLayout, redisNativeLayout, type StoredLayout } from '../support/stored-layout';

const { Streaming, Polling } = SseEventStreamMode;
const TEST_TIMEOUT_MS = 60_000;
const MINUTE = 60_000;

type StoreOptions = Omit<SseEventStoreModuleOptions, 'cache' | 'keyPrefix' | 'storage'>;

/**
 * Where the suite runs: the in-memory cache (generic path), or Redis through `@keyv/redis` on
 * the generic cache-manager path or on the native Redis path.
 */
export type StorePath = 'memory' | 'redis-generic' | 'redis-native';

const PATHS: Record<StorePath, { backend: CacheBackend; storage: SseEventStoreModuleOptions['storage'] }> = {
  memory: { backend: 'memory', storage: 'generic' },
  'redis-generic': { backend: 'redis', storage: 'generic' },
  'redis-native': { backend: 'redis', storage: 'redis' },
};

/** A store on a fresh cache of the backend, with every round trip to the backend recorded. */
interface Harness {
  store: SseEventStore;
  /** The cache under the store, for looking at (or tampering with) what is stored; not recorded. */
  raw: Cache;
  /** Where the storage path keeps what, on `raw`. */
  layout: StoredLayout;
  /** The calls (generic path) or Redis commands (native path) the store made. */
  trips: RoundTripLog;
  keyPrefix: string;
  ids: EventIdCodec;
}

function isError<T extends SseEventStoreError>(type: abstract new (...args: never[]) => T, check?: (error: T) => void) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    check?.(error as T);
    return true;
  };
}

/**
 * The store's behavioural suite. The same tests run on every path: an in-memory cache-manager
 * cache, Redis through `@keyv/redis` on the generic path, and Redis on the native path. Only
 * tests that look at the stored data itself go through the path's {@link StoredLayout}.
 */
export function defineStoreSuite(path: StorePath): void {
  const { backend, storage } = PATHS[path];
  // The store logs per-stream detail at debug level; keep the test output readable.
  Logger.overrideLogger(['error', 'warn']);

  const it = (name: string, fn: (t: TestContext) => Promise<void>) => nodeIt(name, { timeout: TEST_TIMEOUT_MS }, fn);

  async function open(t: TestContext, options: StoreOptions = {}): Promise<Harness> {
    const testCache = await createTestCache(backend);
    const standalone: { close(): Promise<void> }[] = [];
    t.after(async () => {
      for (const store of standalone) await store.close();
      await testCache.close();
    });
    const recorded = path === 'redis-native' ? redisRoundTrips(testCache.cache) : cacheRoundTrips(testCache.cache);
    const keyPrefix = uniquePrefix();
    const created = createSseEventStore({ ...options, cache: recorded.cache, keyPrefix, storage });
    standalone.push(created);
    return {
      store: created.store,
      raw: testCache.cache,
      layout: path === 'redis-native' ? redisNativeLayout(testCache.cache, keyPrefix) : cacheLayout(testCache.cache, keyPrefix),
      trips: recorded.log,
      keyPrefix,
      ids: new EventIdCodec(options.maxIdLength ?? DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength),
    };
  }

  const sequenceOf = (h: Harness, id: string): number => {
    const position = h.ids.parse(id);
    assert.ok(position, `'${id}' is not an id of the store`);
    return position.sequence;
  };

  async function readFromStart(h: Harness, address: SseStreamAddress): Promise<SseStoredEvent[]> {
    const reader = await h.store.getStreamReaderFromStart(address);
    assert.ok(reader, 'the stream should exist');
    return collect(reader.events());
  }

  async function readAfter(h: Harness, lastEventId: string): Promise<SseStoredEvent[]> {
    const reader = await h.store.getStreamReader(lastEventId);
    assert.ok(reader, `a reader after '${lastEventId}'`);
    return collect(reader.events());
  }

  async function writeMany(writer: { write(event: { data: unknown }): Promise<{ id: string }> }, count: number, data = (n: number): unknown => ({ n })) {
    return Promise.all(Array.from({ length: count }, (_, n) => writer.write({ data: data(n) })));
  }

  describe(`SseEventStore on ${path}`, () => {
    before(async () => {
      // One clear failure up front when the backend is unreachable: the suite fails, it never skips.
      const probe = await createTestCache(backend);
      await probe.close();
    });

    describe('writing and reading (the reference behaviour)', () => {
      it('ids are unique across streams and sessions, and count 1, 2, 3 within each stream', async (t) => {
        const h = await open(t);
        const addresses = [
          { sessionId: 's1', streamId: 'a' },
          { sessionId: 's1', streamId: 'b' },
          { sessionId: 's2', streamId: 'a' },
          { sessionId: 's2', streamId: 'b' },
        ];
        const ids: string[] = [];
        for (const address of addresses) {
          const writer = await h.store.createStream(address);
          assert.equal(writer.sessionId, address.sessionId);
          assert.equal(writer.streamId, address.streamId);
          for (let n = 0; n < 3; n++) {
            const event = await writer.write({ data: n });
            assert.deepEqual(h.ids.parse(event.id), { ...address, sequence: n + 1 });
            ids.push(event.id);
          }
        }
        assert.equal(new Set(ids).size, ids.length);
      });

      it('readers return the events in write order, with the ids write() gave them', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'order', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const written = [];
        for (let n = 0; n < 25; n++) written.push(await writer.write({ data: { n, text: `event ${n}` } }));
        await writer.complete();

        const all = await readFromStart(h, address);
        assert.deepEqual(all.map((event) => [event.id, event.data]), written.map((event) => [event.id, event.data]));
        const rest = await readAfter(h, written[9].id);
        assert.deepEqual(rest.map((event) => event.id), written.slice(10).map((event) => event.id));
        assert.deepEqual(await readAfter(h, written[24].id), []);
      });

      it('streams and sessions are isolated from each other', async (t) => {
        const h = await open(t);
        const addresses = [
          { sessionId: 'alice', streamId: 'a' },
          { sessionId: 'alice', streamId: 'b' },
          { sessionId: 'bob', streamId: 'a' },
        ];
        const first: Record<string, string> = {};
        for (const address of addresses) {
          const writer = await h.store.createStream(address);
          const label = `${address.sessionId}/${address.streamId}`;
          first[label] = (await writer.write({ data: `${label} 1` })).id;
          await writer.write({ data: `${label} 2` });
          await writer.complete();
        }
        for (const address of addresses) {
          const label = `${address.sessionId}/${address.streamId}`;
          assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), [`${label} 1`, `${label} 2`]);
          assert.deepEqual((await readAfter(h, first[label])).map((event) => event.data), [`${label} 2`]);
        }
        // With the session given, an id of another session is not resumed.
        assert.equal(await h.store.getStreamReader(first['alice/a'], { sessionId: 'bob' }), null);
        const own = await h.store.getStreamReader(first['alice/a'], { sessionId: 'alice' });
        assert.equal(own?.sessionId, 'alice');
        assert.equal(own?.streamId, 'a');
      });

      it('data round-trips: strings and objects as they are, other JSON values as their JSON text', async (t) => {
        const h = await open(t);
        const cases: [unknown, string | object][] = [
          [null, 'null'],
          [undefined, 'null'],
          [0, '0'],
          [42.5, '42.5'],
          [-1, '-1'],
          [true, 'true'],
          [false, 'false'],
          ['', ''],
          ['text', 'text'],
          ['null', 'null'],
          ['{"looks":"like json"}', '{"looks":"like json"}'],
          ['ünïcödé ✓ 🎉', 'ünïcödé ✓ 🎉'],
          [{}, {}],
          [{ a: 1, nested: { b: [1, 2, { c: null }] } }, { a: 1, nested: { b: [1, 2, { c: null }] } }],
          [[], []],
          [[1, 'two', null, { three: 3 }], [1, 'two', null, { three: 3 }]],
          [{ jsonrpc: '2.0', id: 1, result: {} }, { jsonrpc: '2.0', id: 1, result: {} }],
        ];
        const address = { sessionId: 'data', streamId: 'kinds' };
        const writer = await h.store.createStream(address);
        for (const [data] of cases) {
          const written = await writer.write({ data });
          assert.equal(written.data, data, 'write() returns the data it was given');
        }
        await writer.complete();
        const read = await readFromStart(h, address);
        assert.deepEqual(read.map((event) => event.data), cases.map(([, expected]) => expected));
      });

      it('the retry interval round-trips, and an absent one stays absent', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'retry', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const retries = [0, 1, 1_500, 2 ** 31, undefined];
        for (const retry of retries) await writer.write(retry === undefined ? { data: 'x' } : { data: 'x', retry });
        await writer.complete();
        const read = await readFromStart(h, address);
        assert.deepEqual(read.map((event) => event.retry), retries);
        assert.equal('retry' in read[4], false);
      });

      it('the event type round-trips, and an absent one stays absent', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'type', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const types = ['message', 'progress-update', 'with space', 'ユニコード', '', undefined];
        for (const type of types) await writer.write(type === undefined ? { data: 'x' } : { data: 'x', type });
        await writer.complete();
        const read = await readFromStart(h, address);
        assert.deepEqual(read.map((event) => event.type), types);
        assert.equal('type' in read[5], false);
      });

      it('an event that already has an id is returned unchanged and not stored', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'has-id', streamId: 'main' };
        const writer = await h.store.createStream(address);
        h.trips.reset();
        const input = { data: 'relayed', id: 'an-id-from-elsewhere', type: 'x' };
        assert.equal(await writer.write(input), input);
        assert.deepEqual(input, { data: 'relayed', id: 'an-id-from-elsewhere', type: 'x' });
        assert.equal(h.trips.count(), 0, 'nothing was sent to the backend');
        const next = await writer.write({ data: 'own' });
        assert.equal(sequenceOf(h, next.id), 1, 'the skipped event took no sequence');
        await writer.complete();
        assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), ['own']);
      });

      it('a polling reader returns what is stored and ends, reading the cache once', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'polling', streamId: 'main' };
        const writer = await h.store.createStream({ ...address, mode: Polling });
        const written = await writeMany(writer, 5);
        const reader = await h.store.getStreamReader(h.ids.format(address, 0));
        assert.ok(reader);
        h.trips.reset();
        const events = await collect(reader.events());
        assert.deepEqual(events.map((event) => event.id), written.map((event) => event.id));
        assert.equal(h.trips.count('read'), 1);
        assert.equal(h.trips.count(), 1, 'one read of metadata and events together, nothing else');

        // Caught up already: ends at once, again after one read; the writer is still open.
        const caughtUp = await h.store.getStreamReader(written[4].id);
        h.trips.reset();
        assert.deepEqual(await collect(caughtUp!.events()), []);
        assert.equal(h.trips.count(), 1);
      });

      it('a streaming reader sees new events as they are written and ends on complete()', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'streaming', streamId: 'main' };
        const writer = await h.store.createStream(address);
        await writeMany(writer, 2);
        const reader = await h.store.getStreamReaderFromStart(address);
        const live = record(reader!.events());
        await live.waitForCount(2);
        for (let n = 2; n < 5; n++) {
          await writer.write({ data: { n } });
          await live.waitForCount(n + 1);
        }
        assert.equal(live.outcome, undefined, 'still open while the writer is');
        await writer.complete();
        assert.deepEqual(await live.ended, { completed: true });
        assert.deepEqual(live.values.map((event) => event.data), [0, 1, 2, 3, 4].map((n) => ({ n })));
        assert.deepEqual(live.values.map((event) => sequenceOf(h, event.id)), [1, 2, 3, 4, 5]);
      });

      it('switching the stream to polling ends a waiting streaming reader', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'switch', streamId: 'main' };
        const writer = await h.store.createStream(address);
        await writer.write({ data: 'first' });
        const live = record((await h.store.getStreamReaderFromStart(address))!.events());
        await live.waitForCount(1);
        await writer.write({ data: 'second' });
        await writer.setMode(Polling);
        assert.deepEqual(await live.ended, { completed: true });
        assert.deepEqual(live.values.map((event) => event.data), ['first', 'second']);
        // The writer is still open and writable after the switch.
        const third = await writer.write({ data: 'third' });
        assert.equal(sequenceOf(h, third.id), 3);
      });

      it('unsubscribing stops the reader: no cache call after it', async (t) => {
        const h = await open(t, { pollingInterval: 20 });
        const address = { sessionId: 'cancel', streamId: 'main' };
        const writer = await h.store.createStream(address);
        await writeMany(writer, 3);
        const live = record((await h.store.getStreamReaderFromStart(address))!.events());
        await live.waitForCount(3);
        // It is live: a new event reaches it.
        await writer.write({ data: 'seen' });
        await live.waitForCount(4);

        live.subscription.unsubscribe();
        await delay(50); // a read already on the wire may finish
        h.trips.reset();
        await writeMany(writer, 3);
        await delay(200); // ten polling intervals: proves that nothing more happens
        assert.equal(h.trips.count('read'), 0, 'the reader read nothing after unsubscribe');
        assert.equal(live.values.length, 4);
        assert.equal(live.outcome, undefined, 'an unsubscribed reader neither completes nor errors');
      });

      it('an unknown stream gives null', async (t) => {
        const h = await open(t);
        const unknown = { sessionId: 'nobody', streamId: 'nothing' };
        assert.equal(await h.store.getStreamReader(h.ids.format(unknown, 0)), null);
        assert.equal(await h.store.getStreamReader(h.ids.format(unknown, 5)), null);
        assert.equal(await h.store.getStreamReaderFromStart(unknown), null);
        // A known session with an unknown stream.
        await (await h.store.createStream({ sessionId: 'nobody', streamId: 'known' })).write({ data: 1 });
        assert.equal(await h.store.getStreamReader(h.ids.format(unknown, 1)), null);
      });

      it('complete() is idempotent', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'complete', streamId: 'main' };
        const writer = await h.store.createStream(address);
        await writer.write({ data: 1 });
        const live = record((await h.store.getStreamReaderFromStart(address))!.events());
        h.trips.reset();
        const first = writer.complete();
        const second = writer.complete();
        await Promise.all([first, second]);
        await writer.complete();
        await writer[Symbol.asyncDispose]();
        assert.equal(h.trips.count('write'), 1, 'the completion was stored once');
        assert.deepEqual(await live.ended, { completed: true });
        assert.deepEqual(live.values.map((event) => event.data), ['1']);
      });

      it('disposing the writer (await using) completes the stream', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'dispose', streamId: 'main' };
        let live: Recording<SseStoredEvent>;
        {
          await using writer = await h.store.createStream(address);
          await writer.write({ data: 'only' });
          live = record((await h.store.getStreamReaderFromStart(address))!.events());
          await live.waitForCount(1);
        }
        assert.deepEqual(await live.ended, { completed: true });
        assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), ['only']);
      });

      it('writes and mode changes after complete() reject with SseStreamClosedError; writes issued before it are stored', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'closed', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const before = writer.write({ data: 'before' });
        const completed = writer.complete();
        await assert.rejects(writer.write({ data: 'after' }), isError(SseStreamClosedError));
        await assert.rejects(writer.setMode(Polling), isError(SseStreamClosedError));
        await completed;
        assert.equal(sequenceOf(h, (await before).id), 1);
        await assert.rejects(writer.write({ data: 'after' }), isError(SseStreamClosedError, (error) => {
          assert.equal(error.sessionId, 'closed');
          assert.equal(error.streamId, 'main');
        }));
        assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), ['before']);
      });

      it('getStreamReaderFromStart and a sequence-0 id read from the first event, also for an empty stream', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'start', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const zero = h.ids.format(address, 0);
        await writer.complete();
        assert.deepEqual(await readFromStart(h, address), []);
        assert.deepEqual(await readAfter(h, zero), []);

        const again = await h.store.createStream(address);
        await writeMany(again, 3);
        await again.complete();
        assert.deepEqual((await readFromStart(h, address)).map((event) => sequenceOf(h, event.id)), [1, 2, 3]);
        assert.deepEqual((await readAfter(h, zero)).map((event) => sequenceOf(h, event.id)), [1, 2, 3]);
      });
    });

    describe('a completed stream', () => {
      it('createStream({ reopenCompleted: false }) refuses it with SseStreamClosedError; the default reopens it', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'final', streamId: 'main' };
        const fresh = await h.store.createStream({ ...address, reopenCompleted: false }); // new streams open
        await fresh.write({ data: 'only' });
        await fresh.complete();
        await assert.rejects(h.store.createStream({ ...address, reopenCompleted: false }), isError(SseStreamClosedError, (error) => {
          assert.equal(error.streamId, 'main');
        }));
        assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), ['only'], 'the refusal stored nothing');
        const reopened = await h.store.createStream(address);
        assert.equal(sequenceOf(h, (await reopened.write({ data: 'again' })).id), 2);
        await reopened.complete();
      });

      it('a reader opened at its end is finished (an SSE endpoint answers 204); one with events to deliver is not', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'finished', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const [first, last] = await Promise.all([writer.write({ data: 1 }), writer.write({ data: 2 })]);
        assert.equal((await h.store.getStreamReader(last.id))!.finished, false, 'an open stream may still get events');
        await writer.complete();
        assert.equal((await h.store.getStreamReader(last.id))!.finished, true);
        assert.equal((await h.store.getStreamReader(first.id))!.finished, false);
        assert.equal((await h.store.getStreamReaderFromStart(address))!.finished, false);

        const empty = { sessionId: 'finished', streamId: 'empty' };
        await (await h.store.createStream(empty)).complete();
        assert.equal((await h.store.getStreamReaderFromStart(empty))!.finished, true);
      });

      it("events({ until: 'completed' }) follows a polling stream until it is completed", async (t) => {
        const h = await open(t);
        const address = { sessionId: 'follow-polling', streamId: 'main' };
        const writer = await h.store.createStream({ ...address, mode: Polling });
        const first = await writer.write({ data: 'one' });
        const snapshot = record((await h.store.getStreamReader(first.id))!.events());
        assert.deepEqual(await snapshot.ended, { completed: true }, 'by default a polling stream ends when caught up');
        const following = record((await h.store.getStreamReader(first.id))!.events({ until: 'completed' }));
        await writer.write({ data: 'two' });
        await following.waitForCount(1);
        await writer.write({ data: 'three' });
        await writer.complete();
        assert.deepEqual(await following.ended, { completed: true });
        assert.deepEqual(following.values.map((event) => event.data), ['two', 'three']);
      });

      if (path === 'redis-native') {
        it('refuses appends through a writer another instance still holds, once one instance completed it', async (t) => {
          const h = await open(t);
          const other = createSseEventStore({ cache: h.raw, keyPrefix: h.keyPrefix, storage });
          t.after(() => other.close());
          const address = { sessionId: 'two-instances', streamId: 'main' };
          const held = await h.store.createStream(address);
          await held.write({ data: 'before' });
          const completing = await other.store.createStream(address);
          await completing.complete();
          await assert.rejects(held.write({ data: 'after' }), isError(SseStreamClosedError));
          await assert.rejects(held.write({ data: 'after again' }), isError(SseStreamClosedError), 'the writer stays closed');
          assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), ['before']);
          // Its slot is free: this process can reopen the stream on purpose.
          const reopened = await h.store.createStream(address);
          assert.equal(sequenceOf(h, (await reopened.write({ data: 'reopened' })).id), 2);
          await reopened.complete();
        });
      }
    });

    describe('nothing is lost silently when the cache goes away', () => {
      it('acknowledged writes are stored; during the outage operations fail typed; the writer recovers', async (t) => {
        const outage = await createOutageCache(backend);
        const stores: { close(): Promise<void> }[] = [];
        t.after(async () => {
          for (const store of stores) await store.close();
          await outage.close();
        });
        const keyPrefix = uniquePrefix();
        const main = createSseEventStore({ cache: outage.cache, keyPrefix, operationTimeout: 1_000, pollingInterval: 50, storage });
        stores.push(main);
        const address = { sessionId: 'outage', streamId: 'live' };
        const writer = await main.store.createStream(address);

        // A producer keeps five writes in flight at all times.
        const acknowledged: { id: string; data: { n: number } }[] = [];
        const failed: unknown[] = [];
        let issued = 0;
        let producing = true;
        const producer = (async () => {
          while (producing) {
            await Promise.all(
              Array.from({ length: 5 }, () =>
                writer.write({ data: { n: issued++ } }).then(
                  (event) => void acknowledged.push(event),
                  (error: unknown) => void failed.push(error),
                ),
              ),
            );
            await delay(0); // a producer gets its events from I/O; this one must not starve the timers either
          }
        })();
        const live = record((await main.store.getStreamReaderFromStart(address))!.events());
        await waitFor(() => acknowledged.length >= 200, '200 acknowledged writes');
        const readerBeforeStop = await main.store.getStreamReaderFromStart(address);
        assert.ok(readerBeforeStop);

        await outage.stop('save');
        await waitFor(() => failed.length >= 5, 'writes to fail once the cache is gone', 20_000);
        producing = false;
        await producer;
        for (const error of failed) assert.ok(error instanceof SseEventPersistenceError, `a typed write failure, got ${String(error)}`);
        const acknowledgedAtStop = acknowledged.length;

        await assert.rejects(writer.write({ data: { n: -1 } }), isError(SseEventPersistenceError));
        await assert.rejects(main.store.getStreamReader(acknowledged[0].id), isError(SseStoreUnavailableError));
        await assert.rejects(main.store.getStreamReaderFromStart(address), isError(SseStoreUnavailableError));
        const during = record(readerBeforeStop.events());
        const duringOutcome = await during.ended;
        assert.ok('error' in duringOutcome && duringOutcome.error instanceof SseStoreUnavailableError, `got ${JSON.stringify(duringOutcome)}`);
        assert.equal(during.values.length, 0, 'it failed before emitting anything');
        if (outage.sharedAcrossProcesses) {
          // A waiting reader polls a shared cache, and fails typed when it cannot read it.
          const liveOutcome = await live.ended;
          assert.ok('error' in liveOutcome && liveOutcome.error instanceof SseStoreUnavailableError, `got ${JSON.stringify(liveOutcome)}`);
        }
        assert.equal(acknowledged.length, acknowledgedAtStop, 'no write was acknowledged during the outage');

        await outage.resume();
        const recovered = await writer.write({ data: { n: -2 } });
        await writer.complete();

        // Read through another client, as another instance would.
        const other = await outage.openAnotherClient();
        t.after(() => other.close());
        const verifier = createSseEventStore({ cache: other.cache, keyPrefix, storage });
        stores.push(verifier);
        const { events: stored, lost } = await readHeld(verifier.store, address);
        const storedById = new Map(stored.map((event) => [event.id, event.data]));
        for (const event of acknowledged) assert.deepEqual(storedById.get(event.id), event.data, `acknowledged ${event.id} is stored`);
        const codec = new EventIdCodec(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength);
        const sequences = [...stored.map((event) => codec.parse(event.id)!.sequence), ...lost].sort((a, b) => a - b);
        assert.equal(new Set(sequences).size, sequences.length, 'no sequence reused');
        const last = sequences.at(-1)!;
        const skipped = Array.from({ length: last }, (_, index) => index + 1).filter((sequence) => !sequences.includes(sequence));
        if (storage === 'redis') {
          // Sequences assigned in Redis: those of writes in flight when it stopped count as used
          // (Redis may have run them); the ones it had not run are skipped by readers (no
          // acknowledged event was ever there). Only rejected writes leave such holes.
          const rejected = failed.length + 1; // and the write refused during the outage
          assert.ok(lost.length + skipped.length <= rejected, `${lost.length} lost and ${skipped.length} skipped, more than the ${rejected} rejected writes`);
          assert.deepEqual(lost, [], 'nothing acknowledged is reported lost');
        } else {
          assert.deepEqual([...lost, ...skipped], [], 'the writer re-reads the state: no sequence is lost or skipped');
        }
        const numbers = stored.map((event) => (event.data as { n: number }).n);
        assert.equal(new Set(numbers).size, numbers.length, 'no event stored twice');
        assert.equal(stored.at(-1)?.id, recovered.id, 'the writer continued after everything the cache holds');
        // The live reader either failed typed (it was reading when the cache went away) or, if it
        // was idle throughout the outage, carried on and saw the whole stream.
        const liveOutcome = await live.ended;
        if ('error' in liveOutcome) {
          const typed = liveOutcome.error instanceof SseStoreUnavailableError || (lost.length > 0 && liveOutcome.error instanceof SseHistoryExpiredError);
          assert.ok(typed, `got ${String(liveOutcome.error)}`);
          assert.deepEqual(live.values.map((event) => event.id), stored.slice(0, live.values.length).map((event) => event.id));
        } else {
          assert.deepEqual(live.values.map((event) => event.id), stored.map((event) => event.id));
        }
        console.log(
          `[${path}] outage: ${acknowledgedAtStop} writes acknowledged before the stop, all stored; ${failed.length} in-flight writes failed typed; ${stored.length} events stored in the end, ${lost.length} sequences reported lost`,
        );
      });

      it('with the cache gone for good, every operation fails with a typed error and none hangs', async (t) => {
        const outage = await createOutageCache(backend);
        const stores: { close(): Promise<void> }[] = [];
        t.after(async () => {
          for (const store of stores) await store.close();
          await outage.close();
        });
        const main = createSseEventStore({ cache: outage.cache, keyPrefix: uniquePrefix(), operationTimeout: 500, pollingInterval: 50, storage });
        stores.push(main);
        const { store } = main;
        const address = { sessionId: 'gone', streamId: 'main' };
        const writer = await store.createStream(address);
        const written = await writeMany(writer, 3);
        const reader = await store.getStreamReaderFromStart(address);
        assert.ok(reader);

        await outage.stop('kill');
        const writes = await Promise.allSettled([writer.write({ data: 'a' }), writer.write({ data: 'b' }), writer.write({ data: 'c' })]);
        for (const outcome of writes) {
          assert.equal(outcome.status, 'rejected');
          assert.ok(outcome.reason instanceof SseEventPersistenceError, `got ${String(outcome.reason)}`);
        }
        await assert.rejects(writer.setMode(Polling), isError(SseEventPersistenceError));
        await assert.rejects(writer.complete(), isError(SseEventPersistenceError));
        await assert.rejects(store.createStream({ ...address, streamId: 'another' }), isError(SseStoreUnavailableError));
        await assert.rejects(store.getStreamReader(written[0].id), isError(SseStoreUnavailableError));
        await assert.rejects(store.getStreamReaderFromStart(address), isError(SseStoreUnavailableError));
        await assert.rejects(store.deleteStreamsForSession(address.sessionId), isError(SseStoreUnavailableError));
        const events = record(reader.events());
        const outcome = await events.ended;
        assert.ok('error' in outcome && outcome.error instanceof SseStoreUnavailableError, `got ${JSON.stringify(outcome)}`);
        assert.deepEqual(events.values, []);
      });
    });

    describe('concurrent writes on one writer', () => {
      it('1,000 writes in flight at once get sequences 1..1000 in call order', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'burst', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const written = await writeMany(writer, 1_000);
        assert.deepEqual(written.map((event) => sequenceOf(h, event.id)), written.map((_, n) => n + 1));
        await writer.complete();
        const read = await readFromStart(h, address);
        assert.equal(read.length, 1_000);
        read.forEach((event, n) => {
          assert.equal(event.id, written[n].id);
          assert.deepEqual(event.data, { n });
        });
      });

      it('readers reading while writes are stored never see the metadata ahead of the events', async (t) => {
        const h = await open(t);
        const snapshotAddress = { sessionId: 'race', streamId: 'polled' };
        const liveAddress = { sessionId: 'race', streamId: 'live' };
        const polled = await h.store.createStream({ ...snapshotAddress, mode: Polling });
        const streamed = await h.store.createStream(liveAddress);
        const live = record((await h.store.getStreamReaderFromStart(liveAddress))!.events());

        let writing = true;
        const snapshotLengths: number[] = [];
        const readLoop = async (): Promise<void> => {
          while (writing) {
            const snapshot = await readFromStart(h, snapshotAddress);
            snapshot.forEach((event, index) => {
              assert.equal(sequenceOf(h, event.id), index + 1);
              assert.deepEqual(event.data, { n: index });
            });
            snapshotLengths.push(snapshot.length);
            if (snapshot.length > 1) {
              // Resuming from any acknowledged position works and continues without a hole.
              const from = Math.floor(snapshot.length / 2);
              const resumed = await readAfter(h, snapshot[from - 1].id);
              resumed.forEach((event, index) => assert.equal(sequenceOf(h, event.id), from + index + 1));
            }
            await delay(0);
          }
        };
        const readers = [readLoop(), readLoop(), readLoop()];
        for (let round = 0; round < 20; round++) {
          await Promise.all(
            Array.from({ length: 50 }, (_, i) =>
              Promise.all([polled.write({ data: { n: round * 50 + i } }), streamed.write({ data: { n: round * 50 + i } })]),
            ),
          );
          await delay(0); // let the readers interleave with the next round
        }
        writing = false;
        await Promise.all(readers);
        await streamed.complete();
        assert.deepEqual(await live.ended, { completed: true });
        assert.deepEqual(live.values.map((event) => (event.data as { n: number }).n), Array.from({ length: 1_000 }, (_, n) => n));
        assert.ok(
          snapshotLengths.some((length) => length > 0 && length < 1_000),
          `some snapshot was taken mid-stream (lengths: ${snapshotLengths.slice(0, 20).join(', ')}...)`,
        );
      });
    });

    describe('a second writer for an existing stream', () => {
      it('after the first completed, it continues the sequence and never overwrites', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'second', streamId: 'main' };
        const first = await h.store.createStream(address);
        const old = await writeMany(first, 3, (n) => `old ${n}`);
        await first.complete();

        const second = await h.store.createStream(address);
        const next = await second.write({ data: 'new 0' });
        assert.equal(sequenceOf(h, next.id), 4);
        // The stream is live again: a reader resuming from an old id waits for the new writer.
        const live = record((await h.store.getStreamReader(old[0].id))!.events());
        await live.waitForCount(3);
        await second.write({ data: 'new 1' });
        await second.complete();
        assert.deepEqual(await live.ended, { completed: true });
        assert.deepEqual(live.values.map((event) => event.data), ['old 1', 'old 2', 'new 0', 'new 1']);
        const all = await readFromStart(h, address);
        assert.deepEqual(all.map((event) => event.data), ['old 0', 'old 1', 'old 2', 'new 0', 'new 1']);
        assert.deepEqual(all.slice(0, 3).map((event) => event.id), old.map((event) => event.id));
      });

      it('while the first is open in this process, createStream rejects with SseStreamWriterConflictError', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'conflict', streamId: 'main' };
        const first = await h.store.createStream(address);
        await first.write({ data: 1 });
        await assert.rejects(h.store.createStream(address), isError(SseStreamWriterConflictError, (error) => {
          assert.equal(error.sessionId, 'conflict');
          assert.equal(error.streamId, 'main');
        }));
        await assert.rejects(h.store.createStream({ ...address, mode: Polling }), isError(SseStreamWriterConflictError));
        // The refused attempts did not disturb the open writer.
        assert.equal(sequenceOf(h, (await first.write({ data: 2 })).id), 2);

        // Two at once: exactly one wins.
        const racing = await Promise.allSettled([
          h.store.createStream({ ...address, streamId: 'race' }),
          h.store.createStream({ ...address, streamId: 'race' }),
        ]);
        assert.equal(racing.filter((outcome) => outcome.status === 'fulfilled').length, 1);
        const loser = racing.find((outcome) => outcome.status === 'rejected');
        assert.ok(loser?.reason instanceof SseStreamWriterConflictError);

        await first.complete();
        const again = await h.store.createStream(address);
        assert.equal(sequenceOf(h, (await again.write({ data: 3 })).id), 3);
      });
    });

    describe('deleting a session', () => {
      it('removes every stream of 50 created at once, and every key they had', async (t) => {
        const h = await open(t);
        const sessionId = 'fifty';
        const writers = await Promise.all(Array.from({ length: 50 }, (_, i) => h.store.createStream({ sessionId, streamId: `stream-${i}` })));
        const written = (await Promise.all(writers.map((writer) => writeMany(writer, 2)))).flat();
        await Promise.all(writers.map((writer) => writer.complete()));
        const neighbour = await h.store.createStream({ sessionId: 'neighbour', streamId: 'stream-0' });
        const kept = await neighbour.write({ data: 'kept' });
        await neighbour.complete();

        const addresses = writers.map((writer) => ({ sessionId, streamId: writer.streamId }));
        const storedState = async () =>
          Promise.all(addresses.map(async (address) => [await h.layout.hasMetadata(address), await h.layout.storedSequences(address, 2)]));
        assert.deepEqual(await storedState(), addresses.map(() => [true, [1, 2]]), 'everything was stored');

        await h.store.deleteStreamsForSession(sessionId);

        for (const event of written) assert.equal(await h.store.getStreamReader(event.id), null);
        for (const address of addresses) assert.equal(await h.store.getStreamReaderFromStart(address), null);
        assert.deepEqual(await storedState(), addresses.map(() => [false, []]));
        assert.deepEqual(await h.layout.sessionKeys(sessionId), [h.layout.tombstoneKey(sessionId)], 'the index is gone too');
        // Another session is untouched.
        assert.deepEqual((await readFromStart(h, { sessionId: 'neighbour', streamId: 'stream-0' })).map((event) => event.id), [kept.id]);
      });

      it('deletes in batches: 3 streams of 500 events take a handful of round trips', async (t) => {
        const h = await open(t);
        const sessionId = 'big';
        for (let s = 0; s < 3; s++) {
          const writer = await h.store.createStream({ sessionId, streamId: `s${s}` });
          await writeMany(writer, 500);
          await writer.complete();
        }
        assert.equal((await h.layout.sessionKeys(sessionId)).length, h.layout.keysPerSession(3, 500));
        h.trips.reset();
        await h.store.deleteStreamsForSession(sessionId);
        const calls = h.trips.count();
        const operations = JSON.stringify(h.trips.trips.map((trip) => trip.operation));
        console.log(`[${path}] round trips: deleting a session of 3 streams x 500 events took ${calls} calls (${operations})`);
        assert.ok(calls <= 6, `a handful of calls, not one per key: ${operations}`);
        assert.deepEqual(await h.layout.sessionKeys(sessionId), [h.layout.tombstoneKey(sessionId)]);
      });

      it('afterwards: createStream is refused, open writers refuse writes, live readers end with SseSessionDeletedError', async (t) => {
        const h = await open(t);
        const sessionId = 'deleted';
        const a = { sessionId, streamId: 'a' };
        const b = { sessionId, streamId: 'b' };
        const writerA = await h.store.createStream(a);
        const writerB = await h.store.createStream({ ...b, mode: Polling });
        await writerA.write({ data: 'a1' });
        const lastB = await writerB.write({ data: 'b1' });
        const liveA = record((await h.store.getStreamReaderFromStart(a))!.events());
        await liveA.waitForCount(1);
        const laterB = await h.store.getStreamReader(h.ids.format(b, 0));
        assert.ok(laterB);

        await h.store.deleteStreamsForSession(sessionId);

        const outcome = await liveA.ended;
        assert.ok('error' in outcome && outcome.error instanceof SseSessionDeletedError, `got ${JSON.stringify(outcome)}`);
        const subscribedLate = record(laterB.events());
        const lateOutcome = await subscribedLate.ended;
        assert.ok('error' in lateOutcome && lateOutcome.error instanceof SseSessionDeletedError);
        assert.deepEqual(subscribedLate.values, []);

        await assert.rejects(writerA.write({ data: 'a2' }), isError(SseSessionDeletedError, (error) => assert.equal(error.sessionId, sessionId)));
        await assert.rejects(writerB.setMode(Streaming), isError(SseSessionDeletedError));
        await assert.rejects(h.store.createStream(a), isError(SseSessionDeletedError));
        await assert.rejects(h.store.createStream({ sessionId, streamId: 'new' }), isError(SseSessionDeletedError));
        assert.equal(await h.store.getStreamReader(lastB.id), null);

        // Completing (or disposing) a writer of the deleted session stores nothing; it reports the deletion.
        h.trips.reset();
        await assert.rejects(writerA.complete(), isError(SseSessionDeletedError));
        await assert.rejects(async () => writerB[Symbol.asyncDispose](), isError(SseSessionDeletedError));
        assert.equal(h.trips.count('write'), 0, 'nothing was written back');
        assert.deepEqual(await h.layout.sessionKeys(sessionId), [h.layout.tombstoneKey(sessionId)]);
      });

      it('a writer that was being opened while the session was deleted refuses writes', async (t) => {
        const h = await open(t);
        const sessionId = 'race-delete';
        await (await h.store.createStream({ sessionId, streamId: 'existing' })).write({ data: 1 });
        const opening = h.store.createStream({ sessionId, streamId: 'opening' });
        const deleting = h.store.deleteStreamsForSession(sessionId);
        const [opened] = await Promise.allSettled([opening, deleting]);
        if (opened.status === 'fulfilled') {
          await assert.rejects(opened.value.write({ data: 'lost?' }), isError(SseSessionDeletedError));
        } else {
          assert.ok(opened.reason instanceof SseSessionDeletedError, `got ${String(opened.reason)}`);
        }
        assert.deepEqual(await h.layout.sessionKeys(sessionId), [h.layout.tombstoneKey(sessionId)]);
      });

      it('deleting a session that has no streams succeeds, and the session stays deleted', async (t) => {
        const h = await open(t);
        await h.store.deleteStreamsForSession('never-used');
        await h.store.deleteStreamsForSession('never-used');
        await assert.rejects(h.store.createStream({ sessionId: 'never-used', streamId: 'x' }), isError(SseSessionDeletedError));
      });
    });

    describe('expired history is reported up front', () => {
      it('getStreamReader rejects with SseHistoryExpiredError when the next event is gone', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'expired', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const written = await writeMany(writer, 5);
        await writer.complete();
        await h.layout.removeEvent(address, 3);

        await assert.rejects(h.store.getStreamReader(written[1].id), isError(SseHistoryExpiredError, (error) => {
          assert.equal(error.missingSequence, 3);
          assert.equal(error.sessionId, 'expired');
          assert.equal(error.streamId, 'main');
        }));
        // Positions past the hole still resume.
        assert.deepEqual((await readAfter(h, written[2].id)).map((event) => event.data), [{ n: 3 }, { n: 4 }]);
      });

      it('a reader whose next event vanished after it was created errors before emitting anything', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'vanished', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const written = await writeMany(writer, 4);
        const reader = await h.store.getStreamReader(written[0].id);
        assert.ok(reader);
        await h.layout.removeEvent(address, 2);
        const events = record(reader.events());
        const outcome = await events.ended;
        assert.ok('error' in outcome && outcome.error instanceof SseHistoryExpiredError, `got ${JSON.stringify(outcome)}`);
        assert.equal((outcome.error as SseHistoryExpiredError).missingSequence, 2);
        assert.deepEqual(events.values, []);
      });

      it('when the stream metadata is gone, the stream is unknown and its readers fail with SseHistoryExpiredError', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'no-metadata', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const written = await writeMany(writer, 2);
        const reader = await h.store.getStreamReaderFromStart(address);
        assert.ok(reader);
        await h.layout.removeMetadata(address);
        assert.equal(await h.store.getStreamReader(written[0].id), null);
        assert.equal(await h.store.getStreamReaderFromStart(address), null);
        const events = record(reader.events());
        const outcome = await events.ended;
        assert.ok('error' in outcome && outcome.error instanceof SseHistoryExpiredError, `got ${JSON.stringify(outcome)}`);
        assert.deepEqual(events.values, []);
      });

      it('the retention cap trims old events: old ids are expired, recent ones resume, reading from the start begins at the oldest kept', async (t) => {
        const h = await open(t, { maxEventsPerStream: 10 });
        const address = { sessionId: 'capped', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const written = [];
        for (let n = 0; n < 30; n++) written.push(await writer.write({ data: { n } }));
        await writer.complete();

        const kept = await readFromStart(h, address);
        const oldest = sequenceOf(h, kept[0].id);
        assert.ok(kept.length >= 10 && kept.length <= 11, `about 10 events kept, got ${kept.length}`);
        assert.deepEqual(kept.map((event) => sequenceOf(h, event.id)), Array.from({ length: kept.length }, (_, i) => oldest + i));
        assert.deepEqual(kept.at(-1)?.data, { n: 29 });

        // The trimmed events are deleted from the backend, not just hidden.
        await waitFor(async () => (await h.layout.storedSequences(address, oldest - 1)).length === 0, 'trimmed events to be deleted');

        await assert.rejects(h.store.getStreamReader(written[0].id), isError(SseHistoryExpiredError, (error) => {
          assert.equal(error.missingSequence, 2);
          assert.equal(error.firstAvailableSequence, oldest);
        }));
        await assert.rejects(h.store.getStreamReader(h.ids.format(address, 0)), isError(SseHistoryExpiredError));
        // The event before the oldest kept one is gone, but everything after it is there.
        assert.deepEqual((await readAfter(h, written[oldest - 2].id)).map((event) => event.id), kept.map((event) => event.id));
        assert.deepEqual((await readAfter(h, written[24].id)).map((event) => event.data), [25, 26, 27, 28, 29].map((n) => ({ n })));
      });
    });

    describe('event ids from clients', () => {
      it('malformed ids give null without touching the cache and never throw', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'ids', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const valid = (await writer.write({ data: 1 })).id;
        const prefix = h.ids.streamPrefix(address);
        const malformed: unknown[] = [
          '',
          'x'.repeat(1024 * 1024),
          `${prefix}${'1'.repeat(1024 * 1024)}`,
          '!!!.@@@.1',
          `${Buffer.from('ids').toString('base64')}=.${prefix.split('.')[1]}.1`,
          `${prefix}-1`,
          `${prefix}1.5`,
          `${prefix}1e0`,
          `${prefix}${Number.MAX_SAFE_INTEGER + 1}`,
          `${prefix}${'9'.repeat(30)}`,
          `${prefix}01`,
          `${prefix}`,
          `${valid}.`,
          `.${valid}`,
          `${valid}.1`,
          prefix.slice(0, -1),
          `é${valid}`,
          `${prefix}１`,
          `${valid}\n`,
          undefined,
          null,
          1,
          {},
          [valid],
          Symbol('id'),
        ];
        h.trips.reset();
        for (const id of malformed) {
          assert.equal(await h.store.getStreamReader(id as string), null, `refused: ${String(id).slice(0, 40)}`);
        }
        assert.equal(h.trips.count(), 0, 'nothing was read for ids that are not ours');
        assert.ok(await h.store.getStreamReader(valid), 'the valid id still works');
      });

      it('fabricated positions give null: beyond the last event, or of another session', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'fabricated', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const written = await writeMany(writer, 2);
        assert.equal(await h.store.getStreamReader(h.ids.format(address, 3)), null);
        assert.equal(await h.store.getStreamReader(h.ids.format(address, Number.MAX_SAFE_INTEGER)), null);
        assert.equal(await h.store.getStreamReader(written[1].id, { sessionId: 'someone-else' }), null);
        assert.ok(await h.store.getStreamReader(written[1].id, { sessionId: 'fabricated' }));
      });

      it('session and stream ids with colons, dots, braces, unicode and empty strings round-trip', async (t) => {
        const h = await open(t, { maxIdLength: 64 });
        const addresses: SseStreamAddress[] = [
          { sessionId: 'a:b', streamId: 'c:d' },
          { sessionId: 'a', streamId: 'b:c:d' },
          { sessionId: 'a.b', streamId: 'c' },
          { sessionId: 'a', streamId: 'b.c' },
          { sessionId: '{tag}', streamId: '}{' },
          { sessionId: 'séssion ✓', streamId: '日本語 🎉' },
          { sessionId: '', streamId: '' },
          { sessionId: '', streamId: 'x' },
          { sessionId: 'x', streamId: '' },
          { sessionId: 'sse:v1:{x}:e:y', streamId: '*?[]' },
          { sessionId: 'm'.repeat(64), streamId: 'n'.repeat(64) },
        ];
        const firstIds = new Map<SseStreamAddress, string>();
        for (const address of addresses) {
          const writer = await h.store.createStream(address);
          firstIds.set(address, (await writer.write({ data: JSON.stringify(address) })).id);
          await writer.write({ data: 'second' });
          await writer.complete();
        }
        assert.equal(new Set(firstIds.values()).size, addresses.length);
        for (const address of addresses) {
          const reader = await h.store.getStreamReader(firstIds.get(address)!);
          assert.ok(reader);
          assert.equal(reader.sessionId, address.sessionId);
          assert.equal(reader.streamId, address.streamId);
          assert.deepEqual((await collect(reader.events())).map((event) => event.data), ['second']);
          assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), [JSON.stringify(address), 'second']);
          assert.deepEqual(h.ids.parse(firstIds.get(address)!), { ...address, sequence: 1 });
        }
      });
    });

    describe('round trips', () => {
      it('a writer awaiting each write costs exactly one write call per event and nothing else', async (t) => {
        const h = await open(t);
        const writer = await h.store.createStream({ sessionId: 'trips', streamId: 'steady' });
        h.trips.reset();
        for (let n = 0; n < 100; n++) await writer.write({ data: { n } });
        console.log(`[${path}] round trips: 100 awaited writes took ${h.trips.count()} calls (${h.trips.count('write')} writes) = ${h.trips.count() / 100} per event`);
        assert.equal(h.trips.count('write'), 100);
        assert.equal(h.trips.count(), 100, 'nothing else');
      });

      it('100 concurrent writes on one writer share far fewer than 100 calls', async (t) => {
        const h = await open(t);
        const writer = await h.store.createStream({ sessionId: 'trips', streamId: 'burst' });
        h.trips.reset();
        const written = await writeMany(writer, 100);
        console.log(`[${path}] round trips: 100 concurrent writes took ${h.trips.count()} calls (${h.trips.count('write')} writes) = ${h.trips.count() / 100} per event`);
        assert.equal(new Set(written.map((event) => event.id)).size, 100);
        assert.equal(h.trips.count(), h.trips.count('write'), 'writes only');
        assert.ok(h.trips.count('write') <= 5, `far fewer than 100: ${h.trips.count('write')}`);
      });

      it('the session index is touched once per createStream, not per event', async (t) => {
        const h = await open(t);
        const sessionId = 'index';
        const indexKey = h.layout.indexKey(sessionId);
        h.trips.reset();
        const writer = await h.store.createStream({ sessionId, streamId: 'main' });
        const opening = h.trips.trips.map((trip) => trip.operation);
        console.log(`[${path}] round trips: createStream took ${JSON.stringify(opening)}`);
        assert.equal(h.trips.count('write'), 1, 'createStream: one write');
        assert.ok(h.trips.count('read') <= 1 && h.trips.count() === h.trips.count('read') + 1, `at most one read besides: ${JSON.stringify(opening)}`);
        assert.deepEqual(h.trips.touching(indexKey), opening, 'each of them updates the index with the stream');
        h.trips.reset();
        for (let n = 0; n < 20; n++) await writer.write({ data: n });
        await writeMany(writer, 50);
        await writer.setMode(Polling);
        await writer.complete();
        assert.deepEqual(h.trips.touching(indexKey), [], 'writes, mode changes and completion leave the index alone');
        await (await h.store.createStream({ sessionId, streamId: 'second' })).complete();
      });

      it('replaying 1,000 events with replayPageSize 256 takes ceil(1000/256) + 1 reads', async (t) => {
        const h = await open(t, { replayPageSize: 256 });
        const address = { sessionId: 'trips', streamId: 'replay' };
        const writer = await h.store.createStream(address);
        await writeMany(writer, 1_000);
        await writer.complete();
        h.trips.reset();
        const replayed = await readAfter(h, h.ids.format(address, 0));
        const expected = Math.ceil(1_000 / 256) + 1;
        console.log(`[${path}] round trips: replaying 1000 events (page 256) took ${h.trips.count('read')} reads and ${h.trips.count() - h.trips.count('read')} other calls; pages of up to 256 events cost 1 read each, plus 1 to open the reader`);
        assert.equal(replayed.length, 1_000);
        assert.equal(h.trips.count('read'), expected);
        assert.equal(h.trips.count(), expected, 'reads only: fresh events need no refresh');
        const fromStart = await h.store.getStreamReaderFromStart(address);
        h.trips.reset();
        await collect(fromStart!.events());
        assert.equal(h.trips.count('read'), Math.ceil(1_000 / 256));
      });
    });

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
        assertWithin(indexTtl, 120_000, 'session index TTL: the longest lifetime of any key of the session');

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
          await assert.rejects(h.store.getStreamReader(h.ids.format(address, 0)), isError(SseHistoryExpiredError, (error) => assert.equal(error.missingSequence, 1)));
          assert.deepEqual((await readAfter(h, h.ids.format(address, 1))).map((event) => event.data), [1, 2, 3].map((n) => ({ n })));
          assert.equal(h.trips.count(), h.trips.count('read'), 'the expiry slides within the reads themselves');
          assertWithin(await h.layout.eventTtl(address, 2), 30 * MINUTE, 'the events get a full sliding window again');
          assertWithin(await h.layout.metadataTtl(address), 60 * MINUTE, "a completed stream's metadata slides too");

          // Cut at the absolute limit of the newest event: 120 minutes after it was written, not 30 minutes after this read.
          await native.age(address, [now - 125 * MINUTE, now - 120 * MINUTE, now - 118 * MINUTE, now - 115 * MINUTE], now - 115 * MINUTE, MINUTE);
          assert.deepEqual((await readAfter(h, h.ids.format(address, 3))).map((event) => event.data), [{ n: 3 }]);
          const nearEnd = await h.layout.eventTtl(address, 4);
          assert.ok(nearEnd !== undefined && nearEnd > 2 * MINUTE, `refreshed, got ${nearEnd}`);
          assert.ok(Date.now() + nearEnd <= now + 5 * MINUTE + 1_000, `expires by the absolute limit, got ${nearEnd} ms left`);
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
          assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), ['stale', 'near its end', 'fresh', 'past its end']);
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

    describe('invalid input', () => {
      it('data that JSON cannot hold is refused with SseInvalidInputError, and nothing is stored', async (t) => {
        const h = await open(t);
        const address = { sessionId: 'bad-data', streamId: 'main' };
        const writer = await h.store.createStream(address);
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        const unserialisable: [string, unknown][] = [
          ['a BigInt', 10n],
          ['a BigInt inside an object', { n: 10n }],
          ['a circular object', circular],
          ['a function', () => 1],
          ['a symbol', Symbol('data')],
          ['a toJSON that throws', { toJSON: () => { throw new Error('no'); } }],
          ['a toJSON that gives nothing', { toJSON: () => undefined }],
        ];
        h.trips.reset();
        for (const [what, data] of unserialisable) {
          await assert.rejects(writer.write({ data }), isError(SseInvalidInputError), what);
        }
        assert.equal(h.trips.count(), 0, 'nothing was sent to the backend');
        const next = await writer.write({ data: 'fine' });
        assert.equal(sequenceOf(h, next.id), 1, 'refused events took no sequence');
        await writer.complete();
        assert.deepEqual((await readFromStart(h, address)).map((event) => event.data), ['fine']);
      });

      it('events larger than maxEventBytes are refused with SseInvalidInputError', async (t) => {
        const h = await open(t, { maxEventBytes: 200 });
        const address = { sessionId: 'big-data', streamId: 'main' };
        const writer = await h.store.createStream(address);
        await writer.write({ data: 'x'.repeat(100) });
        await assert.rejects(writer.write({ data: 'x'.repeat(200) }), isError(SseInvalidInputError));
        // Bytes, not characters: 60 three-byte characters are 180 bytes.
        await assert.rejects(writer.write({ data: '€'.repeat(60) }), isError(SseInvalidInputError));
        await assert.rejects(writer.write({ data: 'x', type: 't'.repeat(300) }), isError(SseInvalidInputError));
        await writer.complete();
        assert.equal((await readFromStart(h, address)).length, 1);
      });

      it('events that are not events, and bad type or retry fields, are refused with SseInvalidInputError', async (t) => {
        const h = await open(t);
        const writer = await h.store.createStream({ sessionId: 'bad-events', streamId: 'main' });
        h.trips.reset();
        for (const event of [null, undefined, 'text', 5, true]) {
          await assert.rejects(writer.write(event as never), isError(SseInvalidInputError), String(event));
        }
        for (const type of [5, null, {}, ['a']]) {
          await assert.rejects(writer.write({ data: 1, type: type as never }), isError(SseInvalidInputError), `type ${String(type)}`);
        }
        for (const retry of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', null]) {
          await assert.rejects(writer.write({ data: 1, retry: retry as never }), isError(SseInvalidInputError), `retry ${String(retry)}`);
        }
        await assert.rejects(writer.setMode('sometimes' as never), isError(SseInvalidInputError));
        assert.equal(h.trips.count(), 0);
      });

      it('session and stream ids that are not strings, too long or not well-formed are refused with SseInvalidInputError', async (t) => {
        const h = await open(t, { maxIdLength: 16 });
        await h.store.createStream({ sessionId: 's'.repeat(16), streamId: 't'.repeat(16) });
        h.trips.reset();
        const badIds: unknown[] = ['x'.repeat(17), 5, null, undefined, {}, ['a'], '\ud800 lone surrogate'.slice(0, 10)];
        for (const bad of badIds) {
          const label = `${typeof bad} ${String(bad).slice(0, 20)}`;
          await assert.rejects(h.store.createStream({ sessionId: bad as string, streamId: 'ok' }), isError(SseInvalidInputError), `session ${label}`);
          await assert.rejects(h.store.createStream({ sessionId: 'ok', streamId: bad as string }), isError(SseInvalidInputError), `stream ${label}`);
          await assert.rejects(h.store.getStreamReaderFromStart({ sessionId: bad as string, streamId: 'ok' }), isError(SseInvalidInputError), label);
          await assert.rejects(h.store.getStreamReaderFromStart({ sessionId: 'ok', streamId: bad as string }), isError(SseInvalidInputError), label);
          await assert.rejects(h.store.deleteStreamsForSession(bad as string), isError(SseInvalidInputError), label);
        }
        for (const options of [null, undefined, 'session', 5]) {
          await assert.rejects(h.store.createStream(options as never), isError(SseInvalidInputError), `createStream(${String(options)})`);
          await assert.rejects(h.store.getStreamReaderFromStart(options as never), isError(SseInvalidInputError), `getStreamReaderFromStart(${String(options)})`);
        }
        await assert.rejects(h.store.createStream({ sessionId: 'ok', streamId: 'ok', mode: 'sometimes' as never }), isError(SseInvalidInputError));
        assert.equal(h.trips.count(), 0, 'refused before any call to the backend');
        // Nothing was reserved by the refused calls.
        await h.store.createStream({ sessionId: 'ok', streamId: 'ok' });
      });

      it('invalid options are refused with SseEventStoreConfigurationError', async (t) => {
        const { cache, close } = await createTestCache(backend);
        t.after(close);
        const invalid: unknown[] = [
          { cache, replayPageSize: 0 },
          { cache, maxEventsPerStream: -1 },
          { cache, pollingInterval: 1.5 },
          { cache, eventSlidingExpiration: Number.NaN },
          { cache, maxEventBytes: '1mb' },
          { cache, operationTimeout: 0 },
          { cache, keyPrefix: '' },
          { cache, keyPrefix: 7 },
          { cache, storage: 'native' },
          { cache, storage: '' },
          { cache: createCache(), storage: 'redis' },
          { cache: {} },
          { cache: 'redis://localhost:6379' },
          null,
          'options',
        ];
        for (const options of invalid) {
          assert.throws(() => createSseEventStore(options as never), SseEventStoreConfigurationError, JSON.stringify(options, (key, value) => (key === 'cache' && typeof value === 'object' ? '[cache]' : value)));
        }
      });
    });
  });
}

/** `actual` (a remaining TTL in ms) is at most `limit` and not much less: it was set to `limit` moments ago. */
function assertWithin(actual: number | undefined, limit: number, what: string): void {
  assert.ok(actual !== undefined, `${what}: the key has a TTL`);
  assert.ok(actual <= limit && actual > limit - 10_000, `${what}: expected about ${limit} ms, at most that, got ${actual}`);
}

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createCache } from 'cache-manager';
import { SseEventStreamMode, SseHistoryExpiredError, SseSessionDeletedError, type SseEventStoreModuleOptions } from '../../../lib';
import { assembleSseEventStore } from '../../../lib/assembly/assemble-sse-event-store';
import { decodeStoredEntry, encodeEvent } from '../../../lib/encoding/stored-records';
import type { ResolvedSseEventStoreOptions } from '../../../lib/interfaces/sse-event-store-options.interface';
import { resolveSseEventStoreOptions } from '../../../lib/sse-event-store-options';
import { MemoryStreamStorage } from '../../../lib/storage/memory/memory-stream-storage';
import { MEMORY_COSTS, MemoryStreamTable } from '../../../lib/storage/memory/memory-stream-table';
import { SKIPPED_SEQUENCE, type StoredEventEntry, type StreamAppender } from '../../../lib/storage/stream-storage.interface';
import { record, waitFor } from '../../support/async';

const { Streaming } = SseEventStreamMode;
const SECOND = 1_000;

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** A storage on a table of its own and a clock the test moves, closed when the test ends. */
function openStorage(
  t: TestContext,
  options: SseEventStoreModuleOptions = {},
): { storage: MemoryStreamStorage; table: MemoryStreamTable; clock: ReturnType<typeof fakeClock>; options: ResolvedSseEventStoreOptions } {
  const clock = fakeClock();
  const table = new MemoryStreamTable(clock.now);
  const resolved = resolveSseEventStoreOptions(options);
  const storage = new MemoryStreamStorage(table, resolved);
  t.after(() => storage.close());
  return { storage, table, clock, options: resolved };
}

const dataOf = (event: StoredEventEntry | typeof SKIPPED_SEQUENCE | undefined): unknown =>
  event === SKIPPED_SEQUENCE ? event : decodeStoredEntry(event)?.data;

const payload = (n: number): string => encodeEvent({ n }, undefined, undefined, 0);

/** Writes `events` events into each of `streams` streams (one session each) and completes them. */
async function fill(storage: MemoryStreamStorage, streams: number, events: number): Promise<void> {
  for (let s = 0; s < streams; s++) {
    const appender: StreamAppender = await storage.openStream({ sessionId: `session-${s}`, streamId: 'main' }, Streaming, true);
    await appender.append(Array.from({ length: events }, (_, n) => payload(n)));
    await appender.update({ completed: true });
    appender.close();
  }
}

const ONE_SECOND_TTLS = {
  eventSlidingExpiration: SECOND,
  eventAbsoluteExpiration: SECOND,
  metadataSlidingExpiration: SECOND,
  metadataAbsoluteExpiration: SECOND,
};

describe('native in-memory storage', () => {
  it('frees expired events, streams and sessions without reads: the sweep leaves nothing', async (t) => {
    const { storage, table, clock } = openStorage(t, ONE_SECOND_TTLS);
    await fill(storage, 100, 50);
    assert.deepEqual({ ...storage.counts(), bytes: 0 }, { sessions: 100, tombstones: 0, streams: 100, events: 5_000, bytes: 0 });

    clock.advance(SECOND / 2);
    table.sweep(clock.now());
    assert.equal(storage.counts().events, 5_000, 'nothing is due yet');

    clock.advance(SECOND);
    table.sweep(clock.now());
    assert.deepEqual(storage.counts(), { sessions: 0, tombstones: 0, streams: 0, events: 0, bytes: 0 });
  });

  it('the sweep runs on its own timer: expired data goes while nobody reads', async (t) => {
    const cache = createCache();
    const assembled = assembleSseEventStore(cache, {}, resolveSseEventStoreOptions({ ...ONE_SECOND_TTLS, keyPrefix: 'timer' }));
    t.after(() => assembled.close());
    assert.ok(assembled.storage instanceof MemoryStreamStorage);
    const memory = assembled.storage;
    for (let s = 0; s < 20; s++) {
      const writer = await assembled.store.createStream({ sessionId: `s${s}`, streamId: 'main' });
      for (let n = 0; n < 10; n++) await writer.write({ data: n });
      await writer.complete();
    }
    assert.equal(memory.counts().events, 200);
    // The sweep runs every second here (its shortest period); nothing reads meanwhile.
    await waitFor(() => memory.counts().streams === 0, 'the sweep to free the expired streams', 10_000);
    assert.deepEqual(memory.counts(), { sessions: 0, tombstones: 0, streams: 0, events: 0, bytes: 0 });
  });

  it('deleting unknown sessions leaves tombstones that refuse writers, and nothing once they expire', async (t) => {
    const { storage, table, clock, options } = openStorage(t, ONE_SECOND_TTLS);
    for (let s = 0; s < 20_000; s++) await storage.deleteSession(`unknown-${s}`);
    assert.equal(storage.counts().tombstones, 20_000);
    await assert.rejects(storage.openStream({ sessionId: 'unknown-7', streamId: 'x' }, Streaming, true), SseSessionDeletedError);
    assert.deepEqual(await storage.read({ sessionId: 'unknown-7', streamId: 'x' }, 1, 1), { status: 'deleted' });

    clock.advance(Math.max(options.eventAbsoluteExpiration, options.metadataAbsoluteExpiration));
    table.sweep(clock.now());
    assert.deepEqual(storage.counts(), { sessions: 0, tombstones: 0, streams: 0, events: 0, bytes: 0 });
  });

  it('events slide with reads up to their absolute limit; metadata lives while a writer holds the stream open', async (t) => {
    const { storage, clock } = openStorage(t, {
      eventSlidingExpiration: 10 * SECOND,
      eventAbsoluteExpiration: 25 * SECOND,
      metadataSlidingExpiration: 10 * SECOND,
      metadataAbsoluteExpiration: 60 * SECOND,
    });
    const address = { sessionId: 'slide', streamId: 'main' };
    const appender = await storage.openStream(address, Streaming, true);
    await appender.append([payload(1), payload(2)]);
    const events = async () => {
      const result = await storage.read(address, 1, 2);
      return result.status === 'found' ? result.events.map(dataOf) : result.status;
    };
    for (let step = 0; step < 2; step++) {
      clock.advance(8 * SECOND);
      assert.deepEqual(await events(), [{ n: 1 }, { n: 2 }], `read ${step}: the reads slide the window`);
    }
    clock.advance(9 * SECOND);
    assert.deepEqual(await events(), [undefined, undefined], 'gone at their absolute limit, 25 s after they were written');
    clock.advance(30 * SECOND);
    assert.notEqual(await events(), 'missing', 'the open writer keeps the metadata past its sliding window');
    clock.advance(30 * SECOND);
    assert.equal(await events(), 'missing', 'until its absolute limit from the last write');
    // The writer continues the stream after its last sequence; what came before is gone.
    assert.equal(await appender.append([payload(3)]), 3);
    const after = await storage.read(address, 1, 3);
    assert.ok(after.status === 'found');
    assert.equal(after.snapshot.firstSequence, 3);
    assert.deepEqual(after.events.map(dataOf), [undefined, undefined, { n: 3 }]);
  });

  it('a stream opened again after its metadata expired, before any sweep, is stored and read', async (t) => {
    const { storage, clock } = openStorage(t, ONE_SECOND_TTLS);
    const address = { sessionId: 'again', streamId: 'only' };
    const first = await storage.openStream(address, Streaming, true);
    await first.append([payload(1)]);
    first.close();
    clock.advance(2 * SECOND);
    // The session's only stream expired: opening it again must register it in the session the table holds.
    const second = await storage.openStream(address, Streaming, true);
    assert.equal(await second.append([payload(2)]), 1, 'a stream that expired starts over');
    const result = await storage.read(address, 1, 1);
    assert.ok(result.status === 'found', `got ${result.status}`);
    assert.deepEqual(result.events.map(dataOf), [{ n: 2 }]);
  });

  it('hands a read for the wire the stored JSON, and other reads the decoded record, kept for the next', async (t) => {
    const { storage } = openStorage(t);
    const address = { sessionId: 'wire', streamId: 'main' };
    const appender = await storage.openStream(address, Streaming, true);
    await appender.append([payload(1), payload(2)]);
    const entries = async (forWire: boolean) => {
      const result = await storage.read(address, 1, 2, forWire);
      assert.ok(result.status === 'found');
      return result.events;
    };
    assert.deepEqual(await entries(true), [payload(1), payload(2)], 'not decoded for the wire');
    assert.deepEqual(await entries(true), [payload(1), payload(2)], 'nor kept decoded after it');
    const decoded = await entries(false);
    assert.deepEqual(decoded, [{ data: { n: 1 } }, { data: { n: 2 } }]);
    assert.equal((await entries(false))[0], decoded[0], 'the next read takes the record decoded before');
    assert.equal((await entries(true))[0], decoded[0], 'and so does a read for the wire: the JSON is gone');
  });

  it('keeps exactly maxEventsPerStream events', async (t) => {
    const { storage } = openStorage(t, { maxEventsPerStream: 10 });
    const address = { sessionId: 'cap', streamId: 'main' };
    const appender = await storage.openStream(address, Streaming, true);
    for (let n = 1; n <= 25; n++) await appender.append([payload(n)]);
    await appender.append(Array.from({ length: 7 }, (_, n) => payload(26 + n)));
    const result = await storage.read(address, 1, 100);
    assert.ok(result.status === 'found');
    assert.equal(result.snapshot.firstSequence, 23);
    assert.equal(result.snapshot.lastSequence, 32);
    assert.equal(result.events.filter((event) => event !== undefined).length, 10);
    assert.equal(storage.counts().events, 10);
  });

  it('holds its cap under 100,000 one-event sessions: the least recently used sessions are evicted whole', async (t) => {
    const cap = 1024 * 1024;
    const { storage, table } = openStorage(t, { maxMemoryBytes: cap });
    const perSession = MEMORY_COSTS.session + MEMORY_COSTS.stream + MEMORY_COSTS.event + 60;
    const kept = { sessionId: 'kept', streamId: 'main' };
    const keptAppender = await storage.openStream(kept, Streaming, true);
    await keptAppender.append([payload(-1)]);
    let highest = 0;
    for (let s = 0; s < 100_000; s++) {
      const appender = await storage.openStream({ sessionId: `flood-${s}`, streamId: 'main' }, Streaming, true);
      await appender.append([payload(s)]);
      appender.close();
      highest = Math.max(highest, table.bytes);
      // A session read now and then is used recently: eviction passes it by.
      if (s % 1_000 === 0) assert.equal((await storage.read(kept, 1, 1)).status, 'found', `the session in use survives (${s})`);
    }
    assert.ok(highest <= cap, `never above the cap: at most ${highest} of ${cap} bytes`);
    const counts = storage.counts();
    assert.ok(counts.bytes <= cap && counts.sessions > cap / (2 * perSession), `about as many sessions as fit: ${counts.sessions}`);
    assert.equal(counts.bytes, table.bytes);
    assert.equal((await storage.read({ sessionId: 'flood-0', streamId: 'main' }, 1, 1)).status, 'missing', 'the oldest went');
    assert.equal((await storage.read({ sessionId: 'flood-99999', streamId: 'main' }, 1, 1)).status, 'found', 'the newest is there');
    // Its writer was open all along: it continues where it was.
    assert.equal(await keptAppender.append([payload(-2)]), 2);
  });

  it("an evicted stream's readers are told its history expired", async (t) => {
    const cache = createCache();
    const assembled = assembleSseEventStore(cache, {}, resolveSseEventStoreOptions({ keyPrefix: 'evicted', maxMemoryBytes: 64 * 1024 }));
    t.after(() => assembled.close());
    const { store } = assembled;
    const address = { sessionId: 'old', streamId: 'main' };
    const writer = await store.createStream(address);
    const first = await writer.write({ data: 'first' });
    const reader = await store.getStreamReader(first.id);
    assert.ok(reader);
    for (let s = 0; s < 200; s++)
      await (await store.createStream({ sessionId: `new-${s}`, streamId: 'main' })).write({ data: 'x'.repeat(500) });
    const outcome = await record(reader.events()).ended;
    assert.ok('error' in outcome && outcome.error instanceof SseHistoryExpiredError, `got ${JSON.stringify(outcome)}`);
    assert.equal(await store.getStreamReader(first.id), null, 'the stream is unknown now');
  });

  it("the topology names the path: 'memory' on an in-memory cache, 'cache' with storage: 'generic'", async (t) => {
    const native = assembleSseEventStore(createCache(), {}, resolveSseEventStoreOptions());
    const generic = assembleSseEventStore(createCache(), {}, resolveSseEventStoreOptions({ storage: 'generic' }));
    t.after(async () => {
      await native.close();
      await generic.close();
    });
    assert.equal(native.topology.storage, 'memory');
    assert.match(native.topology.storageReason, /in this process.*maxMemoryBytes/);
    assert.equal(native.topology.wakeup, 'local');
    assert.equal(generic.topology.storage, 'cache');
    assert.match(generic.topology.storageReason, /^option storage: 'generic'/);
    assert.equal(generic.topology.wakeup, 'local');
  });
});

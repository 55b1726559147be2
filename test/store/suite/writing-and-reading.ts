import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseEventStreamMode, SseStreamClosedError, type SseStoredEvent } from '../../../lib';
import { collect, delay, type Recording, record } from '../../support/async';
import { isError, type StoreSuiteContext } from './store-suite-context';

const { Polling } = SseEventStreamMode;

/** Writing events and reading them back, from the start and after an id: the reference behaviour. */
export function defineWritingAndReadingTests(suite: StoreSuiteContext): void {
  const { it, open, sequenceOf, readFromStart, readAfter, writeMany } = suite;

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
      assert.deepEqual(
        all.map((event) => [event.id, event.data]),
        written.map((event) => [event.id, event.data]),
      );
      const rest = await readAfter(h, written[9].id);
      assert.deepEqual(
        rest.map((event) => event.id),
        written.slice(10).map((event) => event.id),
      );
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
        assert.deepEqual(
          (await readFromStart(h, address)).map((event) => event.data),
          [`${label} 1`, `${label} 2`],
        );
        assert.deepEqual(
          (await readAfter(h, first[label])).map((event) => event.data),
          [`${label} 2`],
        );
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
        [
          { a: 1, nested: { b: [1, 2, { c: null }] } },
          { a: 1, nested: { b: [1, 2, { c: null }] } },
        ],
        [[], []],
        [
          [1, 'two', null, { three: 3 }],
          [1, 'two', null, { three: 3 }],
        ],
        [
          { jsonrpc: '2.0', id: 1, result: {} },
          { jsonrpc: '2.0', id: 1, result: {} },
        ],
      ];
      const address = { sessionId: 'data', streamId: 'kinds' };
      const writer = await h.store.createStream(address);
      for (const [data] of cases) {
        const written = await writer.write({ data });
        assert.equal(written.data, data, 'write() returns the data it was given');
      }
      await writer.complete();
      const read = await readFromStart(h, address);
      assert.deepEqual(
        read.map((event) => event.data),
        cases.map(([, expected]) => expected),
      );
    });

    it('the retry interval round-trips, and an absent one stays absent', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'retry', streamId: 'main' };
      const writer = await h.store.createStream(address);
      const retries = [0, 1, 1_500, 2 ** 31, undefined];
      for (const retry of retries) await writer.write(retry === undefined ? { data: 'x' } : { data: 'x', retry });
      await writer.complete();
      const read = await readFromStart(h, address);
      assert.deepEqual(
        read.map((event) => event.retry),
        retries,
      );
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
      assert.deepEqual(
        read.map((event) => event.type),
        types,
      );
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
      assert.deepEqual(
        (await readFromStart(h, address)).map((event) => event.data),
        ['own'],
      );
    });

    it('write() returns a copy of the event with its id: every own field kept, the input untouched', async (t) => {
      const h = await open(t);
      const writer = await h.store.createStream({ sessionId: 'copy', streamId: 'main' });
      const tag = Symbol('tag');
      const input = { data: { n: 1 }, type: 'progress', retry: 100, correlation: 'c-1', [tag]: true };
      const written = await writer.write(input);
      assert.notEqual(written, input);
      assert.equal(sequenceOf(h, written.id), 1);
      const { id, ...fields } = written;
      assert.equal(typeof id, 'string');
      assert.deepEqual(fields, input);
      assert.equal(written[tag], true, 'symbol-keyed fields are copied too');
      assert.equal('id' in input, false, 'the input is left as it was');

      // An own "__proto__" (as JSON.parse makes one) stays a field: it does not become the copy's prototype.
      const parsed = JSON.parse('{"data":2,"__proto__":{"polluted":true}}') as { data: number };
      const fromJson = await writer.write(parsed);
      assert.equal(Object.getPrototypeOf(fromJson), Object.prototype);
      assert.equal((fromJson as { polluted?: boolean }).polluted, undefined);
      assert.deepEqual(Object.getOwnPropertyDescriptor(fromJson, '__proto__')?.value, { polluted: true });
      assert.equal(sequenceOf(h, fromJson.id), 2);
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
      assert.deepEqual(
        events.map((event) => event.id),
        written.map((event) => event.id),
      );
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
      assert.deepEqual(
        live.values.map((event) => event.data),
        [0, 1, 2, 3, 4].map((n) => ({ n })),
      );
      assert.deepEqual(
        live.values.map((event) => sequenceOf(h, event.id)),
        [1, 2, 3, 4, 5],
      );
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
      assert.deepEqual(
        live.values.map((event) => event.data),
        ['first', 'second'],
      );
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
      assert.deepEqual(
        live.values.map((event) => event.data),
        ['1'],
      );
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
      assert.deepEqual(
        (await readFromStart(h, address)).map((event) => event.data),
        ['only'],
      );
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
      await assert.rejects(
        writer.write({ data: 'after' }),
        isError(SseStreamClosedError, (error) => {
          assert.equal(error.sessionId, 'closed');
          assert.equal(error.streamId, 'main');
        }),
      );
      assert.deepEqual(
        (await readFromStart(h, address)).map((event) => event.data),
        ['before'],
      );
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
      assert.deepEqual(
        (await readFromStart(h, address)).map((event) => sequenceOf(h, event.id)),
        [1, 2, 3],
      );
      assert.deepEqual(
        (await readAfter(h, zero)).map((event) => sequenceOf(h, event.id)),
        [1, 2, 3],
      );
    });
  });
}

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseEventStreamMode, SseStreamWriterConflictError } from '../../../lib';
import { delay, record } from '../../support/async';
import { isError, type StoreSuiteContext } from './store-suite-context';

const { Polling } = SseEventStreamMode;

/** Writers: concurrent writes on one writer, and a second writer for an existing stream. */
export function defineWriterTests(suite: StoreSuiteContext): void {
  const { it, open, sequenceOf, readFromStart, readAfter, writeMany } = suite;

  describe('concurrent writes on one writer', () => {
    it('1,000 writes in flight at once get sequences 1..1000 in call order', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'burst', streamId: 'main' };
      const writer = await h.store.createStream(address);
      const written = await writeMany(writer, 1_000);
      assert.deepEqual(
        written.map((event) => sequenceOf(h, event.id)),
        written.map((_, n) => n + 1),
      );
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
            resumed.forEach((event, index) => {
              assert.equal(sequenceOf(h, event.id), from + index + 1);
            });
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
      assert.deepEqual(
        live.values.map((event) => (event.data as { n: number }).n),
        Array.from({ length: 1_000 }, (_, n) => n),
      );
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
      assert.deepEqual(
        live.values.map((event) => event.data),
        ['old 1', 'old 2', 'new 0', 'new 1'],
      );
      const all = await readFromStart(h, address);
      assert.deepEqual(
        all.map((event) => event.data),
        ['old 0', 'old 1', 'old 2', 'new 0', 'new 1'],
      );
      assert.deepEqual(
        all.slice(0, 3).map((event) => event.id),
        old.map((event) => event.id),
      );
    });

    it('while the first is open in this process, createStream rejects with SseStreamWriterConflictError', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'conflict', streamId: 'main' };
      const first = await h.store.createStream(address);
      await first.write({ data: 1 });
      await assert.rejects(
        h.store.createStream(address),
        isError(SseStreamWriterConflictError, (error) => {
          assert.equal(error.sessionId, 'conflict');
          assert.equal(error.streamId, 'main');
        }),
      );
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
}

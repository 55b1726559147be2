import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseHistoryExpiredError } from '../../../lib';
import { record, waitFor } from '../../support/async';
import { isError, type StoreSuiteContext } from './store-suite-context';

/** History that expired is reported up front, not as a silent gap. */
export function defineExpiredHistoryTests(suite: StoreSuiteContext): void {
  const { it, open, sequenceOf, readFromStart, readAfter, writeMany } = suite;

  describe('expired history is reported up front', () => {
    it('getStreamReader rejects with SseHistoryExpiredError when the next event is gone', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'expired', streamId: 'main' };
      const writer = await h.store.createStream(address);
      const written = await writeMany(writer, 5);
      await writer.complete();
      await h.layout.removeEvent(address, 3);

      await assert.rejects(
        h.store.getStreamReader(written[1].id),
        isError(SseHistoryExpiredError, (error) => {
          assert.equal(error.missingSequence, 3);
          assert.equal(error.sessionId, 'expired');
          assert.equal(error.streamId, 'main');
        }),
      );
      // Positions past the hole still resume.
      assert.deepEqual(
        (await readAfter(h, written[2].id)).map((event) => event.data),
        [{ n: 3 }, { n: 4 }],
      );
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
      assert.deepEqual(
        kept.map((event) => sequenceOf(h, event.id)),
        Array.from({ length: kept.length }, (_, i) => oldest + i),
      );
      assert.deepEqual(kept.at(-1)?.data, { n: 29 });

      // The trimmed events are deleted from the backend, not just hidden.
      await waitFor(async () => (await h.layout.storedSequences(address, oldest - 1)).length === 0, 'trimmed events to be deleted');

      await assert.rejects(
        h.store.getStreamReader(written[0].id),
        isError(SseHistoryExpiredError, (error) => {
          assert.equal(error.missingSequence, 2);
          assert.equal(error.firstAvailableSequence, oldest);
        }),
      );
      await assert.rejects(h.store.getStreamReader(h.ids.format(address, 0)), isError(SseHistoryExpiredError));
      // The event before the oldest kept one is gone, but everything after it is there.
      assert.deepEqual(
        (await readAfter(h, written[oldest - 2].id)).map((event) => event.id),
        kept.map((event) => event.id),
      );
      assert.deepEqual(
        (await readAfter(h, written[24].id)).map((event) => event.data),
        [25, 26, 27, 28, 29].map((n) => ({ n })),
      );
    });
  });
}

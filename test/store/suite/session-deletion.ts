import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseEventStreamMode, SseSessionDeletedError } from '../../../lib';
import { record } from '../../support/async';
import { isError, type StoreSuiteContext } from './store-suite-context';

const { Streaming, Polling } = SseEventStreamMode;

/** Deleting a session: its streams go, and writers and readers of it are told. */
export function defineSessionDeletionTests(suite: StoreSuiteContext): void {
  const { path, it, open, readFromStart, writeMany } = suite;

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
      assert.deepEqual(
        await storedState(),
        addresses.map(() => [true, [1, 2]]),
        'everything was stored',
      );

      await h.store.deleteStreamsForSession(sessionId);

      for (const event of written) assert.equal(await h.store.getStreamReader(event.id), null);
      for (const address of addresses) assert.equal(await h.store.getStreamReaderFromStart(address), null);
      assert.deepEqual(
        await storedState(),
        addresses.map(() => [false, []]),
      );
      assert.deepEqual(await h.layout.sessionKeys(sessionId), [h.layout.tombstoneKey(sessionId)], 'the index is gone too');
      // Another session is untouched.
      assert.deepEqual(
        (await readFromStart(h, { sessionId: 'neighbour', streamId: 'stream-0' })).map((event) => event.id),
        [kept.id],
      );
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

      await assert.rejects(
        writerA.write({ data: 'a2' }),
        isError(SseSessionDeletedError, (error) => assert.equal(error.sessionId, sessionId)),
      );
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
}

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseEventStreamMode, SseStreamClosedError } from '../../../lib';
import { createSseEventStore } from '../../../lib/testing';
import { record } from '../../support/async';
import { isError, type StoreSuiteContext } from './store-suite-context';

const { Polling } = SseEventStreamMode;

/** A completed stream: reopening it, and readers that reach its end. */
export function defineCompletedStreamTests(suite: StoreSuiteContext): void {
  const { path, storage, it, open, sequenceOf, readFromStart } = suite;

  describe('a completed stream', () => {
    it('createStream({ reopenCompleted: false }) refuses it with SseStreamClosedError; the default reopens it', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'final', streamId: 'main' };
      const fresh = await h.store.createStream({ ...address, reopenCompleted: false }); // new streams open
      await fresh.write({ data: 'only' });
      await fresh.complete();
      await assert.rejects(
        h.store.createStream({ ...address, reopenCompleted: false }),
        isError(SseStreamClosedError, (error) => {
          assert.equal(error.streamId, 'main');
        }),
      );
      assert.deepEqual(
        (await readFromStart(h, address)).map((event) => event.data),
        ['only'],
        'the refusal stored nothing',
      );
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
      assert.deepEqual(
        following.values.map((event) => event.data),
        ['two', 'three'],
      );
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
        assert.deepEqual(
          (await readFromStart(h, address)).map((event) => event.data),
          ['before'],
        );
        // Its slot is free: this process can reopen the stream on purpose.
        const reopened = await h.store.createStream(address);
        assert.equal(sequenceOf(h, (await reopened.write({ data: 'reopened' })).id), 2);
        await reopened.complete();
      });
    }
  });
}

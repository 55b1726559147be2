import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseEventStreamMode } from '../../../lib';
import { collect } from '../../support/async';
import { type StoreSuiteContext } from './store-suite-context';

const { Polling } = SseEventStreamMode;

/** How many round trips to the backend each operation takes. */
export function defineRoundTripTests(suite: StoreSuiteContext): void {
  const { path, it, open, readAfter, writeMany } = suite;

  describe('round trips', () => {
    it('a writer awaiting each write costs exactly one write call per event and nothing else', async (t) => {
      const h = await open(t);
      const writer = await h.store.createStream({ sessionId: 'trips', streamId: 'steady' });
      h.trips.reset();
      for (let n = 0; n < 100; n++) await writer.write({ data: { n } });
      console.log(
        `[${path}] round trips: 100 awaited writes took ${h.trips.count()} calls (${h.trips.count('write')} writes) = ${h.trips.count() / 100} per event`,
      );
      assert.equal(h.trips.count('write'), 100);
      assert.equal(h.trips.count(), 100, 'nothing else');
    });

    it('100 concurrent writes on one writer share far fewer than 100 calls (in memory: each is stored at once)', async (t) => {
      const h = await open(t);
      const writer = await h.store.createStream({ sessionId: 'trips', streamId: 'burst' });
      h.trips.reset();
      const written = await writeMany(writer, 100);
      console.log(
        `[${path}] round trips: 100 concurrent writes took ${h.trips.count()} calls (${h.trips.count('write')} writes) = ${h.trips.count() / 100} per event`,
      );
      assert.equal(new Set(written.map((event) => event.id)).size, 100);
      assert.equal(h.trips.count(), h.trips.count('write'), 'writes only');
      if (path === 'memory-native') {
        // In this process there is no round trip to share: each write is stored at once, as it is issued.
        assert.deepEqual(new Set(h.trips.trips.map((trip) => trip.operation)), new Set(['appendNow']));
      } else {
        assert.ok(h.trips.count('write') <= 5, `far fewer than 100: ${h.trips.count('write')}`);
      }
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
      assert.ok(
        h.trips.count('read') <= 1 && h.trips.count() === h.trips.count('read') + 1,
        `at most one read besides: ${JSON.stringify(opening)}`,
      );
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
      console.log(
        `[${path}] round trips: replaying 1000 events (page 256) took ${h.trips.count('read')} reads and ${h.trips.count() - h.trips.count('read')} other calls; pages of up to 256 events cost 1 read each, plus 1 to open the reader`,
      );
      assert.equal(replayed.length, 1_000);
      assert.equal(h.trips.count('read'), expected);
      assert.equal(h.trips.count(), expected, 'reads only: fresh events need no refresh');
      const fromStart = await h.store.getStreamReaderFromStart(address);
      h.trips.reset();
      await collect(fromStart!.events());
      assert.equal(h.trips.count('read'), Math.ceil(1_000 / 256));
    });
  });
}

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { SseEventPersistenceError, SseEventStreamMode, SseHistoryExpiredError, SseStoreUnavailableError } from '../../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../../lib/event-id/event-id.codec';
import { createSseEventStore } from '../../../lib/testing';
import { delay, record, waitFor } from '../../support/async';
import { uniquePrefix } from '../../support/caches';
import { createOutageCache } from '../../support/outage-cache';
import { readHeld } from '../../support/read-held';
import { isError, type StoreSuiteContext } from './store-suite-context';

const { Polling } = SseEventStreamMode;

/** When the cache goes away: every failure is reported, nothing is lost silently. */
export function defineCacheOutageTests(suite: StoreSuiteContext): void {
  const { path, backend, storage, it, writeMany } = suite;

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
      assert.ok(
        'error' in duringOutcome && duringOutcome.error instanceof SseStoreUnavailableError,
        `got ${JSON.stringify(duringOutcome)}`,
      );
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
        assert.ok(
          lost.length + skipped.length <= rejected,
          `${lost.length} lost and ${skipped.length} skipped, more than the ${rejected} rejected writes`,
        );
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
        const typed =
          liveOutcome.error instanceof SseStoreUnavailableError || (lost.length > 0 && liveOutcome.error instanceof SseHistoryExpiredError);
        assert.ok(typed, `got ${String(liveOutcome.error)}`);
        assert.deepEqual(
          live.values.map((event) => event.id),
          stored.slice(0, live.values.length).map((event) => event.id),
        );
      } else {
        assert.deepEqual(
          live.values.map((event) => event.id),
          stored.map((event) => event.id),
        );
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
      const main = createSseEventStore({
        cache: outage.cache,
        keyPrefix: uniquePrefix(),
        operationTimeout: 500,
        pollingInterval: 50,
        storage,
      });
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
}

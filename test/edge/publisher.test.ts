import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SseEventStore, type SseStoredEvent, SseStreamClosedError, type SseStreamAddress, SseStreamPublisher } from '../../lib';
import { collect } from '../support/async';
import { CapturingLogger } from '../support/capturing-logger';
import { openStoreBackend, type StoreBackend, type StoreBackendCache } from '../support/store-backends';
import { freshSession } from './edge-app';

/**
 * SseStreamPublisher under concurrency: appends issued together are stored in call order under
 * consecutive ids; an append racing a completion never reopens the stream; an append after the
 * completion is refused with SseStreamClosedError, by this publisher and by a new one (a restart).
 * (Two instances on one Redis: two-instances.test.ts.)
 */

const sequenceOf = (id: string): number => Number(id.split('.').at(-1));

/** Every event of a completed stream, from its start. */
async function readAll(store: SseEventStore, address: SseStreamAddress): Promise<SseStoredEvent[]> {
  const reader = await store.getStreamReaderFromStart(address);
  assert.ok(reader, 'the stream exists');
  return collect(reader.events());
}

/** Settles every promise; answers which resolved (with the value) and which rejected. */
async function outcomes<T>(promises: Promise<T>[]): Promise<({ value: T } | { error: unknown })[]> {
  return (await Promise.allSettled(promises)).map((result) =>
    result.status === 'fulfilled' ? { value: result.value } : { error: result.reason },
  );
}

for (const backend of ['memory', 'redis-native'] satisfies StoreBackend[]) {
  describe(`SseStreamPublisher under concurrency (${backend})`, () => {
    let backendCache: StoreBackendCache;
    let store: SseEventStore;
    let close: () => Promise<void>;
    let publisher: SseStreamPublisher;

    before(async () => {
      Logger.overrideLogger(new CapturingLogger()); // the store's own lines, kept off the test output
      backendCache = await openStoreBackend(backend);
      ({ store, close } = backendCache.openStore());
      publisher = new SseStreamPublisher(store);
    });

    after(async () => {
      await close?.();
      await backendCache?.close();
    });

    it('appends issued together get consecutive ids in call order, from the first append of a new stream on', async () => {
      const address = { sessionId: freshSession(), streamId: 'burst' };
      // One burst while the writer is being opened, a second while the first is being stored.
      const first = Array.from({ length: 150 }, (_, n) => publisher.append(address, { data: n }));
      await Promise.resolve();
      const second = Array.from({ length: 150 }, (_, n) => publisher.append(address, { data: 150 + n }));
      const events = await Promise.all([...first, ...second]);
      assert.deepEqual(
        events.map((event) => sequenceOf(event.id)),
        Array.from({ length: 300 }, (_, index) => index + 1),
      );
      // Other streams of the session, written at the same time, keep sequences of their own.
      const others = await Promise.all(
        ['a', 'b', 'a', 'b', 'a'].map((streamId) => publisher.append({ sessionId: address.sessionId, streamId }, { data: streamId })),
      );
      assert.deepEqual(
        others.map((event) => sequenceOf(event.id)),
        [1, 1, 2, 2, 3],
      );

      await publisher.complete(address);
      const stored = await readAll(store, address);
      assert.deepEqual(
        stored.map((event) => event.id),
        events.map((event) => event.id),
      );
      assert.deepEqual(
        stored.map((event) => event.data),
        Array.from({ length: 300 }, (_, n) => JSON.stringify(n)),
      );
    });

    it('appends racing complete() on a new stream: the ones called before it are stored, the ones after it refused', async () => {
      const address = { sessionId: freshSession(), streamId: 'race-new' };
      const results = await outcomes<unknown>([
        publisher.append(address, { data: 'before' }),
        publisher.complete(address),
        publisher.append(address, { data: 'after' }),
      ]);
      assert.ok('value' in results[0], `the append before complete() resolved: ${JSON.stringify(results[0])}`);
      assert.equal(sequenceOf((results[0].value as SseStoredEvent).id), 1);
      assert.ok('value' in results[1], 'complete() resolved');
      assert.ok('error' in results[2] && results[2].error instanceof SseStreamClosedError, 'the append after complete() was refused');
      assert.deepEqual(
        (await readAll(store, address)).map((event) => event.data),
        ['before'],
      );
    });

    it('appends racing complete() on an open stream: call order decides, and the stream stays completed', async () => {
      const address = { sessionId: freshSession(), streamId: 'race-open' };
      await publisher.append(address, { data: 'opened' });
      const calls: Promise<unknown>[] = [];
      for (let n = 0; n < 40; n++) {
        if (n === 20) calls.push(publisher.complete(address));
        calls.push(publisher.append(address, { data: n }));
      }
      const results = await outcomes(calls);
      const appends = results.filter((_, index) => index !== 20);
      assert.ok('value' in results[20], 'complete() resolved');
      appends.slice(0, 20).forEach((result, n) => {
        assert.ok('value' in result, `append ${n} (before complete) resolved`);
      });
      appends.slice(20).forEach((result, n) => {
        assert.ok('error' in result && result.error instanceof SseStreamClosedError, `append ${20 + n} (after complete) refused`);
      });
      const ids = appends.slice(0, 20).map((result) => sequenceOf((result as { value: SseStoredEvent }).value.id));
      assert.deepEqual(
        ids,
        Array.from({ length: 20 }, (_, n) => n + 2),
      );
      assert.deepEqual(
        (await readAll(store, address)).map((event) => event.data),
        ['opened', ...Array.from({ length: 20 }, (_, n) => String(n))],
      );
    });

    it('complete() called first, appends in the same tick: none is stored, the stream is completed empty', async () => {
      const address = { sessionId: freshSession(), streamId: 'complete-first' };
      const results = await outcomes<unknown>([
        publisher.complete(address),
        ...Array.from({ length: 5 }, (_, n) => publisher.append(address, { data: n })),
      ]);
      assert.ok('value' in results[0]);
      for (const result of results.slice(1)) assert.ok('error' in result && result.error instanceof SseStreamClosedError);
      assert.deepEqual(await readAll(store, address), []);
      const reader = await store.getStreamReaderFromStart(address);
      assert.equal(reader?.finished, true, 'completed, and nothing to read');
    });

    it('after complete(), appends are refused with SseStreamClosedError, also by a new publisher (a restart); complete() stays idempotent', async () => {
      const address = { sessionId: freshSession(), streamId: 'done' };
      const first = await publisher.append(address, { data: 'only' });
      await publisher.complete(address);
      await assert.rejects(publisher.append(address, { data: 'late' }), SseStreamClosedError);
      // Many at once, after the publisher forgot its writer: none reopens the stream.
      const late = await outcomes(Array.from({ length: 10 }, (_, n) => publisher.append(address, { data: n })));
      for (const result of late) assert.ok('error' in result && result.error instanceof SseStreamClosedError);
      const restarted = new SseStreamPublisher(store);
      await assert.rejects(restarted.append(address, { data: 'after a restart' }), SseStreamClosedError);
      await restarted.complete(address);
      await publisher.complete(address);
      assert.deepEqual(
        (await readAll(store, address)).map((event) => [event.id, event.data]),
        [[first.id, 'only']],
      );
      assert.equal((await store.getStreamReader(first.id))?.finished, true);
    });
  });
}

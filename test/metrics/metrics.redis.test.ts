import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { SseEventStorage, SseStoredEvent } from '../../lib';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { waitFor } from '../support/async';
import { createTestCache, type TestCache, uniquePrefix } from '../support/caches';
import { CapturingLogger } from '../support/capturing-logger';
import { MetricsProbe } from '../support/collected-metrics';

const LAG = 'sse_event_store.delivery.lag';
const PUSH = { 'sse_event_store.wakeup.state': 'push' };
const POLLING = { 'sse_event_store.wakeup.state': 'polling' };
/** Writes before the test gives up on seeing a pushed wake-up (the first may come before the channel is live). */
const MAX_WRITES = 50;

/** One application instance: a store on a cache of its own, measured by an SDK of its own. */
interface Instance {
  probe: MetricsProbe;
  cache: TestCache;
  standalone: StandaloneSseEventStore;
}

/**
 * Two stores on the same Redis stand for two application instances: the native path (the append
 * script publishes the wake-ups) and the generic one (the writer publishes them).
 */
for (const storage of ['auto', 'generic'] as const satisfies readonly SseEventStorage[])
  describe(`metrics across two instances on Redis (storage: '${storage}')`, () => {
    const keyPrefix = uniquePrefix();
    const instances: Instance[] = [];

    const openInstance = async (redis?: false): Promise<Instance> => {
      const probe = new MetricsProbe();
      const cache = await createTestCache('redis');
      // A polling interval far longer than the test: whatever arrives was pushed.
      const standalone = createSseEventStore({
        cache: cache.cache,
        keyPrefix,
        storage,
        redis,
        meterProvider: probe.provider,
        pollingInterval: 3_600_000,
      });
      const instance = { probe, cache, standalone };
      instances.push(instance);
      return instance;
    };

    before(() => {
      Logger.overrideLogger(new CapturingLogger());
    });

    after(async () => {
      for (const { standalone, cache, probe } of instances) {
        await standalone.close();
        await cache.close();
        await probe.shutdown();
      }
    });

    test("a write in one instance is delivered live in the other, which records the lag; the writer's own instance records none", async () => {
      const [writing, reading] = [await openInstance(), await openInstance()];
      const address = { sessionId: 'lag-session-3b7e', streamId: 'lag-stream-c41d' };
      const writer = await writing.standalone.store.createStream(address);
      const subscriptions: Subscription[] = [];
      const received: SseStoredEvent[] = [];
      for (const instance of [reading, writing]) {
        const reader = await instance.standalone.store.getStreamReaderFromStart(address);
        assert.ok(reader);
        subscriptions.push(reader.events().subscribe((event) => instance === reading && received.push(event)));
      }
      let written = 0;
      // The first wake-ups may come before the reading instance's channel is live (then it reads
      // the events on its re-check): write until one was pushed.
      while ((await reading.probe.collect()).histogram(LAG).count === 0 && written < MAX_WRITES) {
        const { id } = await writer.write({ data: { n: ++written } });
        await waitFor(() => received.some((event) => event.id === id), `event ${written} delivered in the other instance`, 10_000);
      }
      const [readerSide, writerSide] = [await reading.probe.collect(), await writing.probe.collect()];
      const lag = readerSide.histogram(LAG);
      assert.ok(lag.count >= 1, `no lag recorded after ${written} writes`);
      assert.ok((lag.min ?? -1) >= 0);
      assert.equal(writerSide.histogram(LAG).count, 0, "the writer's instance skips its own wake-ups");
      assert.equal(writerSide.value('sse_event_store.events.written'), written);
      assert.equal(readerSide.value('sse_event_store.events.written'), 0);
      assert.ok(readerSide.value('sse_event_store.events.delivered', { 'sse_event_store.delivery': 'live' }) >= 1);
      assert.equal(readerSide.value('sse_event_store.readers.active'), 1);
      assert.equal(readerSide.value('sse_event_store.writers.open'), 0);
      assert.equal(writerSide.value('sse_event_store.writers.open'), 1);
      // Pub/sub is connected: readers are pushed to.
      assert.equal(readerSide.value('sse_event_store.wakeup.state', PUSH), 1);
      assert.equal(readerSide.value('sse_event_store.wakeup.state', POLLING), 0);
      for (const value of [...readerSide.attributeValues(), ...writerSide.attributeValues()]) {
        for (const id of Object.values(address)) assert.ok(!String(value).includes(id), `attribute value ${String(value)}`);
      }

      for (const subscription of subscriptions) subscription.unsubscribe();
      await writer.complete();
      assert.equal((await reading.probe.collect()).value('sse_event_store.readers.active'), 0);
      assert.equal((await writing.probe.collect()).value('sse_event_store.writers.open'), 0);
    });

    test('without pub/sub on a shared cache, readers poll', async () => {
      const polling = await openInstance(false);
      const collected = await polling.probe.collect();
      assert.equal(collected.value('sse_event_store.wakeup.state', POLLING), 1);
      assert.equal(collected.value('sse_event_store.wakeup.state', PUSH), 0);
    });
  });

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { metrics } from '@opentelemetry/api';
import { createCache } from 'cache-manager';
import { firstValueFrom, take, toArray } from 'rxjs';
import { assembleSseEventStore } from '../../../lib/assembly/assemble-sse-event-store';
import type { SseEventStore } from '../../../lib';
import { createSseEventStore } from '../../../lib/testing';
import { resolveSseEventStoreOptions } from '../../../lib/sse-event-store-options';
import { MetricsProbe } from '../../support/collected-metrics';

/** Writes two events and reads them back from the start. */
async function roundTrip(store: SseEventStore): Promise<number[]> {
  const address = { sessionId: 'no-sdk', streamId: 's' };
  const writer = await store.createStream(address);
  await writer.write({ data: { n: 1 } });
  await writer.write({ data: { n: 2 } });
  await writer.complete();
  const reader = await store.getStreamReaderFromStart(address);
  assert.ok(reader);
  const events = await firstValueFrom(reader.events().pipe(take(2), toArray()));
  return events.map((event) => (event.data as { n: number }).n);
}

describe('the store without an OpenTelemetry SDK', () => {
  afterEach(() => metrics.disable());

  test("works on the API's no-op instruments, which record nothing", async () => {
    const assembled = assembleSseEventStore(createCache(), {}, resolveSseEventStoreOptions());
    try {
      assert.equal(assembled.metrics.records, false);
      assert.deepEqual(await roundTrip(assembled.store), [1, 2]);
    } finally {
      await assembled.close();
    }
  });

  test('uses the provider registered globally before the store was built, not one registered after', async () => {
    const before = new MetricsProbe();
    metrics.setGlobalMeterProvider(before.provider);
    const early = createSseEventStore();
    metrics.disable();
    const later = new MetricsProbe();
    const late = createSseEventStore();
    metrics.setGlobalMeterProvider(later.provider);
    try {
      await roundTrip(early.store);
      await roundTrip(late.store);
      assert.equal((await before.collect()).value('sse_event_store.events.written'), 2, 'the early store counts on the global provider');
      assert.equal((await later.collect()).metric('sse_event_store.events.written'), undefined, 'the API has no proxy provider');
    } finally {
      await early.close();
      await late.close();
      await before.shutdown();
      await later.shutdown();
    }
  });
});

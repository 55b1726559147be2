import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { firstValueFrom, take, toArray } from 'rxjs';
import { Test } from '@nestjs/testing';
import { SseEventStore, SseEventStoreConfigurationError, SseEventStoreModule, type SseEventStreamReader } from '../../../lib';
import { createSseEventStore, type StandaloneSseEventStore } from '../../../lib/testing';
import { CapturingLogger } from '../../support/capturing-logger';
import { MetricsProbe } from '../../support/collected-metrics';

const WRITTEN = 'sse_event_store.events.written';
const DELIVERED = 'sse_event_store.events.delivered';
const REPLAY = { 'sse_event_store.delivery': 'replay' };
const LIVE = { 'sse_event_store.delivery': 'live' };

/** Resolves once the reader delivered `count` events. */
function receive(reader: SseEventStreamReader | null, count: number) {
  assert.ok(reader);
  return firstValueFrom(reader.events().pipe(take(count), toArray()));
}

describe("the store's OpenTelemetry instruments (in-memory store, real SDK)", () => {
  let probe: MetricsProbe;
  let standalone: StandaloneSseEventStore;

  before(() => {
    Logger.overrideLogger(new CapturingLogger()); // no Nest application here to configure logging
  });

  beforeEach(() => {
    probe = new MetricsProbe();
    standalone = createSseEventStore({ meterProvider: probe.provider, replayPageSize: 2 });
  });

  afterEach(async () => {
    await standalone.close();
    await probe.shutdown();
  });

  test('writes count their events once stored, time each append, and open writers go up and down', async () => {
    const { store } = standalone;
    const writer = await store.createStream({ sessionId: 'writes', streamId: 'w' });
    assert.equal((await probe.collect()).value('sse_event_store.writers.open'), 1);

    for (const n of [1, 2, 3]) await writer.write({ data: { n } });
    // The in-memory path stores each write at once, even two issued in one tick.
    await Promise.all([writer.write({ data: 4 }), writer.write({ data: 5 })]);
    let collected = await probe.collect();
    assert.equal(collected.value(WRITTEN), 5);
    const appends = collected.histogram('sse_event_store.append.duration');
    assert.equal(appends.count, 5, 'one duration per append');
    assert.ok((appends.min ?? -1) >= 0);

    await writer.complete();
    collected = await probe.collect();
    assert.equal(collected.value('sse_event_store.writers.open'), 0);
    assert.equal(collected.value(WRITTEN), 5, 'a completion stores no event');
  });

  test('writes queued together are one append: one duration, each event counted', async () => {
    const generic = createSseEventStore({ meterProvider: probe.provider, storage: 'generic' });
    try {
      const writer = await generic.store.createStream({ sessionId: 'batched', streamId: 'w' });
      // Issued in one tick: the generic path stores them together, in one append.
      await Promise.all([writer.write({ data: 1 }), writer.write({ data: 2 }), writer.write({ data: 3 })]);
      const collected = await probe.collect();
      assert.equal(collected.value(WRITTEN), 3);
      assert.equal(collected.histogram('sse_event_store.append.duration').count, 1);
    } finally {
      await generic.close();
    }
  });

  test('a reader counts what it replays page by page, then what it delivers live; active readers go up and down', async () => {
    const { store } = standalone;
    const address = { sessionId: 'reads', streamId: 'r' };
    const writer = await store.createStream(address);
    for (const n of [1, 2, 3, 4, 5]) await writer.write({ data: { n } });

    const reader = await store.getStreamReaderFromStart(address);
    assert.ok(reader);
    const replayed: unknown[] = [];
    const live: unknown[] = [];
    let delivered = 0;
    const allSeven = new Promise<void>((resolve, reject) => {
      const subscription = reader.events().subscribe({
        next: (event) => {
          (++delivered <= 5 ? replayed : live).push((event.data as { n: number }).n);
          if (delivered === 7) {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    // Pages of 2: events 1-2, 3-4, then 5, where the reader has caught up.
    while (replayed.length < 5) await new Promise((resolve) => setImmediate(resolve));
    let collected = await probe.collect();
    assert.equal(collected.value('sse_event_store.readers.active'), 1);
    assert.equal(collected.value(DELIVERED, REPLAY), 5);
    assert.equal(collected.value('sse_event_store.replay.pages'), 3);
    assert.equal(collected.histogram('sse_event_store.replay.page.duration').count, 3);

    await writer.write({ data: { n: 6 } });
    await writer.write({ data: { n: 7 } });
    await allSeven;
    collected = await probe.collect();
    assert.deepEqual(live, [6, 7]);
    assert.equal(collected.value(DELIVERED, LIVE), 2);
    assert.equal(collected.value(DELIVERED, REPLAY), 5, 'events after catching up are not replay');
    assert.equal(collected.value('sse_event_store.replay.pages'), 3, 'a live reader reads no replay page');
    assert.equal(collected.value('sse_event_store.readers.active'), 0, 'unsubscribed');
    await writer.complete();
  });

  test('every typed error the application gets counts once, by code, however many calls it fails; a deleted session counts', async () => {
    const { store } = standalone;
    const address = { sessionId: 'errors', streamId: 'e' };
    const writer = await store.createStream(address);
    await writer.write({ data: 'first' });
    await assert.rejects(store.createStream(address), { code: 'SSE_STREAM_WRITER_CONFLICT' });
    await assert.rejects(writer.write({ data: 'x', type: 'two\nlines' }), { code: 'SSE_INVALID_INPUT' });

    const reader = await store.getStreamReaderFromStart(address);
    const failed = receive(reader, 3);
    await store.deleteStreamsForSession('errors');
    await assert.rejects(failed, { code: 'SSE_SESSION_DELETED' });
    await assert.rejects(writer.write({ data: 'after' }), { code: 'SSE_SESSION_DELETED' });
    // The same error again: counted once, however many calls it fails.
    await assert.rejects(Promise.all([writer.write({ data: 'again' }), writer.complete()]), { code: 'SSE_SESSION_DELETED' });

    const collected = await probe.collect();
    assert.equal(collected.value('sse_event_store.errors', { 'error.type': 'SSE_STREAM_WRITER_CONFLICT' }), 1);
    assert.equal(collected.value('sse_event_store.errors', { 'error.type': 'SSE_INVALID_INPUT' }), 1);
    assert.equal(
      collected.value('sse_event_store.errors', { 'error.type': 'SSE_SESSION_DELETED' }),
      2,
      "the reader's error, and the one the deleted session's writer refuses everything with",
    );
    assert.equal(collected.value('sse_event_store.sessions.deleted'), 1);
    assert.equal(collected.value('sse_event_store.writers.open'), 0, "the deleted session's writer closed");
    assert.equal(collected.value('sse_event_store.readers.active'), 0);
  });

  test('the in-process wake-ups push', async () => {
    const collected = await probe.collect();
    assert.equal(collected.value('sse_event_store.wakeup.state', { 'sse_event_store.wakeup.state': 'push' }), 1);
    assert.equal(collected.value('sse_event_store.wakeup.state', { 'sse_event_store.wakeup.state': 'polling' }), 0);
  });

  test('no data point carries a session or stream id', async () => {
    const { store } = standalone;
    const ids = ['session-id-7f3a', 'stream-id-91c2', 'other-stream-id-5d0e'];
    const writer = await store.createStream({ sessionId: ids[0], streamId: ids[1] });
    for (const n of [1, 2, 3]) await writer.write({ data: n, type: ids[2] });
    await receive(await store.getStreamReaderFromStart({ sessionId: ids[0], streamId: ids[1] }), 3);
    await assert.rejects(store.createStream({ sessionId: ids[0], streamId: ids[1] }), { code: 'SSE_STREAM_WRITER_CONFLICT' });
    await assert.rejects(store.getStreamReaderFromStart({ sessionId: ids[0], streamId: 'x'.repeat(2_000) }), {
      code: 'SSE_INVALID_INPUT',
    });
    await store.deleteStreamsForSession(ids[0]);
    await assert.rejects(writer.write({ data: 4 }), { code: 'SSE_SESSION_DELETED' });

    const collected = await probe.collect();
    const values = collected.attributeValues();
    assert.ok(values.length > 0, 'some data points have attributes');
    for (const value of values) {
      for (const id of [...ids, 'x'.repeat(2_000)]) assert.ok(!String(value).includes(id), `attribute value ${String(value)}`);
    }
    // Only the documented attributes, with their documented values.
    const allowed = new Set([
      'live',
      'replay',
      'push',
      'polling',
      'SSE_STREAM_WRITER_CONFLICT',
      'SSE_INVALID_INPUT',
      'SSE_SESSION_DELETED',
    ]);
    for (const value of values) assert.ok(allowed.has(String(value)), `unexpected attribute value ${String(value)}`);
  });

  test('through the Prometheus exporter the instruments get the names the documentation gives', async () => {
    const { store } = standalone;
    const address = { sessionId: 'prometheus', streamId: 'p' };
    const writer = await store.createStream(address);
    await writer.write({ data: 1 });
    await receive(await store.getStreamReaderFromStart(address), 1);
    const text = new PrometheusSerializer().serialize(await probe.collectResourceMetrics());
    for (const name of [
      'sse_event_store_events_written_total',
      'sse_event_store_events_delivered_total{sse_event_store_delivery="replay"',
      'sse_event_store_replay_pages_total',
      'sse_event_store_readers_active',
      'sse_event_store_writers_open',
      // The exporter adds no unit suffix: the unit is in the UNIT line.
      'sse_event_store_append_duration_bucket{',
      '# UNIT sse_event_store_append_duration s',
      'sse_event_store_replay_page_duration_count{',
      'sse_event_store_wakeup_state{sse_event_store_wakeup_state="push",',
    ]) {
      assert.ok(text.includes(name), `${name} in:\n${text}`);
    }
    await writer.complete();
  });
});

describe('the meterProvider option', () => {
  test('reaches the store of SseEventStoreModule', async () => {
    const probe = new MetricsProbe();
    const moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreModule.forRoot({ meterProvider: probe.provider })],
    }).compile();
    try {
      const writer = await moduleRef.get(SseEventStore).createStream({ sessionId: 'module', streamId: 'm' });
      await writer.write({ data: 'one' });
      await writer.complete();
      const collected = await probe.collect();
      assert.equal(collected.value(WRITTEN), 1);
      assert.equal(collected.value('sse_event_store.wakeup.state', { 'sse_event_store.wakeup.state': 'push' }), 1);
    } finally {
      await moduleRef.close();
    }
    await probe.shutdown();
  });

  test('is refused when it is not a MeterProvider', () => {
    for (const meterProvider of [{}, 'global', 42, { getMeter: 'no' }]) {
      assert.throws(
        () => createSseEventStore({ meterProvider: meterProvider as never }),
        (error: unknown) => error instanceof SseEventStoreConfigurationError && /'meterProvider'/.test(error.message),
      );
    }
  });

  test('is refused when its getMeter gives no Meter', () => {
    assert.throws(
      () => createSseEventStore({ meterProvider: { getMeter: () => ({}) } }),
      (error: unknown) => error instanceof SseEventStoreConfigurationError && /'meterProvider'/.test(error.message),
    );
  });
});

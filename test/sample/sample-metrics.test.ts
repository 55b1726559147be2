import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../support/async';
import { EventSourceClient } from '../support/event-source-client';
import { McpSdkClient } from '../support/mcp-sdk-client';
import { type PrometheusFamily, parsePrometheusText, sampleSum } from '../support/prometheus-text';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import { complete, deleteSession, publish, request, streamUrl } from '../support/sample-client';
import { SampleProcess } from '../support/sample-process';

/**
 * `GET /metrics` of the sample app (real processes, real HTTP, the `eventsource` package as the
 * client): the OpenTelemetry Prometheus exporter's text, with the store's instruments under the
 * names their OpenTelemetry names become there: dots become underscores, counters get `_total`,
 * histograms `_bucket`, `_sum` and `_count`, and the unit is a `# UNIT` line rather than a suffix
 * (`sse_event_store.delivery.lag`, in seconds → `sse_event_store_delivery_lag_count`).
 */

const TEST_TIMEOUT = { timeout: 60_000 };
/** Bounds waits for a figure to change; they only turn a hang into a failure. */
const WAIT_MS = 10_000;

type Metrics = Map<string, PrometheusFamily>;

/** Reads `/metrics`: 200, `text/plain`, a valid exposition (or the test fails with the text). */
async function readMetrics(baseUrl: string): Promise<{ text: string; metrics: Metrics }> {
  const answer = await request('GET', `${baseUrl}/metrics`);
  assert.equal(answer.status, 200, answer.body);
  assert.match(answer.contentType ?? '', /^text\/plain/);
  return { text: answer.body, metrics: parsePrometheusText(answer.body) };
}

/** The sum of a sample over its label sets, 0 when it is absent (a counter before its first event). */
async function count(baseUrl: string, sampleName: string, labels?: Record<string, string>): Promise<number> {
  return sampleSum((await readMetrics(baseUrl)).metrics, sampleName, labels) ?? 0;
}

/** Waits until the sample's value satisfies `condition`; the failure names the last value read. */
async function waitForValue(baseUrl: string, sampleName: string, condition: (value: number | undefined) => boolean): Promise<void> {
  let last: number | undefined;
  await waitFor(async () => condition((last = sampleSum((await readMetrics(baseUrl)).metrics, sampleName))), sampleName, WAIT_MS).catch(
    (error: Error) => {
      throw new Error(`${error.message} (last read: ${String(last)})`);
    },
  );
}

function assertFamily(metrics: Metrics, name: string, type: PrometheusFamily['type'], unit: string): PrometheusFamily {
  const family = metrics.get(name);
  assert.ok(family, `${name} is exposed; the families are ${JSON.stringify([...metrics.keys()])}`);
  assert.equal(family.type, type, `${name}'s type`);
  assert.equal(family.unit, unit, `${name}'s unit`);
  return family;
}

/** A histogram that recorded at least once: its count, its sum, and the +Inf bucket holding them all. */
function assertRecorded(metrics: Metrics, name: string): void {
  const family = assertFamily(metrics, name, 'histogram', 's');
  const recorded = sampleSum(metrics, `${name}_count`) ?? 0;
  assert.ok(recorded >= 1, `${name} recorded something: ${JSON.stringify(family.samples)}`);
  assert.ok((sampleSum(metrics, `${name}_sum`) ?? -1) >= 0, `${name}_sum is a duration`);
  assert.equal(sampleSum(metrics, `${name}_bucket`, { le: '+Inf' }), recorded, `${name}'s +Inf bucket holds every recording`);
}

/** No label of any sample, and nowhere in the text, holds one of the ids (raw or URL-encoded). */
function assertNoIds(text: string, ids: string[]): void {
  for (const id of ids) {
    for (const form of new Set([id, encodeURIComponent(id)])) {
      const line = text.split('\n').find((candidate) => candidate.includes(form));
      assert.equal(line, undefined, `a metric line holds the id ${form}`);
    }
  }
}

describe('GET /metrics on the sample, in-memory store', () => {
  let app: SampleProcess;

  before(async () => {
    app = await SampleProcess.start();
  });

  after(async () => {
    await app?.stop();
  });

  test("answers text/plain in the Prometheus text format (the exporter's own output is valid)", TEST_TIMEOUT, async () => {
    const { text, metrics } = await readMetrics(app.url);
    assert.match(text, /^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$/m);
    assert.ok(metrics.size >= 1, `at least one family: ${text}`);
    assert.equal(metrics.get('target_info')?.type, 'gauge', 'the resource, as OpenTelemetry exposes it');
  });

  test('no metric line holds the session id or the stream id of streams written and read', TEST_TIMEOUT, async () => {
    const sessionId = `metrics-session-${randomUUID()}`;
    const streamId = `metrics stream ${randomUUID()}`;
    await publish(app.url, sessionId, streamId, { n: 1 }, 'update');
    const reader = new EventSourceClient(streamUrl(app.url, sessionId, streamId, 'events'), { types: ['update'] });
    try {
      await reader.waitForMessages(1);
      await publish(app.url, sessionId, streamId, { n: 2 });
      await reader.waitForMessages(2);
      assertNoIds((await readMetrics(app.url)).text, [sessionId, streamId]);
    } finally {
      reader.close();
    }
    await deleteSession(app.url, sessionId);
    assertNoIds((await readMetrics(app.url)).text, [sessionId, streamId]);
  });

  test(
    'after a publish and a read: events written, delivered (replay and live), the reader while it is connected',
    TEST_TIMEOUT,
    async () => {
      const sessionId = `metrics-${randomUUID()}`;
      const streamId = 'counted';
      const writtenBefore = await count(app.url, 'sse_event_store_events_written_total');
      const replayedBefore = await count(app.url, 'sse_event_store_events_delivered_total', { sse_event_store_delivery: 'replay' });
      const liveBefore = await count(app.url, 'sse_event_store_events_delivered_total', { sse_event_store_delivery: 'live' });
      const pagesBefore = await count(app.url, 'sse_event_store_replay_pages_total');

      for (let n = 1; n <= 3; n++) await publish(app.url, sessionId, streamId, { n });
      const reader = new EventSourceClient(streamUrl(app.url, sessionId, streamId, 'events'));
      try {
        await reader.waitForMessages(3);
        await waitForValue(app.url, 'sse_event_store_readers_active', (value) => value === 1);
        // Published while the reader waits, one at a time: these reach it through a wake-up.
        for (let n = 4; n <= 6; n++) {
          await publish(app.url, sessionId, streamId, { n });
          await reader.waitForMessages(n);
        }

        const { metrics } = await readMetrics(app.url);
        assertFamily(metrics, 'sse_event_store_events_written_total', 'counter', '{event}');
        assert.equal(sampleSum(metrics, 'sse_event_store_events_written_total'), writtenBefore + 6, 'every event published');

        const delivered = assertFamily(metrics, 'sse_event_store_events_delivered_total', 'counter', '{event}');
        for (const sample of delivered.samples) {
          assert.ok(
            ['live', 'replay'].includes(sample.labels.sse_event_store_delivery),
            `a delivery label: ${JSON.stringify(sample.labels)}`,
          );
        }
        assert.equal(
          sampleSum(metrics, 'sse_event_store_events_delivered_total'),
          replayedBefore + liveBefore + 6,
          'every event delivered once',
        );
        const replayed = sampleSum(metrics, 'sse_event_store_events_delivered_total', { sse_event_store_delivery: 'replay' }) ?? 0;
        const live = sampleSum(metrics, 'sse_event_store_events_delivered_total', { sse_event_store_delivery: 'live' }) ?? 0;
        assert.ok(
          replayed - replayedBefore >= 3,
          `the three events stored before the reader came are replayed (${replayed - replayedBefore})`,
        );
        assert.ok(live - liveBefore >= 1, `events published while it waits are delivered live (${live - liveBefore})`);

        assertFamily(metrics, 'sse_event_store_readers_active', 'gauge', '{reader}');
        assert.equal(sampleSum(metrics, 'sse_event_store_readers_active'), 1, 'the one connected reader');
        assertFamily(metrics, 'sse_event_store_replay_pages_total', 'counter', '{page}');
        assert.ok((sampleSum(metrics, 'sse_event_store_replay_pages_total') ?? 0) > pagesBefore, 'the replay read a page');
        assertRecorded(metrics, 'sse_event_store_append_duration');
        assertRecorded(metrics, 'sse_event_store_replay_page_duration');
      } finally {
        reader.close();
      }
      await waitForValue(app.url, 'sse_event_store_readers_active', (value) => value === 0);
      await complete(app.url, sessionId, streamId);
    },
  );

  test('counts deleted sessions', TEST_TIMEOUT, async () => {
    const sessionId = `metrics-deleted-${randomUUID()}`;
    await publish(app.url, sessionId, 'doomed', 'soon gone');
    const before = await count(app.url, 'sse_event_store_sessions_deleted_total');
    await deleteSession(app.url, sessionId);
    const { metrics } = await readMetrics(app.url);
    assertFamily(metrics, 'sse_event_store_sessions_deleted_total', 'counter', '{session}');
    assert.equal(sampleSum(metrics, 'sse_event_store_sessions_deleted_total'), before + 1);
  });

  test("an MCP session's standalone stream is counted among the open writers; its session id appears nowhere", TEST_TIMEOUT, async () => {
    const client = await McpSdkClient.connect(`${app.url}/mcp`);
    try {
      // The SDK writes the countdown's notifications to the standalone stream, whose writer stays open.
      await client.client.callTool({ name: 'standalone_countdown', arguments: { count: 3, intervalMs: 0 } });
      await client.waitForTicks('standalone_countdown', 3);
      const { text, metrics } = await readMetrics(app.url);
      assertFamily(metrics, 'sse_event_store_writers_open', 'gauge', '{writer}');
      assert.ok((sampleSum(metrics, 'sse_event_store_writers_open') ?? 0) >= 1, 'the standalone stream has an open writer');
      assertNoIds(text, [client.sessionId]);
    } finally {
      await client.endSession();
    }
  });

  test('the wake-up state: push (in-process wake-ups), not polling', TEST_TIMEOUT, async () => {
    const { metrics } = await readMetrics(app.url);
    assertFamily(metrics, 'sse_event_store_wakeup_state', 'gauge', '1');
    assert.equal(sampleSum(metrics, 'sse_event_store_wakeup_state', { sse_event_store_wakeup_state: 'push' }), 1);
    assert.equal(sampleSum(metrics, 'sse_event_store_wakeup_state', { sse_event_store_wakeup_state: 'polling' }), 0);
  });
});

describe("GET /metrics on two sample instances sharing a Redis server of the test's own", () => {
  let redis: RedisServerProcess;
  let instanceA: SampleProcess;
  let instanceB: SampleProcess;

  before(async () => {
    redis = await startRedisServer();
    [instanceA, instanceB] = await Promise.all([
      SampleProcess.start({ redisUrl: redis.url }),
      SampleProcess.start({ redisUrl: redis.url }),
    ]);
  });

  after(async () => {
    await Promise.all([instanceA?.stop(), instanceB?.stop()]);
    await redis?.dispose();
  });

  test('an event written on A and delivered live on B: the delivery lag is recorded on B', TEST_TIMEOUT, async () => {
    const sessionId = `metrics-lag-${randomUUID()}`;
    const streamId = 'across';
    await publish(instanceA.url, sessionId, streamId, 'first');
    const readerOnB = new EventSourceClient(streamUrl(instanceB.url, sessionId, streamId, 'events'));
    try {
      await readerOnB.waitForMessages(1);
      await waitForValue(instanceB.url, 'sse_event_store_readers_active', (value) => value === 1);
      for (let n = 2; n <= 4; n++) {
        await publish(instanceA.url, sessionId, streamId, { n });
        await readerOnB.waitForMessages(n);
      }
      const onB = await readMetrics(instanceB.url);
      assertRecorded(onB.metrics, 'sse_event_store_delivery_lag');
      assert.ok(
        (sampleSum(onB.metrics, 'sse_event_store_events_delivered_total', { sse_event_store_delivery: 'live' }) ?? 0) >= 1,
        'B delivered live',
      );
      const onA = await readMetrics(instanceA.url);
      assert.equal(sampleSum(onA.metrics, 'sse_event_store_events_written_total'), 4, 'A wrote every event');
      assert.equal(sampleSum(onA.metrics, 'sse_event_store_events_delivered_total'), undefined, 'A delivered nothing');
      assertNoIds(onA.text + onB.text, [sessionId, streamId]);
    } finally {
      readerOnB.close();
    }
  });

  test('while Redis is down, a refused publish (503) is counted as an error of type SSE_STORE_UNAVAILABLE', TEST_TIMEOUT, async () => {
    await redis.shutdown({ save: false });
    const refused = await request('POST', streamUrl(instanceA.url, `metrics-down-${randomUUID()}`, 'lost', 'events'), '{"data":1}');
    assert.equal(refused.status, 503, refused.body);
    const { metrics } = await readMetrics(instanceA.url);
    assertFamily(metrics, 'sse_event_store_errors_total', 'counter', '{error}');
    assert.ok(
      (sampleSum(metrics, 'sse_event_store_errors_total', { error_type: 'SSE_STORE_UNAVAILABLE' }) ?? 0) >= 1,
      'the outage is counted',
    );
  });
});

import KeyvRedis, { createKeyv } from '@keyv/redis';
import { createCache } from 'cache-manager';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EdgeApp } from '../edge/edge-app';
import { delay, waitFor } from '../support/async';
import { REDIS_CONNECT_TIMEOUT_MS } from '../support/caches';
import { atWarnOrAbove, type CapturedLog } from '../support/capturing-logger';
import { RecordingEventSource } from '../support/recording-event-source';
import { startRedisServer } from '../support/redis-server';
import { WriterLoop } from '../support/writer-loop';

/**
 * A 20 s outage of the application's Redis (a server of the test's own, shut down and restarted)
 * while an EventSource client waits on a stream and a writer publishes to it every 200 ms, through
 * a real Nest app with the store's exception filter: the outage is told in a few lines, not one per
 * failed request or reconnection attempt. At most four lines at warn or above in all (the
 * storage's and the pub/sub subscriber's outage each starting), and each outage's end logged once
 * with its duration and what failed meanwhile.
 */

const OUTAGE_MS = 20_000;
const WRITE_INTERVAL_MS = 200;

const STORAGE_STARTED =
  /^Redis is not answering the event store \(.+\): its operations fail \(HTTP 503\) until it answers again; further failures are counted, not logged\.$/;
const STORAGE_ENDED = /^Redis answers the event store again after (\d+\.\d) s; (\d+) operation\(s\) failed meanwhile\.$/;
const PUBSUB_STARTED =
  /^Redis pub\/sub subscriber disconnected \(.+\): readers poll for new events until it reconnects; further errors are counted, not logged\.$/;
const PUBSUB_ENDED =
  /^Redis pub\/sub subscriber reconnected after (\d+\.\d) s \((\d+) error\(s\) meanwhile\): readers are woken by pushes again\.$/;

test('a 20 s Redis outage under a waiting reader and a writer every 200 ms: at most 4 lines at warn or above', {
  timeout: 120_000,
}, async (t) => {
  const server = await startRedisServer();
  const keyv = createKeyv(server.url, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
  await (keyv.store as KeyvRedis<unknown>).getClient();
  let app: EdgeApp | undefined;
  let reader: RecordingEventSource | undefined;
  let writer: WriterLoop | undefined;
  t.after(async () => {
    reader?.close();
    await writer?.stop();
    await app?.close();
    await (keyv.store as KeyvRedis<unknown>).disconnect(true).catch(() => undefined);
    await server.dispose();
  });

  app = await EdgeApp.start({
    platform: 'express',
    backend: 'redis',
    cache: createCache({ stores: [keyv] }),
    store: { operationTimeout: 500, pollingInterval: 200, retryInterval: 500 },
  });
  const address = { sessionId: 'outage-log', streamId: 'followed' };
  const url = app.streamUrl(address);
  writer = WriterLoop.start(url, { intervalMs: WRITE_INTERVAL_MS });
  await writer.waitForAcknowledged(1, 10_000);
  reader = new RecordingEventSource(url);
  await reader.waitForEvents(1, 10_000);
  const lines = (): CapturedLog[] => app!.logger.from('SseEventStore');
  const matching = (pattern: RegExp): string[] =>
    lines()
      .map((entry) => String(entry.message))
      .filter((message) => pattern.test(message));
  assert.deepEqual(atWarnOrAbove(app.logger.entries), [], 'nothing at warn or above before the outage');

  await server.shutdown({ save: true });
  await delay(OUTAGE_MS);
  await server.restart();
  const acknowledgedBefore = writer.acknowledged.length;
  await writer.waitForAcknowledged(acknowledgedBefore + 5, 30_000);
  await waitFor(
    () => matching(STORAGE_ENDED).length > 0 && matching(PUBSUB_ENDED).length > 0,
    'both outages to be logged as ended',
    30_000,
  );
  await writer.stop();

  const loud = atWarnOrAbove(app.logger.entries);
  t.diagnostic(JSON.stringify({ writes: writer.statusCounts(), loud, ended: [...matching(STORAGE_ENDED), ...matching(PUBSUB_ENDED)] }));
  assert.ok(writer.failed.length >= 10, `the writer felt the outage: ${JSON.stringify(writer.statusCounts())}`);
  assert.ok(loud.length <= 4, `at most 4 lines at warn or above: ${JSON.stringify(loud)}`);
  assert.equal(matching(STORAGE_STARTED).length, 1, 'the storage outage is warned about once');
  assert.equal(matching(PUBSUB_STARTED).length, 1, `the subscriber's outage is warned about once`);
  const storageEnded = matching(STORAGE_ENDED);
  assert.equal(storageEnded.length, 1, JSON.stringify(storageEnded));
  const [, storageSeconds, failedOperations] = STORAGE_ENDED.exec(storageEnded[0])!;
  // It started with the first failure after the shutdown and ended with the first success after the restart.
  assert.ok(Number(storageSeconds) >= (OUTAGE_MS - 5_000) / 1000, `the duration covers the outage: ${storageEnded[0]}`);
  assert.ok(Number(failedOperations) >= 10, `the failures in between are counted: ${storageEnded[0]}`);
  const pubSubEnded = matching(PUBSUB_ENDED);
  assert.equal(pubSubEnded.length, 1, JSON.stringify(pubSubEnded));
  assert.ok(Number(PUBSUB_ENDED.exec(pubSubEnded[0])![2]) >= 1, pubSubEnded[0]);
});

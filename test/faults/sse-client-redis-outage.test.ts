import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { BrowserEventSource, launchChromium } from '../support/browser-event-source';
import { checkDelivery, deliveryFaults, NO_DELIVERY_FAULTS } from '../support/delivery-check';
import { READY_STATE, RecordingEventSource } from '../support/recording-event-source';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import { streamUrl } from '../support/sample-client';
import { startSampleWith } from '../support/sample-env';
import type { SampleProcess } from '../support/sample-process';
import { completeWhenPossible, WriterLoop } from '../support/writer-loop';

/**
 * Real SSE clients follow a stream of the sample app (a real process, on a Redis server of the
 * test's own) while a writer publishes to it every ~100 ms, and Redis goes away for 10 s: shut
 * down and restarted on the same port (its AOF, fsynced on every write, brings the data back),
 * or frozen with SIGSTOP and thawed with SIGCONT. The clients are the `eventsource` package and
 * Chromium's own EventSource. What must hold: every event the writer was told was stored (201)
 * reaches every client exactly once, in order; events whose request failed may arrive or not,
 * but never twice or out of place; and no client gives up (readyState CLOSED) before the 204
 * that follows the stream's completion.
 *
 * The sample has no setting for the store's operation timeout: its default (5 s) bounds each
 * request made during the outage.
 */

const RETRY_MS = 500;
const OUTAGE_MS = 10_000;
/** The writer's pause between two requests. */
const WRITE_INTERVAL_MS = 100;
/** Bounds on waits that only turn a hang into a failure. */
const RECOVERY_TIMEOUT_MS = 60_000;
const CLOSE_TIMEOUT_MS = 30_000;

/** Redis with an append-only file written and fsynced before each write is answered. */
const AOF_ARGS = ['--appendonly', 'yes', '--appendfsync', 'always'];

interface Outage {
  /** Starts the outage; resolves once Redis is gone. */
  begin(server: RedisServerProcess): Promise<void>;
  /** Ends it; resolves once Redis answers again. */
  end(server: RedisServerProcess): Promise<void>;
}

async function redisPid(server: RedisServerProcess): Promise<number> {
  const info = await server.command(['INFO', 'server']);
  const match = /process_id:(\d+)/.exec(info);
  assert.ok(match, `INFO server names the process id: ${info.slice(0, 200)}`);
  return Number(match[1]);
}

const OUTAGES: Record<string, Outage> = {
  'SHUTDOWN NOSAVE, restarted on the same port 10 s later': {
    begin: (server) => server.shutdown({ save: false }),
    end: (server) => server.restart(),
  },
  'SIGSTOP for 10 s, then SIGCONT': {
    async begin(server) {
      process.kill(await redisPid(server), 'SIGSTOP');
    },
    async end(server) {
      process.kill(await redisPidWhileStopped(server), 'SIGCONT');
      assert.match(await server.command(['PING'], 10_000), /^\+PONG/);
    },
  },
};

/** The pid read before the stop (a stopped server answers no INFO). */
const stoppedPids = new WeakMap<RedisServerProcess, number>();
async function redisPidWhileStopped(server: RedisServerProcess): Promise<number> {
  const pid = stoppedPids.get(server);
  assert.ok(pid, 'the pid was read before the server was stopped');
  return pid;
}

describe('real EventSource clients through a 10 s Redis outage', () => {
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  for (const [name, outage] of Object.entries(OUTAGES)) {
    test(`${name}: every acknowledged event once, in order, and no client closes before the final 204`, { timeout: 150_000 }, async (t) => {
      await runOutage(t, browser, outage);
    });
  }
});

async function runOutage(t: TestContext, browser: Browser, outage: Outage): Promise<void> {
  const server = await startRedisServer({ args: AOF_ARGS });
  stoppedPids.set(server, await redisPid(server));
  let app: SampleProcess | undefined;
  let nodeClient: RecordingEventSource | undefined;
  let browserClient: BrowserEventSource | undefined;
  let writer: WriterLoop | undefined;
  t.after(async () => {
    nodeClient?.close();
    await browserClient?.close().catch(() => undefined);
    await writer?.stop();
    // A stopped server would keep the sample's shutdown waiting; SIGKILL ends it either way.
    try {
      process.kill(stoppedPids.get(server)!, 'SIGCONT');
    } catch {
      // not running
    }
    await app?.stop();
    await server.dispose();
  });

  app = await startSampleWith({ redisUrl: server.url }, { SSE_RETRY_MS: RETRY_MS });
  const sessionId = `outage-${randomUUID()}`;
  const streamId = 'followed';
  const eventsUrl = streamUrl(app.url, sessionId, streamId, 'events');
  const streamPath = new URL(eventsUrl).pathname;

  writer = WriterLoop.start(eventsUrl, { intervalMs: WRITE_INTERVAL_MS });
  await writer.waitForAcknowledged(1, 10_000);
  nodeClient = new RecordingEventSource(eventsUrl);
  browserClient = await BrowserEventSource.open(browser, `${app.url}/`, streamPath);
  await nodeClient.waitForEvents(1, 10_000);
  await browserClient.waitFor((record) => record.events.length >= 1, 'the first event in Chromium', 10_000);
  await writer.waitForAcknowledged(15, 10_000);

  const outageStarted = Date.now();
  await outage.begin(server);
  await delay(OUTAGE_MS);
  await outage.end(server);
  const outageEnded = Date.now();

  // The writer is acknowledged again, and the clients follow.
  await writer.waitForAcknowledged(20, RECOVERY_TIMEOUT_MS);
  await writer.stop();
  const completedAt = Date.now();
  const completeTries = await completeWhenPossible(streamUrl(app.url, sessionId, streamId, 'complete'), RECOVERY_TIMEOUT_MS);
  await nodeClient.waitUntilClosed(CLOSE_TIMEOUT_MS);
  const browserRecord = await browserClient.waitFor(
    (record) => record.readyState === READY_STATE.CLOSED,
    'Chromium to close',
    CLOSE_TIMEOUT_MS,
  );
  // The page closes as the last answer arrives; what the browser reports of it comes a moment later.
  await browserClient.settled();

  const attempts = writer.attempts;
  const acknowledged = writer.acknowledged;
  const failed = writer.failed;
  const nodeDelivery = checkDelivery(nodeClient.events, attempts);
  const browserDelivery = checkDelivery(browserRecord.events, attempts);
  const nodeStatuses = nodeClient.requests.map((request) => request.status ?? request.end);
  const browserStatuses = browserClient.requests.map((request) => request.status ?? request.failure);
  t.diagnostic(
    JSON.stringify({
      writes: {
        attempts: attempts.length,
        acknowledged: acknowledged.length,
        statuses: writer.statusCounts(),
        outageMs: outageEnded - outageStarted,
        // Requests that overlapped the outage: when they started (ms after its start), how long they took.
        aroundOutage: attempts
          .filter((attempt) => attempt.endedAt! >= outageStarted && attempt.startedAt <= outageEnded)
          .map(
            (attempt) =>
              `n=${attempt.n} ${attempt.status ?? 'none'} at ${attempt.startedAt - outageStarted} ms took ${attempt.endedAt! - attempt.startedAt} ms`,
          ),
      },
      completeTries,
      eventsource: {
        ...nodeDelivery,
        storedThoughFailed: nodeDelivery.storedThoughFailed.length,
        requests: nodeClient.requests.length,
        opens: nodeClient.opens,
        // 200s that ended with no event: the store was away when the client came back.
        emptyAnswers: nodeClient.requests.filter((request) => request.status === 200 && request.events === 0).length,
        statuses: countOf(nodeStatuses),
        closings: nodeClient.closings.length,
        socketErrors: nodeClient.socketErrors,
      },
      chromium: {
        ...browserDelivery,
        storedThoughFailed: browserDelivery.storedThoughFailed.length,
        requests: browserClient.requests.length,
        opens: browserRecord.opens,
        statuses: countOf(browserStatuses),
        closings: browserRecord.errors.filter((error) => error.readyState === READY_STATE.CLOSED).length,
      },
    }),
  );

  // The outage was felt by the writer, and writing went on on both sides of it.
  assert.ok(failed.length >= 1, `some publish request failed during the outage: ${JSON.stringify(writer.statusCounts())}`);
  for (const attempt of failed) {
    assert.equal(attempt.status, 503, `a publish request during the outage answered ${attempt.status ?? 'nothing'}: ${attempt.failure}`);
    assert.ok(
      attempt.endedAt! >= outageStarted && attempt.startedAt <= outageEnded + RECOVERY_TIMEOUT_MS,
      `failure n=${attempt.n} falls around the outage`,
    );
  }
  assert.ok(
    acknowledged.some(({ n }) => attempts[n - 1].endedAt! < outageStarted),
    'events were acknowledged before the outage',
  );
  assert.ok(
    acknowledged.some(({ n }) => attempts[n - 1].startedAt > outageEnded),
    'events were acknowledged after the outage',
  );

  // Every acknowledged event exactly once, in order, with its id; nothing else but failed ones.
  assert.deepEqual(deliveryFaults(nodeDelivery), NO_DELIVERY_FAULTS, 'eventsource package');
  assert.deepEqual(deliveryFaults(browserDelivery), NO_DELIVERY_FAULTS, 'Chromium');
  assert.deepEqual(
    nodeClient.events.map((event) => event.id),
    browserRecord.events.map((event) => event.id),
    'both clients received the same events',
  );

  // Never CLOSED before the end: the only closing is the last error, a 204, after the completion.
  assert.equal(nodeClient.closings.length, 1, `eventsource closed once: ${nodeClient.summary()}`);
  assert.equal(nodeClient.errors.at(-1), nodeClient.closings[0], 'the closing was the last error event');
  assert.equal(nodeClient.closings[0].code, 204, `eventsource closed on a 204: ${JSON.stringify(nodeClient.closings[0])}`);
  assert.ok(nodeClient.closings[0].at >= completedAt, 'eventsource closed only after the stream was completed');
  assert.deepEqual(nodeClient.socketErrors, [], 'no connection of the eventsource client broke');
  assert.equal(nodeClient.requests.at(-1)!.status, 204);
  assert.deepEqual(
    nodeClient.requests.slice(0, -1).filter((request) => request.status !== 200),
    [],
    'every request but the last was answered 200',
  );

  const browserClosings = browserRecord.errors.filter((error) => error.readyState === READY_STATE.CLOSED);
  assert.equal(browserClosings.length, 1, `Chromium closed once: ${JSON.stringify(browserRecord.errors)}`);
  assert.equal(browserRecord.errors.at(-1)!.readyState, READY_STATE.CLOSED, 'the closing was the last error event');
  assert.ok(browserClosings[0].at >= completedAt, 'Chromium closed only after the stream was completed');
  assert.equal(
    browserClient.requests.at(-1)!.status,
    204,
    `Chromium's last request was answered 204: ${JSON.stringify(browserClient.requests)}`,
  );
  assert.deepEqual(
    browserClient.requests.slice(0, -1).filter((request) => request.status !== 200 || request.failure !== undefined),
    [],
    'every request of Chromium but the last was answered 200, and none failed',
  );
}

function countOf(values: readonly unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

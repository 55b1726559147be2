import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FailoverTcpFront } from '../support/failover-tcp-front';
import { RecordingEventSource } from '../support/recording-event-source';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import { publish, streamUrl } from '../support/sample-client';
import { startSampleWith } from '../support/sample-env';
import type { SampleProcess } from '../support/sample-process';
import { completeWhenPossible } from '../support/writer-loop';

/**
 * A rolling restart as clients see it: two sample instances (real processes) on one Redis, 200
 * clients of the `eventsource` package, 100 on each, following 20 streams that are published to
 * through the second instance, and the first instance stopped with SIGTERM (which the sample
 * turns into `app.close()`). Each group of clients reaches its instance through a TCP front, as a
 * load balancer: the first instance's front sends new connections to the second one once the
 * first stops listening. A graceful shutdown must end every response cleanly: no client sees a
 * reset or a broken response, every client reconnects with its last id and ends, after the
 * completion of its stream, with exactly the published events of its stream, once each, in order.
 */

const RETRY_MS = 500;
const STREAMS = 20;
const CLIENTS_PER_INSTANCE = 100;
/** Every tick publishes one event on each of this many streams, in turn: each stream gets one every 200 ms. */
const TICK_MS = 50;
const STREAMS_PER_TICK = 5;
/** Publishing goes on this long before the SIGTERM, and this long after the instance exited. */
const BEFORE_STOP_MS = 2_000;
const AFTER_STOP_MS = 3_000;
/** Bounds on waits that only turn a hang into a failure. */
const CONNECT_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 60_000;

interface PublishRecord {
  ids: string[];
  failures: string[];
}

/** Publishes `{ s, n }` on every stream in turn through `baseUrl` until stopped; one request at a time per stream. */
function startPublisher(baseUrl: string, sessionId: string, published: PublishRecord[]): { stop(): Promise<void> } {
  let stopping = false;
  const inFlight = new Set<Promise<void>>();
  const busy = new Set<number>();
  let next = 0;
  const loop = (async () => {
    while (!stopping) {
      for (let k = 0; k < STREAMS_PER_TICK; k++) {
        const s = next;
        next = (next + 1) % STREAMS;
        // Never two requests on one stream at once: the acknowledged order is the stream's order.
        if (busy.has(s)) continue;
        busy.add(s);
        const record = published[s];
        const request = publish(baseUrl, sessionId, `s${s}`, { s, n: record.ids.length + record.failures.length })
          .then(
            (event) => void record.ids.push(event.id),
            (error: unknown) => void record.failures.push(String(error)),
          )
          .finally(() => {
            busy.delete(s);
            inFlight.delete(request);
          });
        inFlight.add(request);
      }
      await delay(TICK_MS);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      await Promise.all(inFlight);
    },
  };
}

test('SIGTERM of one of two instances under 200 EventSource clients: no reset, every client resumes and ends with its stream once, in order', {
  timeout: 170_000,
}, async (t) => {
  let server: RedisServerProcess | undefined;
  let instances: SampleProcess[] = [];
  let fronts: FailoverTcpFront[] = [];
  const clients: { source: RecordingEventSource; instance: number; stream: number }[] = [];
  t.after(async () => {
    for (const client of clients) client.source.close();
    await Promise.all(fronts.map((front) => front.close()));
    await Promise.all(instances.map((instance) => instance.stop()));
    await server?.dispose();
  });

  server = await startRedisServer();
  instances = await Promise.all([0, 1].map(() => startSampleWith({ redisUrl: server!.url }, { SSE_RETRY_MS: RETRY_MS })));
  const [stopped, survivor] = instances;
  fronts = await Promise.all([FailoverTcpFront.start([stopped.port, survivor.port]), FailoverTcpFront.start([survivor.port])]);

  const sessionId = `graceful-${randomUUID()}`;
  const published: PublishRecord[] = Array.from({ length: STREAMS }, () => ({ ids: [], failures: [] }));
  // Every stream exists before its clients connect.
  for (let s = 0; s < STREAMS; s++) published[s].ids.push((await publish(survivor.url, sessionId, `s${s}`, { s, n: 0 })).id);

  for (let instance = 0; instance < 2; instance++) {
    for (let index = 0; index < CLIENTS_PER_INSTANCE; index++) {
      const stream = index % STREAMS;
      clients.push({
        source: new RecordingEventSource(streamUrl(fronts[instance].url, sessionId, `s${stream}`, 'events')),
        instance,
        stream,
      });
    }
  }
  await Promise.all(clients.map(({ source }) => source.waitForEvents(1, CONNECT_TIMEOUT_MS)));
  assert.deepEqual(
    fronts.map((front) => front.connectionsPerTarget),
    [[CLIENTS_PER_INSTANCE, 0], [CLIENTS_PER_INSTANCE]],
    'each client connected to its instance',
  );

  const publisher = startPublisher(survivor.url, sessionId, published);
  await delay(BEFORE_STOP_MS);
  const sigtermAt = Date.now();
  // SIGTERM, and SIGKILL if it has not exited 10 s later (which fails the exit check below).
  const exit = await stopped.stop();
  const exitedAt = Date.now();
  await delay(AFTER_STOP_MS);
  await publisher.stop();

  const completedAt = Date.now();
  for (let s = 0; s < STREAMS; s++) await completeWhenPossible(streamUrl(survivor.url, sessionId, `s${s}`, 'complete'), 10_000);
  const closing = await Promise.allSettled(clients.map(({ source }) => source.waitUntilClosed(CLOSE_TIMEOUT_MS)));

  // Figures.
  const onStopped = clients.filter((client) => client.instance === 0);
  const exact = (client: (typeof clients)[number]): boolean => {
    const expected = published[client.stream].ids;
    const got = client.source.events.map((event) => event.id);
    return got.length === expected.length && got.every((id, at) => id === expected[at]);
  };
  const duplicates = clients.reduce(
    (sum, { source }) => sum + source.events.length - new Set(source.events.map((event) => event.id)).size,
    0,
  );
  const socketErrors = clients.flatMap(({ source }) => source.socketErrors);
  const requests = clients.flatMap(({ source }) => source.requests);
  const statuses: Record<string, number> = {};
  for (const request of requests) statuses[String(request.status)] = (statuses[String(request.status)] ?? 0) + 1;
  const ends: Record<string, number> = {};
  for (const request of requests) ends[String(request.end)] = (ends[String(request.end)] ?? 0) + 1;
  const requestsOf = (group: typeof clients): Record<number, number> => {
    const histogram: Record<number, number> = {};
    for (const { source } of group) histogram[source.requests.length] = (histogram[source.requests.length] ?? 0) + 1;
    return histogram;
  };
  t.diagnostic(
    JSON.stringify({
      exit,
      shutdownMs: exitedAt - sigtermAt,
      published: published.reduce((sum, record) => sum + record.ids.length, 0),
      publishFailures: published.reduce((sum, record) => sum + record.failures.length, 0),
      delivered: clients.reduce((sum, { source }) => sum + source.events.length, 0),
      exactClients: clients.filter(exact).length,
      duplicates,
      socketErrors: socketErrors.length,
      frontUpstreamErrors: fronts.map((front) => front.upstreamErrors.length),
      frontConnections: fronts.map((front) => front.connectionsPerTarget),
      frontRefusals: fronts.map((front) => front.refusals),
      unrouted: fronts.map((front) => front.unrouted),
      statuses,
      // How the responses ended: `failed` ones broke off (closed mid-body, or reset).
      ends,
      requestsPerClient: { stopped: requestsOf(onStopped), survivor: requestsOf(clients.filter((client) => client.instance === 1)) },
      emptyAnswersOnStopped: onStopped.reduce(
        (sum, { source }) => sum + source.requests.filter((r) => r.status === 200 && r.events === 0 && r.at < completedAt).length,
        0,
      ),
      closings: clients.reduce((sum, { source }) => sum + source.closings.length, 0),
    }),
  );

  assert.ok(exit.code === 0 || exit.signal === 'SIGTERM', `the instance exited on its own after SIGTERM: ${JSON.stringify(exit)}`);
  assert.deepEqual(
    published.flatMap((record) => record.failures),
    [],
    'every publish through the surviving instance was acknowledged',
  );
  for (const record of published) assert.ok(record.ids.length > 10, 'every stream was published to before and after the SIGTERM');

  // Every client closed once, on the 204 after the completion of its stream.
  assert.deepEqual(
    closing.flatMap((outcome, index) => (outcome.status === 'rejected' ? [`client ${index}: ${String(outcome.reason)}`] : [])),
    [],
    'every client reached the end of its stream',
  );
  for (const [index, { source }] of clients.entries()) {
    assert.equal(source.closings.length, 1, `client ${index} closed once: ${source.summary()}`);
    assert.equal(source.closings[0].code, 204, `client ${index} closed on a 204`);
    assert.ok(source.closings[0].at >= completedAt, `client ${index} closed only after its stream was completed`);
  }

  // The first instance's clients were moved: they reconnected with their last id after it exited, and were served.
  assert.ok(
    fronts[0].connectionsPerTarget[1] >= CLIENTS_PER_INSTANCE,
    `the first front sent reconnections to the survivor: ${JSON.stringify(fronts[0].connectionsPerTarget)}`,
  );
  for (const [index, { source }] of onStopped.entries()) {
    const resumed = source.requests.filter(
      (request) => request.at >= sigtermAt && request.at < completedAt && request.status === 200 && request.lastEventId !== null,
    );
    assert.ok(resumed.length >= 1, `client ${index} of the stopped instance resumed with Last-Event-ID: ${source.summary()}`);
  }

  // Exactly the published events of its stream, once each, in order.
  assert.equal(duplicates, 0, 'no event twice');
  assert.deepEqual(
    clients
      .filter((client) => !exact(client))
      .map(({ source, stream }) => `stream ${stream}: ${source.events.length} of ${published[stream].ids.length}`),
    [],
    'every client received exactly the published events of its stream, in order',
  );

  // The shutdown was graceful: no reset, and every response of the stopped instance ended (its
  // chunked body complete) instead of breaking off, on either side of the fronts.
  assert.deepEqual(
    fronts.map((front) => front.upstreamErrors),
    [[], []],
    'no instance reset a connection',
  );
  assert.deepEqual(
    fronts.map((front) => front.unrouted),
    [0, 0],
  );
  const brokenOnStopped = onStopped.filter(({ source }) =>
    source.requests.some((request) => request.at < sigtermAt && request.end !== 'ended'),
  );
  assert.equal(
    brokenOnStopped.length,
    0,
    `responses of the stopped instance that broke off instead of ending: ${brokenOnStopped[0]?.source.summary()}`,
  );
  assert.deepEqual(socketErrors, [], 'no client saw a reset or a broken response');
});

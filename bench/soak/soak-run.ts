import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { complete, deleteSession } from '../../test/support/sample-client';
import type { SampleProcess } from '../../test/support/sample-process';
import { startSampleWith } from '../../test/support/sample-env';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { REDIS_URL } from '../support/redis';
import { now } from '../support/timing';
import { ClientFleet } from './client-fleet';
import type { DeliverySamples, SoakClientSpec } from './client-fleet-protocol';
import { SoakPublisher } from './soak-publisher';
import { type LoopDelayWindow, readInstanceProbe, removeInstanceProbe, startLoopDelayProbe } from './loop-delay-probe';
import { ProcessSampler, readRss } from './process-sampler';
import type { ReconnectPolicy, SoakClientRecord, SoakEventData } from './soak-client';
import {
  type KillWindow,
  type LatencySecond,
  type LatencySummary,
  type LoopDelaySummary,
  inWindow,
  summariseLatencies,
  summariseLatency,
  summariseLoopDelay,
} from './soak-latency';

export interface SoakOptions {
  /** SSE clients, spread evenly over the streams and, per stream, over both instances. */
  clients: number;
  streams: number;
  /** Seconds of publishing, from the moment every client is connected. */
  durationSeconds: number;
  /** Events published per second, all streams together. */
  rate: number;
  /** Seconds into the publishing when the second instance is killed (SIGKILL). */
  killAtSeconds: number;
  /** How long the killed instance stays down before it is started again on the same port. */
  restartDelayMs: number;
  /**
   * The instances' `retry:` (the sample's `SSE_RETRY_MS`). A client waits what its last response
   * sent before it reconnects, as `EventSource` does, so any spread comes from the server.
   */
  retryMs: number;
  /** The instances' `retryJitter` (the sample's `SSE_RETRY_JITTER`); `undefined` keeps the library's default. */
  retryJitter?: number;
  /** How long, after the streams are completed, the clients get to reach their end. */
  drainTimeoutMs: number;
  /** Processes the clients are spread over (besides the one that publishes). */
  clientProcesses: number;
  /**
   * Further clients, each on a stream of its own that gets no event but its first, connected
   * after the active ones and before the publishing, half on each instance: what an idle
   * connection costs an instance. They go through the kill and the end like the others.
   */
  idleClients: number;
  redisUrl: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export const FULL_SOAK: Omit<SoakOptions, 'log'> = {
  clients: 1_000,
  streams: 100,
  durationSeconds: 60,
  rate: 500,
  killAtSeconds: 30,
  restartDelayMs: 1_000,
  // The library's: what a deployment's clients wait.
  retryMs: DEFAULT_SSE_EVENT_STORE_OPTIONS.retryInterval,
  drainTimeoutMs: 60_000,
  clientProcesses: 2,
  idleClients: 0,
  redisUrl: REDIS_URL,
};

export type { LatencySummary };

export interface ClientOutcome {
  index: number;
  stream: number;
  policy: ReconnectPolicy;
  done: boolean;
  failure?: string;
  receivedIds: string[];
}

export interface SoakResult {
  options: Omit<SoakOptions, 'log' | 'redisUrl'>;
  /** Seconds the publishers ran. */
  publishSeconds: number;
  published: number;
  publishFailures: string[];
  /** Publish requests sent again after the reset of a reused kept-alive connection (see `SoakPublisher`). */
  publishesResent: number;
  /** Ids acknowledged per stream, in publishing order. */
  publishedIds: string[][];
  /** Messages received by all clients, whatever they were. */
  delivered: number;
  /** Events held at the end: received exactly once and in order, summed over the clients. */
  held: number;
  /** Events every client should hold at the end (each client's stream's acknowledged events). */
  expected: number;
  lost: number;
  duplicated: number;
  reordered: number;
  /** Messages that were not an acknowledged event of the client's stream. */
  unexpected: number;
  /** Clients whose received ids are not exactly their stream's acknowledged ids. */
  inexactClients: number;
  clientsDone: number;
  clientFailures: string[];
  /** Connections opened after a client's first one. */
  reconnects: number;
  /** Connections broken (the killed instance's readers), refused (no answer or 5xx), or ended by the server before the stream's end. */
  broken: number;
  refused: number;
  endedEarly: number;
  /** Resumptions (Last-Event-ID) served by the instance that was not killed, and by the restarted one. */
  resumedOnSurvivor: number;
  resumedOnRestarted: number;
  /**
   * Publish request sent → message received: every delivery, and the live ones (not replayed: the
   * event was published after the connection it came on opened).
   */
  latency: LatencySummary;
  liveLatency: LatencySummary;
  /** Live deliveries of the events published outside the kill window, and inside it. */
  liveLatencySteady: LatencySummary;
  liveLatencyKillWindow: LatencySummary;
  /** Publish request sent → its answer received, for the events published outside the kill window. */
  publishLatencySteady: LatencySummary;
  /** The kill window in seconds since the publishing started: from the kill until the last client it disconnected got live events again. */
  killWindowSeconds: { from: number; to: number };
  /** Live latency of the events published in each second of the publishing. */
  liveLatencyBySecond: LatencySecond[];
  /** Peak RSS (MiB) of the instance that ran throughout, the killed one until its kill, and its restart; `driver` is the publishing process. */
  peakRssMiB: { survivor?: number; killed?: number; restarted?: number; driver: number };
  /** CPU seconds (user + system) used by the same processes over the whole run. */
  cpuSeconds: { survivor?: number; killed?: number; restarted?: number; driver: number };
  /** Peak RSS (MiB) and CPU seconds of each client process. */
  clientProcesses: { peakRssMiB?: number; cpuSeconds?: number }[];
  /** Event-loop delay and CPU share of each process over the publishing (per-second windows). */
  loopDelay: {
    survivor?: LoopDelaySummary;
    killed?: LoopDelaySummary;
    restarted?: LoopDelaySummary;
    driver?: LoopDelaySummary;
    clientProcesses: (LoopDelaySummary | undefined)[];
  };
  /** With idle clients: each instance's RSS before and after they connected, and the difference per idle connection. */
  idle?: IdleConnectionCost;
  /** ms from SIGKILL until the restarted instance listened. */
  downtimeMs: number;
  clients: ClientOutcome[];
}

/** What the idle connections cost the instances, measured before the publishing starts. */
export interface IdleConnectionCost {
  clients: number;
  /** Per instance: RSS (MiB) with only the active clients connected, and with the idle ones too. */
  rssBeforeMiB: (number | undefined)[];
  rssAfterMiB: (number | undefined)[];
  /** Per instance: RSS growth divided by the idle connections it took (KiB), and the mean of both. */
  perConnectionKiB: (number | undefined)[];
  meanPerConnectionKiB?: number;
}

const SURVIVOR = 0;
const KILLED = 1;
/** Requests in flight at a time while streams are created, completed or deleted in bulk. */
const BULK_CONCURRENCY = 50;
/** How long the instances get to settle before their RSS is read for the idle figures. */
const SETTLE_MS = 2_000;
/** Preloaded into each instance: prints its event-loop delay per second. */
const INSTANCE_PROBE = path.join(__dirname, 'instance-probe.js');

/**
 * The soak: two sample instances sharing Redis, `clients` SSE readers spread over `streams`
 * streams and both instances, events published at a steady rate for `durationSeconds`, and the
 * second instance killed with SIGKILL at `killAtSeconds` and started again on its port. Then
 * every stream is completed and every client must end holding exactly its stream's acknowledged
 * events, in order. Resolves with the figures; rejects only when the run could not be set up.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  validate(options);
  await checkDescriptorLimit(options.clients + options.idleClients);
  // Fresh session ids keep runs apart in the shared Redis (the instances' key prefix is per process too).
  const runId = randomUUID().slice(0, 8);
  const sessionOf = (stream: number): string => `soak-${runId}-${stream}`;
  const streamId = 'feed';
  // Streams 0 to streams-1 are published to; after them, one stream of its own per idle client.
  const streamCount = options.streams + options.idleClients;

  const sampler = new ProcessSampler();
  const instances: SampleProcess[] = [];
  /** The instance killed, once it is. */
  let killedProcess: SampleProcess | undefined;
  const generations = [0, 0];
  const driverLoop: LoopDelayWindow[] = [];
  const stopDriverProbe = startLoopDelayProbe((window) => driverLoop.push(window));
  const publisher = new SoakPublisher();
  const fleet = ClientFleet.start(options.clientProcesses);
  for (const [at, pid] of fleet.pids.entries()) sampler.watch(`clients-${at}`, pid);
  let fleetEnded = false;
  try {
    // The killed instance comes back on its port, which a port picked by the system could meanwhile
    // be lent to as the local end of one of the clients' new connections: take one outside that range.
    const restartablePort = await freePortOutsideEphemeralRange();
    const startInstance = (port: number): Promise<SampleProcess> =>
      startSampleWith(
        { port, redisUrl: options.redisUrl, nodeArguments: ['--require', INSTANCE_PROBE] },
        { SSE_RETRY_MS: options.retryMs, SSE_RETRY_JITTER: options.retryJitter },
      );
    instances.push(...(await Promise.all([0, restartablePort].map(startInstance))));
    sampler.watch('survivor', instances[SURVIVOR].pid);
    sampler.watch('killed', instances[KILLED].pid);
    const baseUrls = instances.map((instance) => instance.url);
    log(`instances on ${baseUrls.join(' and ')}; ${options.clientProcesses} client processes`);

    // Publishing: each stream through its home instance, except while the killed one is away.
    const homeOf = (stream: number): number => stream % 2;
    let killedAvailable = true;
    const inFlight = [0, 0];
    const publishedIds: string[][] = Array.from({ length: streamCount }, () => []);
    const publishFailures: string[] = [];
    let published = 0;
    const publishTimes = { sentAt: [] as number[], latencyMs: [] as number[] };

    const publishOne = async (stream: number): Promise<void> => {
      const target = homeOf(stream) === KILLED && !killedAvailable ? SURVIVOR : homeOf(stream);
      const data: SoakEventData = { s: stream, n: publishedIds[stream].length, t: now() };
      inFlight[target]++;
      try {
        const id = await publisher.publish(instances[target].url, sessionOf(stream), streamId, data);
        publishedIds[stream].push(id);
        published++;
        publishTimes.sentAt.push(data.t);
        publishTimes.latencyMs.push(now() - data.t);
      } catch (error) {
        // Not counted as published; a client holding it shows up as `unexpected`.
        publishFailures.push(`stream ${stream}, event ${data.n}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        inFlight[target]--;
      }
    };

    // Every stream exists before its readers connect (an unknown stream is a 404).
    await inBatches(streamCount, BULK_CONCURRENCY, publishOne);

    // The rank-th client of a stream: they alternate between the instances and, in pairs, between the policies.
    const clientSpec = (index: number, stream: number, rank: number): SoakClientSpec => {
      const policy: ReconnectPolicy = Math.floor(rank / 2) % 2 === 0 ? 'failover' : 'sticky';
      return { index, stream, sessionId: sessionOf(stream), streamId, instance: rank % 2, policy };
    };
    const specs = Array.from({ length: options.clients }, (_, index) =>
      clientSpec(index, index % options.streams, Math.floor(index / options.streams)),
    );
    await fleet.connect(baseUrls, options.retryMs, specs);
    log(`${options.clients} clients connected`);

    let idle: IdleConnectionCost | undefined;
    if (options.idleClients > 0) {
      await delay(SETTLE_MS);
      const rssBefore = await Promise.all(instances.map((instance) => readRss(instance.pid)));
      const idleSpecs = Array.from({ length: options.idleClients }, (_, at) => clientSpec(options.clients + at, options.streams + at, at));
      await fleet.connect(baseUrls, options.retryMs, idleSpecs);
      await delay(SETTLE_MS);
      const rssAfter = await Promise.all(instances.map((instance) => readRss(instance.pid)));
      idle = idleConnectionCost(options.idleClients, rssBefore, rssAfter);
      log(`${options.idleClients} idle clients connected: ${idle.meanPerConnectionKiB?.toFixed(1)} KiB of instance RSS each`);
    }

    const started = now();
    const publishEnd = started + options.durationSeconds * 1_000;
    const intervalMs = (options.streams / options.rate) * 1_000;
    const publishers = Array.from({ length: options.streams }, async (_, stream) => {
      // Each stream at a steady pace, the streams' phases spread over one interval.
      for (let tick = 1; ; tick++) {
        const due = started + (stream / options.streams + tick - 1) * intervalMs;
        // A publisher that falls behind (a saturated machine) sends at once but never past the end.
        if (due >= publishEnd || now() >= publishEnd) return;
        if (due > now()) await delay(due - now());
        await publishOne(stream);
      }
    });

    let downtimeMs = Number.NaN;
    let killedAt = Number.NaN;
    const killAndRestart = (async () => {
      await delay(Math.max(0, started + options.killAtSeconds * 1_000 - now()));
      // No publish request may be in flight to the instance when it dies: its outcome would be unknown.
      killedAvailable = false;
      await waitUntil(() => inFlight[KILLED] === 0, 30_000);
      await sampler.release('killed');
      killedAt = now();
      await instances[KILLED].kill('SIGKILL');
      killedProcess = instances[KILLED];
      // From here on, whatever answers on the instance's port is the restarted process.
      generations[KILLED]++;
      fleet.setGeneration(KILLED, generations[KILLED]);
      log(`killed instance 2 at ${((killedAt - started) / 1_000).toFixed(1)} s`);
      await delay(options.restartDelayMs);
      const port = instances[KILLED].port;
      instances[KILLED] = await startInstance(port);
      downtimeMs = now() - killedAt;
      sampler.watch('restarted', instances[KILLED].pid);
      killedAvailable = true;
      log(`instance 2 listening again after ${(downtimeMs / 1_000).toFixed(1)} s`);
    })();

    await Promise.all(publishers);
    const publishedAt = now();
    const publishSeconds = (publishedAt - started) / 1_000;
    await killAndRestart;
    log(`published ${published} events in ${publishSeconds.toFixed(1)} s; completing the streams`);

    await fleet.completing(Object.fromEntries(publishedIds.map((ids, stream) => [stream, ids.at(-1)])));
    await inBatches(streamCount, BULK_CONCURRENCY, (stream) => complete(instances[homeOf(stream)].url, sessionOf(stream), streamId));
    const drainDeadline = setTimeout(() => fleet.stop(), options.drainTimeoutMs);
    const reports = await fleet.ended();
    fleetEnded = true;
    clearTimeout(drainDeadline);
    log(`clients ended`);

    await Promise.all([
      sampler.release('survivor'),
      sampler.release('restarted'),
      ...fleet.pids.map((_, at) => sampler.release(`clients-${at}`)),
    ]);
    stopDriverProbe();
    const clients = reports.flatMap((report) => report.clients).sort((a, b) => a.index - b.index);
    const killWindow: KillWindow = { from: killedAt, to: recoveredAt(clients, killedAt + downtimeMs) };
    const loopOf = (windows: readonly LoopDelayWindow[]): LoopDelaySummary | undefined =>
      summariseLoopDelay(windows, started, publishedAt, killWindow);
    const usage = process.cpuUsage();
    const figures: Measured = {
      publishStartedAt: started,
      publishEndedAt: publishedAt,
      killWindow,
      deliveries: reports.map((report) => report.deliveries),
      publishLatencySteady: summariseLatency(
        publishTimes.latencyMs.filter((_, at) => publishTimes.sentAt[at] >= started && !inWindow(publishTimes.sentAt[at], killWindow)),
      ),
      peakRssMiB: {
        survivor: mib(sampler.peak('survivor')),
        killed: mib(sampler.peak('killed')),
        restarted: mib(sampler.peak('restarted')),
        driver: mib(process.resourceUsage().maxRSS * 1_024)!,
      },
      cpuSeconds: {
        survivor: sampler.cpuSeconds('survivor'),
        killed: sampler.cpuSeconds('killed'),
        restarted: sampler.cpuSeconds('restarted'),
        driver: (usage.user + usage.system) / 1e6,
      },
      clientProcesses: fleet.pids.map((_, at) => ({
        peakRssMiB: mib(sampler.peak(`clients-${at}`)),
        cpuSeconds: sampler.cpuSeconds(`clients-${at}`),
      })),
      loopDelay: {
        survivor: loopOf(await readInstanceProbe(instances[SURVIVOR].pid)),
        killed: killedProcess && loopOf(await readInstanceProbe(killedProcess.pid)),
        restarted: loopOf(await readInstanceProbe(instances[KILLED].pid)),
        driver: loopOf(driverLoop),
        clientProcesses: reports.map((report) => loopOf(report.loopDelay)),
      },
      idle,
      downtimeMs,
      publishesResent: publisher.resent,
    };
    await inBatches(streamCount, BULK_CONCURRENCY, (stream) =>
      deleteSession(instances[SURVIVOR].url, sessionOf(stream)).catch(() => undefined),
    );

    return summarise(options, clients, publishedIds, publishFailures, published, publishSeconds, figures);
  } finally {
    stopDriverProbe();
    publisher.close();
    if (!fleetEnded) fleet.kill();
    sampler.stop();
    await Promise.all(instances.map((instance) => instance.stop()));
    await Promise.all([...instances, ...(killedProcess ? [killedProcess] : [])].map((instance) => removeInstanceProbe(instance.pid)));
  }
}

/** What the run measured besides the clients' outcomes. */
interface Measured {
  publishStartedAt: number;
  publishEndedAt: number;
  killWindow: KillWindow;
  deliveries: DeliverySamples[];
  publishLatencySteady: LatencySummary;
  peakRssMiB: SoakResult['peakRssMiB'];
  cpuSeconds: SoakResult['cpuSeconds'];
  clientProcesses: SoakResult['clientProcesses'];
  loopDelay: SoakResult['loopDelay'];
  idle?: IdleConnectionCost;
  downtimeMs: number;
  publishesResent: number;
}

function summarise(
  options: SoakOptions,
  clients: SoakClientRecord[],
  publishedIds: string[][],
  publishFailures: string[],
  published: number,
  publishSeconds: number,
  measured: Measured,
): SoakResult {
  let delivered = 0;
  let held = 0;
  let expected = 0;
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  let unexpected = 0;
  let inexactClients = 0;
  let reconnects = 0;
  let broken = 0;
  let refused = 0;
  let endedEarly = 0;
  let resumedOnSurvivor = 0;
  let resumedOnRestarted = 0;
  for (const client of clients) {
    const ids = publishedIds[client.stream];
    expected += ids.length;
    delivered += client.receivedIds.length;
    const seen = new Uint8Array(ids.length);
    let highest = -1;
    let distinct = 0;
    client.receivedIds.forEach((id, at) => {
      const position = client.receivedPositions[at];
      if (position < 0 || position >= ids.length || ids[position] !== id) unexpected++;
      else if (seen[position]) duplicated++;
      else {
        if (position < highest) reordered++;
        seen[position] = 1;
        highest = Math.max(highest, position);
        distinct++;
      }
    });
    lost += ids.length - distinct;
    const exact = client.receivedIds.length === ids.length && client.receivedIds.every((id, at) => id === ids[at]);
    if (exact) held += ids.length;
    else inexactClients++;

    reconnects += Math.max(0, client.connections.length - 1);
    for (const connection of client.connections) {
      if (connection.end === 'failed') broken++;
      if (connection.end === 'refused') refused++;
      if (connection.end === 'completed' && connection !== client.connections.at(-1)) endedEarly++;
      if (connection.resumed && connection.status === 200) {
        // Only readers that came from the killed instance count as having moved to the survivor.
        if (connection.instance === SURVIVOR && client.connections[0].instance === KILLED) resumedOnSurvivor++;
        else if (connection.generation > 0) resumedOnRestarted++;
      }
    }
  }
  const clientFailures = clients
    .filter((client) => !client.done)
    .map((client) => `client ${client.index} (stream ${client.stream}, ${client.policy}): ${client.failure ?? 'did not end'}`);
  const { log: _log, redisUrl: _redisUrl, ...shown } = options;
  const latency = summariseLatencies(measured.deliveries, measured.publishStartedAt, measured.publishEndedAt, measured.killWindow);
  return {
    options: shown,
    publishSeconds,
    published,
    publishFailures,
    publishesResent: measured.publishesResent,
    publishedIds,
    delivered,
    held,
    expected,
    lost,
    duplicated,
    reordered,
    unexpected,
    inexactClients,
    clientsDone: clients.filter((client) => client.done).length,
    clientFailures,
    reconnects,
    broken,
    refused,
    endedEarly,
    resumedOnSurvivor,
    resumedOnRestarted,
    latency: latency.all,
    liveLatency: latency.live,
    liveLatencySteady: latency.liveSteady,
    liveLatencyKillWindow: latency.liveKillWindow,
    publishLatencySteady: measured.publishLatencySteady,
    killWindowSeconds: {
      from: (measured.killWindow.from - measured.publishStartedAt) / 1_000,
      to: (measured.killWindow.to - measured.publishStartedAt) / 1_000,
    },
    liveLatencyBySecond: latency.bySecond,
    peakRssMiB: measured.peakRssMiB,
    cpuSeconds: measured.cpuSeconds,
    clientProcesses: measured.clientProcesses,
    loopDelay: measured.loopDelay,
    idle: measured.idle,
    downtimeMs: measured.downtimeMs,
    clients: clients.map((client) => ({
      index: client.index,
      stream: client.stream,
      policy: client.policy,
      done: client.done,
      failure: client.failure,
      receivedIds: client.receivedIds,
    })),
  };
}

function mib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / 1_048_576;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!condition()) {
    if (now() > deadline) throw new Error(`gave up after ${timeoutMs} ms`);
    await delay(10);
  }
}

function validate(options: SoakOptions): void {
  const positiveIntegers: (keyof SoakOptions)[] = ['clients', 'streams'];
  for (const key of positiveIntegers) {
    if (!Number.isInteger(options[key]) || (options[key] as number) < 1) throw new Error(`${key} must be a positive integer`);
  }
  if (options.clients < 2 * options.streams)
    throw new Error('clients must be at least twice streams (each stream is read on both instances)');
  if (!(options.durationSeconds > 0) || !(options.rate > 0)) throw new Error('durationSeconds and rate must be positive');
  if (!Number.isInteger(options.clientProcesses) || options.clientProcesses < 1)
    throw new Error('clientProcesses must be a positive integer');
  if (!Number.isInteger(options.idleClients) || options.idleClients < 0) throw new Error('idleClients must be a whole number');
  if (!(options.killAtSeconds >= 0 && options.killAtSeconds < options.durationSeconds))
    throw new Error('killAtSeconds must fall within the duration');
}

/** The moment the last client that lost its connection in the kill got a live event again; `fallback` if none did. */
function recoveredAt(clients: readonly SoakClientRecord[], fallback: number): number {
  let last = fallback;
  for (const client of clients) {
    for (const connection of client.connections) {
      if (connection.resumed && connection.firstLiveAt !== undefined) last = Math.max(last, connection.firstLiveAt);
    }
  }
  return last;
}

function idleConnectionCost(clients: number, rssBefore: (number | undefined)[], rssAfter: (number | undefined)[]): IdleConnectionCost {
  // The idle clients alternate between the instances.
  const perInstance = [Math.ceil(clients / 2), Math.floor(clients / 2)];
  const perConnectionKiB = rssBefore.map((before, at) => {
    const after = rssAfter[at];
    return before === undefined || after === undefined || perInstance[at] === 0 ? undefined : (after - before) / 1_024 / perInstance[at];
  });
  const known = perConnectionKiB.filter((value) => value !== undefined);
  return {
    clients,
    rssBeforeMiB: rssBefore.map(mib),
    rssAfterMiB: rssAfter.map(mib),
    perConnectionKiB,
    meanPerConnectionKiB: known.length > 0 ? known.reduce((sum, value) => sum + value, 0) / known.length : undefined,
  };
}

/** Runs `task` for 0 to count-1 with at most `concurrency` at a time. */
async function inBatches(count: number, concurrency: number, task: (at: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * Every connection takes a file descriptor in a client process and one in an instance; in the
 * worst case (all on the instance that survives) one process holds them all. Node raises its own
 * soft limit to the hard one, so that is what counts.
 */
async function checkDescriptorLimit(connections: number): Promise<void> {
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const hard = Number(/^Max open files\s+\S+\s+(\d+)/m.exec(limits)?.[1]);
  // Redis, the publisher's connections and the process's own files.
  const spare = 1_000;
  if (Number.isFinite(hard) && connections + spare > hard) {
    throw new Error(`${connections} connections need a hard limit on open files above ${connections + spare} (ulimit -Hn is ${hard})`);
  }
}

/** A free port below the range the system hands out for outgoing connections. */
async function freePortOutsideEphemeralRange(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const low = Number(range.trim().split(/\s+/)[0]) || 32_768;
  const from = Math.min(20_000, low - 1_000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = from + Math.floor(Math.random() * (low - from));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('found no free port to run the instance that is restarted');
}

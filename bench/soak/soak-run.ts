import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { complete, deleteSession, publish } from '../../test/support/sample-client';
import { SampleProcess } from '../../test/support/sample-process';
import { REDIS_URL } from '../support/redis';
import { now, percentile } from '../support/timing';
import { ProcessSampler } from './process-sampler';
import { type ConnectionRecord, type ReconnectPolicy, SoakClient, type SoakClientContext, type SoakEventData } from './soak-client';

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
  /** A client's wait before it reconnects (spread by up to half of it). */
  retryMs: number;
  /** How long, after the streams are completed, the clients get to reach their end. */
  drainTimeoutMs: number;
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
  retryMs: 500,
  drainTimeoutMs: 60_000,
  redisUrl: REDIS_URL,
};

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

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
  /** Every delivery, and those live (not replayed to a resuming client), publish request sent → received. */
  latency: LatencySummary;
  liveLatency: LatencySummary;
  /** Peak RSS (MiB) of the instance that ran throughout, the killed one until its kill, and its restart. */
  peakRssMiB: { survivor?: number; killed?: number; restarted?: number; driver: number };
  /** CPU seconds (user + system) used by the same processes over the whole run. */
  cpuSeconds: { survivor?: number; killed?: number; restarted?: number; driver: number };
  /** ms from SIGKILL until the restarted instance listened. */
  downtimeMs: number;
  clients: ClientOutcome[];
}

const SURVIVOR = 0;
const KILLED = 1;
/** Connections opened at a time while the clients start (below the listen backlog). */
const OPEN_BATCH = 100;

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
  // The sample has no key prefix setting: fresh session ids keep runs apart in the shared Redis.
  const runId = randomUUID().slice(0, 8);
  const sessionOf = (stream: number): string => `soak-${runId}-${stream}`;
  const streamId = 'feed';

  const memory = new ProcessSampler();
  const instances: SampleProcess[] = [];
  const generations = [0, 0];
  const stop = new AbortController();
  // Every waiting or connected client listens to it.
  setMaxListeners(0, stop.signal);
  const clients: SoakClient[] = [];
  try {
    // The killed instance comes back on its port, which a port picked by the system could meanwhile
    // be lent to as the local end of one of the clients' new connections: take one outside that range.
    const restartablePort = await freePortOutsideEphemeralRange();
    instances.push(...(await Promise.all([0, restartablePort].map((port) => SampleProcess.start({ port, redisUrl: options.redisUrl })))));
    memory.watch('survivor', instances[SURVIVOR].pid);
    memory.watch('killed', instances[KILLED].pid);
    const baseUrls = instances.map((instance) => instance.url);
    log(`instances on ${baseUrls.join(' and ')}`);

    // Publishing: each stream through its home instance, except while the killed one is away.
    const homeOf = (stream: number): number => stream % 2;
    let killedAvailable = true;
    const inFlight = [0, 0];
    const publishedIds: string[][] = Array.from({ length: options.streams }, () => []);
    const publishFailures: string[] = [];
    const completing = new Array<boolean>(options.streams).fill(false);
    let published = 0;

    const publishOne = async (stream: number): Promise<void> => {
      const target = homeOf(stream) === KILLED && !killedAvailable ? SURVIVOR : homeOf(stream);
      const data: SoakEventData = { s: stream, n: publishedIds[stream].length, t: now() };
      inFlight[target]++;
      try {
        const event = await publish(instances[target].url, sessionOf(stream), streamId, data);
        publishedIds[stream].push(event.id);
        published++;
      } catch (error) {
        // Not counted as published; a client holding it shows up as `unexpected`.
        publishFailures.push(`stream ${stream}, event ${data.n}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        inFlight[target]--;
      }
    };

    // Every stream exists before its readers connect (an unknown stream is a 404).
    for (let stream = 0; stream < options.streams; stream++) await publishOne(stream);

    const latencies: number[] = [];
    const liveLatencies: number[] = [];
    const context: SoakClientContext = {
      baseUrls,
      retryMs: options.retryMs,
      stop: stop.signal,
      generation: (instance) => generations[instance],
      completing: (stream) => completing[stream],
      lastPublishedId: (stream) => publishedIds[stream].at(-1),
      delivered: (latencyMs, replayed) => {
        latencies.push(latencyMs);
        if (!replayed) liveLatencies.push(latencyMs);
      },
    };
    for (let index = 0; index < options.clients; index++) {
      // Per stream, its clients alternate between the instances and, in pairs, between the policies.
      const stream = index % options.streams;
      const rank = Math.floor(index / options.streams);
      const policy: ReconnectPolicy = Math.floor(rank / 2) % 2 === 0 ? 'failover' : 'sticky';
      clients.push(new SoakClient(index, stream, sessionOf(stream), streamId, rank % 2, policy, context));
    }
    const running: Promise<void>[] = [];
    for (let start = 0; start < clients.length; start += OPEN_BATCH) {
      const batch = clients.slice(start, start + OPEN_BATCH);
      running.push(...batch.map((client) => client.run()));
      await waitUntil(
        () => batch.every((client) => client.connections.length > 0 && answered(client.connections.at(-1)!)),
        stop.signal,
        30_000,
      );
    }
    log(`${clients.length} clients connected`);

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
    const killAndRestart = (async () => {
      await delay(Math.max(0, started + options.killAtSeconds * 1_000 - now()));
      // No publish request may be in flight to the instance when it dies: its outcome would be unknown.
      killedAvailable = false;
      await waitUntil(() => inFlight[KILLED] === 0, undefined, 30_000);
      await memory.release('killed');
      const killedAt = now();
      await instances[KILLED].kill('SIGKILL');
      // From here on, whatever answers on the instance's port is the restarted process.
      generations[KILLED]++;
      log(`killed instance 2 at ${((killedAt - started) / 1_000).toFixed(1)} s`);
      await delay(options.restartDelayMs);
      const port = instances[KILLED].port;
      instances[KILLED] = await SampleProcess.start({ port, redisUrl: options.redisUrl });
      downtimeMs = now() - killedAt;
      memory.watch('restarted', instances[KILLED].pid);
      killedAvailable = true;
      log(`instance 2 listening again after ${(downtimeMs / 1_000).toFixed(1)} s`);
    })();

    await Promise.all(publishers);
    const publishSeconds = (now() - started) / 1_000;
    await killAndRestart;
    log(`published ${published} events in ${publishSeconds.toFixed(1)} s; completing the streams`);

    await Promise.all(
      publishedIds.map(async (_, stream) => {
        completing[stream] = true;
        await complete(instances[homeOf(stream)].url, sessionOf(stream), streamId);
      }),
    );
    const drainDeadline = setTimeout(() => stop.abort(), options.drainTimeoutMs);
    await Promise.all(running);
    clearTimeout(drainDeadline);
    log(`clients ended`);

    await Promise.all([memory.release('survivor'), memory.release('restarted')]);
    const peakRssMiB = {
      survivor: mib(memory.peak('survivor')),
      killed: mib(memory.peak('killed')),
      restarted: mib(memory.peak('restarted')),
      driver: mib(process.resourceUsage().maxRSS * 1_024)!,
    };
    const usage = process.cpuUsage();
    const cpuSeconds = {
      survivor: memory.cpuSeconds('survivor'),
      killed: memory.cpuSeconds('killed'),
      restarted: memory.cpuSeconds('restarted'),
      driver: (usage.user + usage.system) / 1e6,
    };
    await Promise.allSettled(publishedIds.map((_, stream) => deleteSession(instances[SURVIVOR].url, sessionOf(stream))));

    return summarise(
      options,
      clients,
      publishedIds,
      publishFailures,
      published,
      publishSeconds,
      latencies,
      liveLatencies,
      peakRssMiB,
      cpuSeconds,
      downtimeMs,
    );
  } finally {
    stop.abort();
    memory.stop();
    await Promise.all(instances.map((instance) => instance.stop()));
  }
}

function summarise(
  options: SoakOptions,
  clients: SoakClient[],
  publishedIds: string[][],
  publishFailures: string[],
  published: number,
  publishSeconds: number,
  latencies: number[],
  liveLatencies: number[],
  peakRssMiB: SoakResult['peakRssMiB'],
  cpuSeconds: SoakResult['cpuSeconds'],
  downtimeMs: number,
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
  return {
    options: shown,
    publishSeconds,
    published,
    publishFailures,
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
    latency: summariseLatency(latencies),
    liveLatency: summariseLatency(liveLatencies),
    peakRssMiB,
    cpuSeconds,
    downtimeMs,
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

function summariseLatency(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

function mib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : bytes / 1_048_576;
}

async function waitUntil(condition: () => boolean, signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!condition()) {
    if (signal?.aborted) throw new Error('stopped');
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
  if (!(options.killAtSeconds >= 0 && options.killAtSeconds < options.durationSeconds))
    throw new Error('killAtSeconds must fall within the duration');
}

function answered(connection: ConnectionRecord): boolean {
  return connection.status !== 0 || connection.end !== 'pending';
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

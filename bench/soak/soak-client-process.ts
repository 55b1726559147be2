/**
 * A process of the soak's client fleet (forked by `client-fleet.ts`): runs its share of the SSE
 * clients, so that parsing thousands of event streams is spread over processes instead of
 * queueing in one event loop, and reports what they received when they end.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { now } from '../support/timing';
import type { FromClientProcess, SoakClientSpec, ToClientProcess } from './client-fleet-protocol';
import { type LoopDelayWindow, startLoopDelayProbe } from './loop-delay-probe';
import { type ConnectionRecord, SoakClient, type SoakClientContext } from './soak-client';

/** Connections opened at a time while the clients start (below the listen backlog). */
const OPEN_BATCH = 100;
/** How long one batch may take to be answered. */
const OPEN_TIMEOUT_MS = 30_000;

const send = (message: FromClientProcess): void => void process.send?.(message);

const stop = new AbortController();
// Every waiting or connected client listens to it.
setMaxListeners(0, stop.signal);
const generations = [0, 0];
let lastIds: Record<number, string | undefined> | undefined;
const sentAt: number[] = [];
const latencyMs: number[] = [];
const replayed: number[] = [];
const loopDelay: LoopDelayWindow[] = [];
const stopProbe = startLoopDelayProbe((window) => loopDelay.push(window));

const running: Promise<void>[] = [];
const clients: SoakClient[] = [];

process.on('message', (message: ToClientProcess) => {
  if (message.kind === 'start') void start(message.baseUrls, message.retryMs, message.clients);
  else if (message.kind === 'generation') generations[message.instance] = message.generation;
  else if (message.kind === 'completing') {
    lastIds = message.lastIds;
    send({ kind: 'completing-noted' });
  } else if (message.kind === 'report') void report();
  else if (message.kind === 'stop') stop.abort();
});
// The soak went away: nothing is left to report to.
process.on('disconnect', () => process.exit(0));

/** Starts the clients, a batch at a time, and says so once each got an answer to its first request. */
async function start(baseUrls: string[], retryMs: number, specs: SoakClientSpec[]): Promise<void> {
  const context: SoakClientContext = {
    baseUrls,
    retryMs,
    stop: stop.signal,
    generation: (instance) => generations[instance],
    completing: (stream) => lastIds !== undefined && stream in lastIds,
    lastPublishedId: (stream) => lastIds?.[stream],
    delivered: (sent, received, wasReplayed) => {
      sentAt.push(sent);
      latencyMs.push(received - sent);
      replayed.push(wasReplayed ? 1 : 0);
    },
  };
  try {
    for (let first = 0; first < specs.length; first += OPEN_BATCH) {
      const batch = specs
        .slice(first, first + OPEN_BATCH)
        .map((spec) => new SoakClient(spec.index, spec.stream, spec.sessionId, spec.streamId, spec.instance, spec.policy, context));
      clients.push(...batch);
      running.push(...batch.map((client) => client.run()));
      await waitUntil(() => batch.every((client) => client.connections.length > 0 && answered(client.connections.at(-1)!)));
    }
  } catch (error) {
    send({ kind: 'failed', error: error instanceof Error ? error.message : String(error) });
    stop.abort();
    return;
  }
  send({ kind: 'connected' });
}

/** Waits until every client ended (or was stopped), and reports what they received. */
async function report(): Promise<void> {
  await Promise.all(running);
  stopProbe();
  send({
    kind: 'ended',
    clients: clients.map(({ index, stream, policy, receivedIds, receivedPositions, connections, done, failure }) => ({
      index,
      stream,
      policy,
      receivedIds,
      receivedPositions,
      connections,
      done,
      failure,
    })),
    deliveries: { sentAt: Float64Array.from(sentAt), latencyMs: Float64Array.from(latencyMs), replayed: Uint8Array.from(replayed) },
    loopDelay,
  });
}

function answered(connection: ConnectionRecord): boolean {
  return connection.status !== 0 || connection.end !== 'pending';
}

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = now() + OPEN_TIMEOUT_MS;
  while (!condition()) {
    if (stop.signal.aborted) throw new Error('stopped');
    if (now() > deadline) throw new Error(`clients not answered after ${OPEN_TIMEOUT_MS} ms`);
    await delay(10);
  }
}

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { Logger } from '@nestjs/common';
import { createClient } from '@redis/client';
import { createCache } from 'cache-manager';
import calculateSlot from 'cluster-key-slot';
import {
  type SseEventStore,
  SseEventStoreError,
  type SseEventStreamWriter,
  SseStoreUnavailableError,
  type SseStoredEvent,
  type SseStreamAddress,
} from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import { createSseEventStore } from '../../lib/testing';
import { collect, delay, type Recording, record, waitFor } from '../support/async';
import { bounded } from '../support/bounded';
import { readHeld } from '../support/read-held';
import { REDIS_CLIENT_KINDS, type RedisClientKind, uniquePrefix } from '../support/caches';
import { clusterCache } from '../support/cluster-caches';
import { type RedisClusterNode, type RedisClusterProcesses, startRedisCluster } from '../support/redis-cluster';

Logger.overrideLogger(['error']);

const ids = new EventIdCodec(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength);
/** Sessions per master: the killed one holds some, the survivors the rest. */
const SESSIONS_PER_MASTER = 2;
/** Acknowledged writes each writer makes before the checkpoint, and again after the failover. */
const WRITES_PER_PHASE = 40;
/** Pause between one writer's writes: six writers, a modest load on a shared machine. */
const WRITE_PAUSE_MS = 5;
/** Bounds a write during the failover: it then fails typed instead of waiting for the cluster. */
const OPERATION_TIMEOUT_MS = 1_000;
/** Attempts of a read right after the failover: the first may meet a stale slot map. */
const READ_ATTEMPTS = 5;
/** How long the writers keep going between the checkpoint and the kill. */
const AFTER_CHECKPOINT_MS = 300;

/** One `write()` and how it ended. */
interface Attempt {
  n: number;
  settledAt: number;
  /** The id it was acknowledged with. */
  id?: string;
  /** The typed error it was rejected with (its `code`), or the untyped error's name. */
  rejectedWith?: string;
}

interface StreamRun {
  address: SseStreamAddress;
  onVictim: boolean;
  writer: SseEventStreamWriter;
  attempts: Attempt[];
  live: Recording<SseStoredEvent>;
}

/** A store on a cluster client of its own, as one application instance has; every node is a root node. */
function instance(t: TestContext, kind: RedisClientKind, cluster: RedisClusterProcesses, keyPrefix: string): SseEventStore {
  const { keyv, ignoreErrors, disconnect } = clusterCache(kind, cluster.urls);
  ignoreErrors();
  const cache = createCache({ stores: [keyv] });
  const created = createSseEventStore({ cache, keyPrefix, storage: 'redis', operationTimeout: OPERATION_TIMEOUT_MS, pollingInterval: 100 });
  t.after(async () => {
    await created.close();
    await disconnect();
  });
  return created.store;
}

// Required, never skipped: without redis-server and redis-cli on the PATH these tests fail.
for (const kind of REDIS_CLIENT_KINDS)
  describe(`native Redis storage on a Redis Cluster (${kind === 'redis' ? 'node-redis' : 'iovalkey'}): a master is killed`, () => {
    it(
      'with its replica in sync: acknowledged events survive, readers never see a wrong or repeated event, the store works on without a rebuild',
      { timeout: 60_000 },
      (t) => killMaster(t, kind, { replicaLags: false }),
    );

    it(
      'with its replica behind: the acknowledged events it lacks are lost, only those, readers are told, and no id is given twice',
      { timeout: 60_000 },
      (t) => killMaster(t, kind, { replicaLags: true }),
    );
  });

/**
 * Kills one master of a 3-master, 3-replica cluster while six writers (two sessions on each
 * master) append and a reader of another instance follows each stream; then checks what was
 * kept, what readers got, and that the store goes on. With `replicaLags`, the victim's replica
 * stops receiving its writes shortly before the kill, so acknowledged writes are lost for sure.
 */
async function killMaster(t: TestContext, kind: RedisClientKind, { replicaLags }: { replicaLags: boolean }): Promise<void> {
  const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
  t.after(() => cluster.dispose());
  const keyPrefix = uniquePrefix();
  const keys = new RedisStreamKeys(keyPrefix);
  const writerSide = instance(t, kind, cluster, keyPrefix);
  const readerSide = instance(t, kind, cluster, keyPrefix);
  const byMaster = await sessionsByMaster(cluster, keys);
  const victim = cluster.nodes.find((node) => node.port === [...byMaster.keys()][0])!;
  const victimSessions = new Set(byMaster.get(victim.port));
  const [replica] = await cluster.replicasOf(victim);

  const runs: StreamRun[] = [];
  for (const sessionId of [...byMaster.values()].flat()) {
    const address = { sessionId, streamId: 'main' };
    const writer = await bounded(writerSide.createStream(address), 'createStream');
    const reader = await bounded(readerSide.getStreamReaderFromStart(address), 'getStreamReaderFromStart');
    assert.ok(reader, `a reader for ${sessionId}`);
    const live = record(reader.events());
    t.after(() => live.subscription.unsubscribe());
    runs.push({ address, onVictim: victimSessions.has(sessionId), writer, attempts: [], live });
  }

  let writing = true;
  const writers = runs.map(async (run) => {
    for (let n = 1; writing; n++) {
      try {
        const event = await bounded(run.writer.write({ data: { sessionId: run.address.sessionId, n } }), 'write');
        run.attempts.push({ n, settledAt: Date.now(), id: event.id });
      } catch (error) {
        run.attempts.push({ n, settledAt: Date.now(), rejectedWith: errorName(error) });
      }
      await delay(WRITE_PAUSE_MS);
    }
  });
  // However the test ends, the writers stop before the cluster is disposed.
  const stopWriting = async (): Promise<void> => {
    writing = false;
    await Promise.all(writers);
  };
  t.after(stopWriting);
  const acknowledgedSince = (run: StreamRun, since: number) =>
    run.attempts.filter((attempt) => attempt.id && attempt.settledAt > since).length;
  await waitFor(() => runs.every((run) => acknowledgedSince(run, 0) >= WRITES_PER_PHASE), 'writes before the checkpoint', 20_000);

  // Checkpoint: every write acknowledged before the marker below was executed by the victim
  // before it, so once WAIT reports the marker on a replica, so are they. Only writes
  // acknowledged after this point may be lost with the victim.
  const checkpointAt = Date.now();
  const replicated = await waitForReplica(victim, `${keys.sessionRoot([...victimSessions][0])}failover-marker`);
  assert.ok(replicated >= 1, 'the victim has a replica in sync at the checkpoint');
  if (replicaLags) await cutReplication(replica);
  await delay(AFTER_CHECKPOINT_MS);

  const killedAt = Date.now();
  await cluster.kill(victim);
  const { promoted, elapsedMs: failoverMs } = await cluster.waitForFailover(victim);
  const failedOverAt = Date.now();
  assert.equal(promoted.port, replica.port, "the victim's replica took over");
  t.diagnostic(`killed master ${victim.port}; its replica ${promoted.port} serves its slots ${failoverMs} ms later`);

  await waitFor(() => runs.every((run) => acknowledgedSince(run, failedOverAt) >= WRITES_PER_PHASE), 'writes after the failover', 30_000);
  await stopWriting();
  await Promise.all(runs.map((run) => bounded(run.writer.complete(), 'complete')));

  // What Redis holds now, read by the other instance. That instance sent nothing since its
  // readers failed, so its slot map may still name the dead master: its first read then fails
  // (typed) and refreshes the map, as a client's retry would.
  const stored = new Map<StreamRun, SseStoredEvent[]>();
  let readsRetried = 0;
  const onRetry = (): void => void readsRetried++;
  for (const run of runs) {
    const held = await retryWhileUnavailable(() => readHeld(readerSide, run.address), onRetry);
    stored.set(run, held.events);
    // Sequences are marked lost only where acknowledged writes are gone, or where a write whose
    // outcome its writer never learnt may have been stored (its sequence counts as used).
    const acknowledgedAndGone = new Set(lostWrites(run, held.events).map((attempt) => sequenceOf(attempt.id!)));
    const acknowledged = new Set(run.attempts.flatMap((attempt) => (attempt.id ? [sequenceOf(attempt.id)] : [])));
    const unknownOutcome = run.attempts.filter((attempt) => attempt.rejectedWith).length;
    const lostUnacknowledged = held.lost.filter((sequence) => !acknowledgedAndGone.has(sequence));
    for (const sequence of lostUnacknowledged) {
      assert.ok(!acknowledged.has(sequence), `${run.address.sessionId}: sequence ${sequence}, acknowledged and held, is reported lost`);
    }
    assert.ok(
      lostUnacknowledged.length <= unknownOutcome,
      `${run.address.sessionId}: ${lostUnacknowledged.length} sequences reported lost, more than the ${unknownOutcome} rejected writes`,
    );
  }
  t.diagnostic(`reads of the other instance that failed typed once the failover was over (then retried): ${readsRetried}`);

  const rows = runs.map((run) => tally(run, { killedAt, failedOverAt }, stored.get(run)!));
  try {
    await assertOutcomes(readerSide, runs, stored, rows, checkpointAt);
  } finally {
    // The figures are what this test is for: shown also when an assertion failed.
    t.diagnostic(`failover: ${failoverMs} ms from the kill until every live node serves all slots`);
    for (const line of formatTable(rows)) t.diagnostic(line);
  }
  if (replicaLags)
    assert.ok(
      rows.some((row) => row.lost > 0),
      'the lagging replica lacked acknowledged writes',
    );

  // A new stream in a session the promoted replica now serves works as before.
  const fresh = { sessionId: [...victimSessions][0], streamId: 'after-failover' };
  assert.equal((await cluster.masterOf(calculateSlot(keys.index(fresh.sessionId)))).port, promoted.port);
  const writer = await bounded(writerSide.createStream(fresh), 'createStream after the failover');
  const written = await bounded(Promise.all([1, 2, 3].map((n) => writer.write({ data: { n } }))), 'writes after the failover');
  await bounded(writer.complete(), 'complete after the failover');
  const reader = await bounded(readerSide.getStreamReaderFromStart(fresh), 'read after the failover');
  assert.deepEqual(await collect(reader!.events()), written);
}

/**
 * What must hold whatever was lost: every event a reader emits is the write acknowledged with its
 * id (or one whose outcome its writer never learnt), in order, once; only writes acknowledged
 * after the checkpoint, on the killed master, are missing; readers go on or fail typed and resume.
 */
async function assertOutcomes(
  readerSide: SseEventStore,
  runs: readonly StreamRun[],
  stored: ReadonlyMap<StreamRun, SseStoredEvent[]>,
  rows: Row[],
  checkpointAt: number,
): Promise<void> {
  for (const [index, run] of runs.entries()) {
    const { sessionId } = run.address;
    const events = stored.get(run)!;
    const acknowledged = new Map<number, number>();
    for (const attempt of run.attempts) {
      if (!attempt.id) continue;
      const sequence = sequenceOf(attempt.id);
      assert.ok(
        !acknowledged.has(sequence),
        `${sessionId}: id ${attempt.id} acknowledged for writes ${acknowledged.get(sequence)} and ${attempt.n}`,
      );
      acknowledged.set(sequence, attempt.n);
    }
    const unknown = new Set(run.attempts.filter((attempt) => attempt.rejectedWith).map((attempt) => attempt.n));
    assertEventsValid(sessionId, 'read back', events, acknowledged, unknown);
    assertEventsValid(sessionId, 'received live', run.live.values, acknowledged, unknown);
    // A live reader and the read-back never disagree about an id.
    const storedBySequence = new Map(events.map((event) => [sequenceOf(event.id), event.data]));
    for (const event of run.live.values) {
      const again = storedBySequence.get(sequenceOf(event.id));
      if (again !== undefined)
        assert.deepEqual(again, event.data, `${sessionId}: ${event.id} was received as one event and is stored as another`);
    }
    for (const attempt of lostWrites(run, events)) {
      assert.ok(run.onVictim, `${sessionId} (on a surviving master) lost write ${attempt.n}`);
      assert.ok(attempt.settledAt > checkpointAt, `${sessionId}: write ${attempt.n}, acknowledged before the checkpoint, was lost`);
    }
    rows[index].reader = await readerOutcome(readerSide, run, events);
  }
}

/** `SESSIONS_PER_MASTER` session ids for each master, found by their hash slot. */
async function sessionsByMaster(cluster: RedisClusterProcesses, keys: RedisStreamKeys): Promise<Map<number, string[]>> {
  const masters = await cluster.masters();
  const byMaster = new Map<number, string[]>(masters.map((master) => [master.port, []]));
  for (let n = 0; [...byMaster.values()].some((sessions) => sessions.length < SESSIONS_PER_MASTER); n++) {
    const sessionId = `session-${n}`;
    const sessions = byMaster.get((await cluster.masterOf(calculateSlot(keys.index(sessionId)))).port)!;
    if (sessions.length < SESSIONS_PER_MASTER) sessions.push(sessionId);
  }
  return byMaster;
}

/** The acknowledged writes of the run that the stream no longer holds. */
function lostWrites(run: StreamRun, stored: readonly SseStoredEvent[]): Attempt[] {
  const present = new Set(stored.map((event) => (event.data as { n: number }).n));
  return run.attempts.filter((attempt) => attempt.id && !present.has(attempt.n));
}

/**
 * How the live reader fared: it received every stored event and completed with its writer, or
 * it failed with a typed error (while the cluster is down, every node refuses commands) and a
 * client resuming from the last id it got receives the rest of the stream.
 */
async function readerOutcome(store: SseEventStore, run: StreamRun, stored: readonly SseStoredEvent[]): Promise<string> {
  const { sessionId } = run.address;
  const outcome = await bounded(run.live.ended, 'the live reader ends');
  // Events it received before they were lost with the killed master are not held any more.
  const lostSequences = new Set(lostWrites(run, stored).map((attempt) => sequenceOf(attempt.id!)));
  const received = run.live.values.filter((event) => !lostSequences.has(sequenceOf(event.id)));
  if (!('error' in outcome)) {
    assert.deepEqual(received, stored, `${sessionId}: the live reader that went on received every stored event`);
    return 'continued';
  }
  assert.ok(outcome.error instanceof SseEventStoreError, `${sessionId}: the reader failed with ${describeError(outcome.error)}`);
  const last = run.live.values.at(-1);
  const rest = stored.filter((event) => !last || sequenceOf(event.id) > sequenceOf(last.id));
  const resumed = await retryWhileUnavailable(() => readHeld(store, run.address, last?.id));
  assert.deepEqual(resumed.events, rest, `${sessionId}: resumed after ${last?.id}, the reader gets the rest of the stream`);
  return `failed: ${outcome.error.code}, resumed${resumed.lost.length > 0 ? `, told of ${resumed.lost.length} lost` : ''}`;
}

/** Runs `read` again while it fails with `SseStoreUnavailableError`, a few times at most. */
async function retryWhileUnavailable<T>(read: () => Promise<T>, onRetry: () => void = () => undefined): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof SseStoreUnavailableError) || attempt >= READ_ATTEMPTS) throw error;
      onRetry();
      await delay(OPERATION_TIMEOUT_MS / 4);
    }
  }
}

/**
 * Replication lag, made certain: the replica drops its link to its master, and its reconnects
 * fail (it offers a password the master does not have), so it misses every write from now on.
 * It stays eligible for the failover: its data is younger than the validity limit.
 */
async function cutReplication(replica: RedisClusterNode): Promise<void> {
  await withNode(replica, async (client) => {
    await client.sendCommand(['CONFIG', 'SET', 'masterauth', 'not-the-password']);
    await client.sendCommand(['CLIENT', 'KILL', 'TYPE', 'master']);
  });
}

/**
 * Writes a marker on `master` and waits (bounded) until a replica has it: `WAIT` counts the
 * replicas that acknowledged everything this connection wrote, hence all that the master
 * executed before. Resolves with that count.
 */
function waitForReplica(master: RedisClusterNode, markerKey: string): Promise<number> {
  return withNode(master, async (client) => {
    await client.sendCommand(['SET', markerKey, '1', 'PX', '60000']);
    return Number(await client.sendCommand(['WAIT', '1', '2000']));
  });
}

/** Runs `use` on a connection of its own to one node. */
async function withNode<T>(
  node: RedisClusterNode,
  use: (client: { sendCommand(args: string[]): Promise<unknown> }) => Promise<T>,
): Promise<T> {
  const client = createClient({ url: node.url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
}

/** The error and its causes, for a failure message. */
function describeError(error: unknown): string {
  const causes: string[] = [];
  for (let cause = error; cause instanceof Error && causes.length < 4; cause = cause.cause) causes.push(`${cause.name}: ${cause.message}`);
  return causes.length > 0 ? causes.join(' <- ') : String(error);
}

/** The error's typed `code`, or its class name. */
function errorName(error: unknown): string {
  if (error instanceof SseEventStoreError) return error.code;
  return error instanceof Error ? error.name : String(error);
}

function sequenceOf(id: string): number {
  const parsed = ids.parse(id);
  assert.ok(parsed, `an id of ours: ${id}`);
  return parsed.sequence;
}

/**
 * Events of one stream, as a reader emitted them: ids in increasing order without repeats, each
 * carrying the write acknowledged with that id, or one whose outcome its writer never learnt;
 * writes appear in the order they were issued.
 */
function assertEventsValid(
  sessionId: string,
  what: string,
  events: readonly SseStoredEvent[],
  acknowledged: ReadonlyMap<number, number>,
  unknown: ReadonlySet<number>,
): void {
  let previous: { sequence: number; n: number } | undefined;
  for (const event of events) {
    const sequence = sequenceOf(event.id);
    const { sessionId: eventSession, n } = event.data as { sessionId: string; n: number };
    assert.equal(eventSession, sessionId, `${sessionId} ${what}: ${event.id} belongs to another stream`);
    const expected = acknowledged.get(sequence);
    if (expected !== undefined)
      assert.equal(n, expected, `${sessionId} ${what}: ${event.id} holds write ${n}, acknowledged for write ${expected}`);
    else assert.ok(unknown.has(n), `${sessionId} ${what}: ${event.id} holds write ${n}, which was acknowledged under another id`);
    if (previous) {
      assert.ok(sequence > previous.sequence, `${sessionId} ${what}: ${event.id} after sequence ${previous.sequence}`);
      assert.ok(n > previous.n, `${sessionId} ${what}: write ${n} after write ${previous.n}`);
    }
    previous = { sequence, n };
  }
}

interface Row {
  session: string;
  master: string;
  beforeKill: number;
  duringAcked: number;
  duringRejected: string;
  afterAcked: number;
  afterRejected: number;
  lost: number;
  reader: string;
}

/** Counts one stream's writes by when they settled; the reader's outcome is filled in once checked. */
function tally(run: StreamRun, times: { killedAt: number; failedOverAt: number }, stored: readonly SseStoredEvent[]): Row {
  const during = run.attempts.filter((attempt) => attempt.settledAt > times.killedAt && attempt.settledAt <= times.failedOverAt);
  const rejectedDuring = new Map<string, number>();
  for (const attempt of during) {
    if (attempt.rejectedWith) rejectedDuring.set(attempt.rejectedWith, (rejectedDuring.get(attempt.rejectedWith) ?? 0) + 1);
  }
  const afterwards = run.attempts.filter((attempt) => attempt.settledAt > times.failedOverAt);
  return {
    session: run.address.sessionId,
    master: run.onVictim ? 'killed' : 'survivor',
    beforeKill: run.attempts.filter((attempt) => attempt.id && attempt.settledAt <= times.killedAt).length,
    duringAcked: during.filter((attempt) => attempt.id).length,
    duringRejected: [...rejectedDuring].map(([code, count]) => `${count} ${code}`).join(', ') || '0',
    afterAcked: afterwards.filter((attempt) => attempt.id).length,
    afterRejected: afterwards.filter((attempt) => attempt.rejectedWith).length,
    lost: lostWrites(run, stored).length,
    reader: 'not checked',
  };
}

function formatTable(rows: Row[]): string[] {
  const header: Record<keyof Row, string> = {
    session: 'session',
    master: 'master',
    beforeKill: 'acked before kill',
    duringAcked: 'acked in failover',
    duringRejected: 'rejected in failover',
    afterAcked: 'acked after',
    afterRejected: 'rejected after',
    lost: 'acked but lost',
    reader: 'live reader',
  };
  const columns = Object.keys(header) as (keyof Row)[];
  const cells = [header, ...rows].map((row) => columns.map((column) => String(row[column])));
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => line[index].length)));
  return cells.map((line) => line.map((cell, index) => cell.padEnd(widths[index])).join(' | '));
}

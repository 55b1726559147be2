import { isPushable, storedChars } from '../../encoding/appended-events';
import type { RedisAppendLanes } from './redis-append-lanes';
import type { RedisStreamKeySet } from './redis-stream-keys';
import type { AppendEventsInput, AppendOutcome } from './scripts/append-events.script';
import { type RedisScript, runRedisScript, unexpectedReply } from './scripts/redis-script';

/*
 * Bounds of one script call; what does not fit goes in further calls, sent at the same time. Each
 * call has a fixed cost on both sides, but one call for everything makes Redis and this process
 * take turns: while Redis runs the script, the writers wait for its reply, and while they prepare
 * their next appends, Redis idles. Split in two calls on two connections, Redis runs one while
 * this process handles the reply to the other (see `RedisAppendLanes`). Measured with awaited
 * writers on one server, on an otherwise idle 2-core machine, split against one call: 10 or 20
 * streams 1.5–1.7 times the events per second, 4 streams (2 + 2) 1.1 times for a quarter more
 * CPU per event in this process; so a tick is split from 8 streams on. On one
 * connection (a cluster, or while the second is not connected), two calls are answered together
 * and a split gains nothing below a few dozen streams.
 */
const MAX_STREAMS_PER_CALL = 64;
/** A tick with at least twice this many streams is split into two calls or more: when both connections are idle, or on one (see above). */
const MIN_STREAMS_PER_SPLIT_CALL = { parallel: 4, oneConnection: 32 } as const;
const MAX_EVENTS_PER_CALL = 2_048;
/** In characters of event JSON. */
const MAX_CHARS_PER_CALL = 4 * 1024 * 1024;

/** What every append script call carries besides the streams' own arguments. */
export interface AppendSettings {
  /** TTL of the events key after a write: the sliding window, cut at the absolute limit. */
  eventTtl: number;
  /** TTL of the metadata after a write, likewise. */
  metadataTtl: number;
  /** Retention cap: a stream keeps its newest this many events. */
  maxEvents: number;
  /**
   * Published on each stream's channel after its events are stored, followed by the call's `now`
   * (the writer's clock, for the readers' delivery lag) and the events when they are not too large
   * (see `encoding/wakeup-message.ts`); `''` publishes nothing.
   */
  wakeupMessage: string;
}

/** One stream's append, as a writer hands it over. */
export interface StreamAppend {
  keys: RedisStreamKeySet;
  /** The stream's wake-up channel (unused when nothing is published). */
  channel: string;
  /** Restart the TTLs of the stream's keys with this append (the writer asks every so often). */
  restartTtls: boolean;
  /** The writer's mode, for metadata that has to be restored. */
  mode: string;
  /** The last sequence the writer was given, or may have been, for metadata that has to be restored. */
  knownLast: number;
  /** The last sequence the writer was given and acknowledged: absent ones up to it are lost, later ones skipped. */
  acknowledgedLast: number;
  payloads: readonly string[];
}

interface PendingAppend {
  append: StreamAppend;
  /** Characters of event JSON in the append: what bounds a call, and whether the events travel with the wake-up. */
  chars: number;
  resolve(outcome: AppendOutcome): void;
  reject(error: unknown): void;
}

/**
 * Collects the appends that the writers of this process issue in one tick, across streams and
 * sessions, and sends them in few script calls: with many streams written at once, a write costs
 * a small fraction of a round trip and of a command. On a single server a call carries streams of
 * any session, and a tick's appends go in one call, or in several when the bounds or the split
 * above ask for it (shared between the connections of `RedisAppendLanes`); on a cluster a script
 * must keep to one hash slot, so there is one call per session (the hash tag), and node-redis
 * writes the calls for each node to its socket together.
 *
 * Appends are sent at the end of the tick in which the first of them arrived (`process.nextTick`
 * runs after the promise jobs of the tick, so writers woken by the same reply all make it), which
 * adds no wait. Each writer has at most one append in flight, so a stream's appends stay in order.
 */
export class RedisAppendBatcher {
  private pending: PendingAppend[] = [];
  private scheduled = false;

  constructor(
    private readonly lanes: RedisAppendLanes,
    private readonly script: RedisScript<AppendEventsInput, AppendOutcome[]>,
    private readonly settings: AppendSettings,
  ) {}

  /** Resolves with the append script's outcome for this stream; rejects when the call failed. */
  append(append: StreamAppend): Promise<AppendOutcome> {
    return new Promise<AppendOutcome>((resolve, reject) => {
      this.pending.push({ append, chars: storedChars(append.payloads), resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      process.nextTick(() => this.flush());
    });
  }

  private flush(): void {
    this.scheduled = false;
    const pending = this.pending;
    this.pending = [];
    for (const call of this.splitIntoCalls(pending)) void this.send(call);
  }

  private *splitIntoCalls(pending: PendingAppend[]): Generator<PendingAppend[]> {
    const minStreamsPerSplitCall = MIN_STREAMS_PER_SPLIT_CALL[this.lanes.bothIdle ? 'parallel' : 'oneConnection'];
    if (pending.length >= 2 * MIN_STREAMS_PER_SPLIT_CALL.parallel) this.lanes.prepare();
    for (const group of this.lanes.isCluster ? groupBySession(pending) : [pending]) {
      const streamsPerCall = evenCallSize(group.length, minStreamsPerSplitCall);
      let call: PendingAppend[] = [];
      let events = 0;
      let chars = 0;
      for (const pending of group) {
        const { payloads } = pending.append;
        const full =
          call.length >= streamsPerCall || events + payloads.length > MAX_EVENTS_PER_CALL || chars + pending.chars > MAX_CHARS_PER_CALL;
        if (call.length > 0 && full) {
          yield call;
          call = [];
          events = 0;
          chars = 0;
        }
        call.push(pending);
        events += payloads.length;
        chars += pending.chars;
      }
      if (call.length > 0) yield call;
    }
  }

  private async send(call: PendingAppend[]): Promise<void> {
    const { eventTtl, metadataTtl, maxEvents, wakeupMessage } = this.settings;
    const streams = call.map(({ append, chars }) => ({
      keys: append.keys,
      args: {
        restartTtls: append.restartTtls,
        channel: append.channel,
        mode: append.mode,
        knownLast: append.knownLast,
        pushEvents: isPushable(chars),
        acknowledgedLast: append.acknowledgedLast,
      },
      events: append.payloads,
    }));
    let outcomes: AppendOutcome[];
    try {
      const input = { args: { now: Date.now(), eventTtl, metadataTtl, maxEvents, message: wakeupMessage }, streams };
      outcomes = await this.lanes.send((commands) => runRedisScript(commands, this.script, input));
      if (outcomes.length !== call.length) throw unexpectedReply(this.script.lua);
    } catch (error) {
      for (const pending of call) pending.reject(error);
      return;
    }
    call.forEach((pending, index) => {
      pending.resolve(outcomes[index]);
    });
  }
}

/** Streams per call for `streams` appends: calls of even size, two at least when there are enough streams. */
function evenCallSize(streams: number, minStreamsPerSplitCall: number): number {
  const calls = Math.max(Math.ceil(streams / MAX_STREAMS_PER_CALL), streams >= 2 * minStreamsPerSplitCall ? 2 : 1);
  return Math.ceil(streams / calls);
}

/** The appends of each session together: its keys share a hash tag, hence a slot. */
function groupBySession(pending: PendingAppend[]): PendingAppend[][] {
  const groups = new Map<string, PendingAppend[]>();
  for (const entry of pending) {
    const group = groups.get(entry.append.keys.tombstone);
    if (group) group.push(entry);
    else groups.set(entry.append.keys.tombstone, [entry]);
  }
  return [...groups.values()];
}

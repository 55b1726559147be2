import type { SseEventStreamMode } from '../../interfaces/sse-event-stream-mode.enum';
import { MemoryEventLog } from './memory-event-log';

/**
 * Estimated bytes of what the table holds, for its cap: a payload counts its characters, and each
 * event, stream and session a fixed share for the objects and array slots around it (measured on
 * V8 with small events, rounded up).
 */
export const MEMORY_COSTS = { event: 40, stream: 320, session: 240 } as const;

/** One stream: its state as readers see it, its events, and when each part expires (ms epoch). */
export interface MemoryStream {
  readonly streamId: string;
  mode: SseEventStreamMode;
  completed: boolean;
  /** Oldest sequence the retention cap keeps. */
  first: number;
  /** Newest sequence stored. */
  last: number;
  readonly events: MemoryEventLog;
  /** The stream's events go at once then (the sliding window), unless written or read again. */
  eventsExpireAt: number;
  /** The newest event's absolute limit: reads slide the events' window no further. */
  eventsAbsoluteAt: number;
  /** The metadata goes then, with the whole stream, unless written or read again... */
  metadataExpiresAt: number;
  /** ...and, while a writer holds the stream open, at this absolute limit from its last write. */
  metadataAbsoluteAt: number;
  /** Open appenders of the stream: they keep its metadata alive, as the other paths' keep-alive does. */
  writers: number;
  /** Set once the stream left the table (expired, evicted or deleted). */
  removed: boolean;
}

/** One session: its streams, or the tombstone it leaves once deleted. */
export interface MemorySession {
  readonly sessionId: string;
  readonly streams: Map<string, MemoryStream>;
  /** When the tombstone of a deleted session expires; `undefined` while it is not deleted. */
  deletedUntil: number | undefined;
  /** Estimated bytes of the session and everything in it (see {@link MEMORY_COSTS}). */
  bytes: number;
  /** The table's count of placements when the session was last put at the end of the order. */
  placedAt: number;
}

/** What the table holds: for tests and the benchmark. */
export interface MemoryTableCounts {
  /** Sessions with streams. */
  sessions: number;
  /** Deleted sessions whose tombstone has not expired yet. */
  tombstones: number;
  streams: number;
  events: number;
  /** Estimated bytes of all of it (see {@link MEMORY_COSTS}). */
  bytes: number;
}

/**
 * The in-memory storage's data: sessions by id, in the order eviction takes them, least recently
 * used first (approximately: a session written or read is moved to the end only once it has
 * fallen into the older half of the order, so a busy session costs no reordering per use). Expired parts are dropped when they are next reached, and by a sweep on a timer, so
 * memory is freed without reads. Every store on the same cache and key prefix shares one table,
 * as they would share the cache's entries.
 */
export class MemoryStreamTable {
  private readonly sessions = new Map<string, MemorySession>();
  private bytesHeld = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepInterval = Number.POSITIVE_INFINITY;
  private users = 0;
  /** Sessions put at the end of the order so far: how far one has fallen behind is told from it. */
  private placements = 0;

  constructor(readonly clock: () => number = Date.now) {}

  /** Estimated bytes of everything held (see {@link MEMORY_COSTS}). */
  get bytes(): number {
    return this.bytesHeld;
  }

  /** The session, counted as used now; an expired tombstone is dropped on the way. */
  session(sessionId: string, now: number): MemorySession | undefined {
    const session = this.sessions.get(sessionId);
    if (!session) return undefined;
    if (session.deletedUntil !== undefined && session.deletedUntil <= now) {
      this.removeSession(session);
      return undefined;
    }
    if (this.placements - session.placedAt > this.sessions.size / 2) {
      this.sessions.delete(sessionId);
      this.sessions.set(sessionId, session);
      session.placedAt = ++this.placements;
    }
    return session;
  }

  createSession(sessionId: string): MemorySession {
    const session: MemorySession = { sessionId, streams: new Map(), deletedUntil: undefined, bytes: 0, placedAt: ++this.placements };
    this.sessions.set(sessionId, session);
    this.account(session, MEMORY_COSTS.session + sessionId.length);
    return session;
  }

  /** The stream, with its expired events dropped; `undefined` when it is not there or its metadata expired. */
  stream(session: MemorySession, streamId: string, now: number): MemoryStream | undefined {
    const stream = session.streams.get(streamId);
    return stream && !this.expire(session, stream, now) ? stream : undefined;
  }

  /** Registers a new stream that continues after `last` (its events up to it are gone). */
  createStream(session: MemorySession, streamId: string, mode: SseEventStreamMode, last: number): MemoryStream {
    const stream: MemoryStream = {
      streamId,
      mode,
      completed: false,
      first: last + 1,
      last,
      events: new MemoryEventLog(last + 1),
      eventsExpireAt: 0,
      eventsAbsoluteAt: 0,
      metadataExpiresAt: 0,
      metadataAbsoluteAt: 0,
      writers: 0,
      removed: false,
    };
    session.streams.set(streamId, stream);
    this.account(session, MEMORY_COSTS.stream + streamId.length);
    return stream;
  }

  /** Drops the session's streams whose metadata expired; returns how many it still holds. */
  liveStreamCount(session: MemorySession, now: number): number {
    for (const stream of session.streams.values()) this.expire(session, stream, now);
    return session.streams.size;
  }

  /** Stores events after the stream's last one; `absoluteAt` is when their absolute expiry is due. */
  appendEvents(session: MemorySession, stream: MemoryStream, payloads: readonly string[], absoluteAt: number): void {
    const chars = stream.events.chars;
    stream.events.append(payloads, absoluteAt);
    stream.last += payloads.length;
    this.account(session, stream.events.chars - chars + payloads.length * MEMORY_COSTS.event);
  }

  /** Drops the stream's events before `sequence` (the retention cap). */
  dropEventsBefore(session: MemorySession, stream: MemoryStream, sequence: number): void {
    const chars = stream.events.chars;
    const dropped = stream.events.dropBefore(sequence);
    this.account(session, stream.events.chars - chars - dropped * MEMORY_COSTS.event);
  }

  /** Removes every stream of the session and leaves its tombstone until `until`; returns how many streams went. */
  markDeleted(session: MemorySession, until: number): number {
    const count = session.streams.size;
    for (const stream of [...session.streams.values()]) this.removeStream(session, stream);
    session.deletedUntil = until;
    return count;
  }

  /**
   * Evicts the least recently used sessions (tombstones included), never `keep`, until `bytes`
   * more fit under `cap`. Returns false when they do not fit even with every other session gone.
   */
  makeRoom(bytes: number, cap: number, keep?: MemorySession): boolean {
    if (this.bytesHeld + bytes <= cap) return true;
    for (const session of this.sessions.values()) {
      if (this.bytesHeld + bytes <= cap) return true;
      if (session !== keep) this.removeSession(session);
    }
    return this.bytesHeld + bytes <= cap;
  }

  /** Drops everything whose expiry is due at `now`, and the sessions left without streams. */
  sweep(now: number): void {
    for (const session of this.sessions.values()) {
      if (session.deletedUntil !== undefined) {
        if (session.deletedUntil <= now) this.removeSession(session);
        continue;
      }
      for (const stream of session.streams.values()) this.expire(session, stream, now);
      if (session.streams.size === 0) this.removeSession(session);
    }
  }

  counts(): MemoryTableCounts {
    const counts: MemoryTableCounts = { sessions: 0, tombstones: 0, streams: 0, events: 0, bytes: this.bytesHeld };
    for (const session of this.sessions.values()) {
      if (session.deletedUntil !== undefined) counts.tombstones++;
      else counts.sessions++;
      counts.streams += session.streams.size;
      for (const stream of session.streams.values()) counts.events += stream.events.count;
    }
    return counts;
  }

  /**
   * A storage starts using the table: the sweep runs every `interval` ms (the shortest any of
   * its users asks for) on a timer that does not keep the process alive. Returns the storage's
   * way to stop using it; the timer stops with the last one.
   */
  attach(interval: number): () => void {
    this.users++;
    if (interval < this.sweepInterval) {
      this.sweepInterval = interval;
      clearInterval(this.sweepTimer);
      this.sweepTimer = setInterval(() => this.sweep(this.clock()), interval);
      this.sweepTimer.unref();
    }
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      if (--this.users > 0) return;
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
      this.sweepInterval = Number.POSITIVE_INFINITY;
    };
  }

  /**
   * Drops what expired of the stream; returns true when the whole stream went. Its session stays,
   * even without streams, for the caller that holds it (the sweep drops it).
   */
  private expire(session: MemorySession, stream: MemoryStream, now: number): boolean {
    const metadataDue = stream.writers > 0 ? stream.metadataAbsoluteAt : stream.metadataExpiresAt;
    if (metadataDue <= now) {
      this.removeStream(session, stream);
      return true;
    }
    if (stream.events.count === 0) return false;
    const chars = stream.events.chars;
    const dropped = stream.eventsExpireAt <= now ? stream.events.clear(stream.last + 1) : stream.events.dropExpired(now);
    if (dropped > 0) this.account(session, stream.events.chars - chars - dropped * MEMORY_COSTS.event);
    return false;
  }

  private removeStream(session: MemorySession, stream: MemoryStream): void {
    session.streams.delete(stream.streamId);
    stream.removed = true;
    this.account(session, -(MEMORY_COSTS.stream + stream.streamId.length + stream.events.chars + stream.events.count * MEMORY_COSTS.event));
    stream.events.clear(stream.last + 1);
  }

  private removeSession(session: MemorySession): void {
    for (const stream of session.streams.values()) {
      stream.removed = true;
      stream.events.clear(stream.last + 1);
    }
    session.streams.clear();
    this.sessions.delete(session.sessionId);
    this.bytesHeld -= session.bytes;
    session.bytes = 0;
  }

  private account(session: MemorySession, bytes: number): void {
    session.bytes += bytes;
    this.bytesHeld += bytes;
  }
}

/** The tables of the caches the in-memory storage runs on, by key prefix: gone with their cache. */
const tables = new WeakMap<object, Map<string, MemoryStreamTable>>();

/** The table every store on `cache` and `keyPrefix` shares. */
export function memoryStreamTableOf(cache: object, keyPrefix: string): MemoryStreamTable {
  let byPrefix = tables.get(cache);
  if (!byPrefix) tables.set(cache, (byPrefix = new Map()));
  let table = byPrefix.get(keyPrefix);
  if (!table) byPrefix.set(keyPrefix, (table = new MemoryStreamTable()));
  return table;
}

import { SseLimitExceededError } from '../../errors/sse-limit-exceeded.error';
import { SseSessionDeletedError } from '../../errors/sse-session-deleted.error';
import { SseStreamClosedError } from '../../errors/sse-stream-closed.error';
import type { SseStreamAddress } from '../../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../../interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from '../../interfaces/sse-event-store-options.interface';
import { StorageErrors } from '../storage-errors';
import { longestLifetime } from '../stream-lifetimes';
import { type StoredEventEntry, type StreamAppender, type StreamReadResult, StreamStorage } from '../stream-storage.interface';
import { MEMORY_BACKEND, memoryFull, metadataWritten, slideOnRead, sweepInterval } from './memory-lifetimes';
import { MemoryStreamAppender } from './memory-stream-appender';
import { MEMORY_COSTS, type MemoryStreamTable, type MemoryTableCounts } from './memory-stream-table';

/**
 * The native storage path for a process-local cache: plain structures in this process (a table
 * of sessions, each with its streams, each with an array of its events), no cache round trip and
 * no serialisation beyond the payload the writer already made. An event is decoded when it is
 * first read, and kept decoded.
 *
 * - Sequences, the retention cap (exactly `maxEventsPerStream`), modes, completion and reopening
 *   behave as on the other paths.
 * - Expiry: a stream's events go together `eventSlidingExpiration` after the stream was last
 *   written or read, and each one at `eventAbsoluteExpiration` after it was written; its
 *   metadata (and with it the stream) `metadataSlidingExpiration` after the last write or read,
 *   kept alive up to `metadataAbsoluteExpiration` from the last write while a writer holds the
 *   stream open. A deleted session's tombstone lasts as long as the longest of them.
 *   Expired data is freed when next reached and by a periodic sweep, without reads.
 * - Bounded: the table holds at most `maxMemoryBytes` (estimated). A write that needs more room
 *   evicts the least recently used sessions, whole; a session's readers then get
 *   `SseHistoryExpiredError`, as after an eviction on Redis. A write that would not fit even
 *   with every other session evicted is refused with `SseEventPersistenceError`.
 */
export class MemoryStreamStorage extends StreamStorage {
  private readonly detach: () => void;
  private readonly clock: () => number;

  constructor(
    private readonly table: MemoryStreamTable,
    private readonly options: ResolvedSseEventStoreOptions,
  ) {
    super();
    this.clock = table.clock;
    this.detach = table.attach(sweepInterval(options));
  }

  async openStream(address: SseStreamAddress, mode: SseEventStreamMode, reopenCompleted: boolean): Promise<StreamAppender> {
    const { sessionId, streamId } = address;
    const now = this.clock();
    let session = this.table.session(sessionId, now);
    if (session?.deletedUntil !== undefined) throw new SseSessionDeletedError(sessionId);
    let stream = session && this.table.stream(session, streamId, now);
    if (stream?.completed && !reopenCompleted) throw new SseStreamClosedError(sessionId, streamId);
    if (!stream) {
      const max = this.options.maxStreamsPerSession;
      if (session && this.table.liveStreamCount(session, now) >= max)
        throw SseLimitExceededError.streamsPerSession(sessionId, streamId, max);
      const needed = MEMORY_COSTS.stream + streamId.length + (session ? 0 : MEMORY_COSTS.session + sessionId.length);
      if (!this.table.makeRoom(needed, this.options.maxMemoryBytes, session)) {
        throw StorageErrors.openFailed(MEMORY_BACKEND, streamId, memoryFull(this.options.maxMemoryBytes));
      }
      session ??= this.table.createSession(sessionId);
      stream = this.table.createStream(session, streamId, mode, 0);
    }
    stream.mode = mode;
    stream.completed = false;
    metadataWritten(stream, now, this.options);
    return new MemoryStreamAppender(address, stream, this.table, this.options);
  }

  async read(address: SseStreamAddress, fromSequence: number, count: number, forWire = false): Promise<StreamReadResult> {
    const now = this.clock();
    const session = this.table.session(address.sessionId, now);
    if (!session) return { status: 'missing' };
    if (session.deletedUntil !== undefined) return { status: 'deleted' };
    const stream = this.table.stream(session, address.streamId, now);
    if (!stream) return { status: 'missing' };
    slideOnRead(stream, now, this.options);
    const last = Math.min(stream.last, fromSequence + count - 1);
    const events: (StoredEventEntry | undefined)[] = [];
    const { events: log } = stream;
    // For the wire, an event not decoded yet stays its JSON: its text is cut from it, not decoded and serialised again.
    for (let sequence = fromSequence; sequence <= last; sequence++) events.push(forWire ? log.entryAt(sequence) : log.recordAt(sequence));
    return {
      status: 'found',
      snapshot: { mode: stream.mode, completed: stream.completed, firstSequence: stream.first, lastSequence: stream.last },
      events,
    };
  }

  async deleteSession(sessionId: string): Promise<number> {
    const now = this.clock();
    let session = this.table.session(sessionId, now);
    if (!session) {
      if (!this.table.makeRoom(MEMORY_COSTS.session + sessionId.length, this.options.maxMemoryBytes)) {
        throw StorageErrors.deleteNotAcknowledged(memoryFull(this.options.maxMemoryBytes));
      }
      session = this.table.createSession(sessionId);
    }
    return this.table.markDeleted(session, now + longestLifetime(this.options));
  }

  /** Nothing to ask: the table is in this process. */
  async probe(): Promise<void> {}

  /** Stops this storage's share of the sweep; the data stays with the cache, for other stores on it. */
  async close(): Promise<void> {
    this.detach();
  }

  /** What the table holds now, expired or not (looking drops nothing): for tests. */
  counts(): MemoryTableCounts {
    return this.table.counts();
  }
}

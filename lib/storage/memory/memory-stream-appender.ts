import { SseSessionDeletedError } from '../../errors/sse-session-deleted.error';
import { SseStreamClosedError } from '../../errors/sse-stream-closed.error';
import type { SseStreamAddress } from '../../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../../interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from '../../interfaces/sse-event-store-options.interface';
import { StorageErrors } from '../storage-errors';
import type { StreamAppender } from '../stream-storage.interface';
import { eventsWritten, MEMORY_BACKEND, memoryFull, metadataWritten } from './memory-lifetimes';
import { MEMORY_COSTS, type MemorySession, type MemoryStream, type MemoryStreamTable } from './memory-stream-table';

/**
 * Write side of one stream in memory. Every write sees the stream's current state: a deleted
 * session or a stream completed by another writer refuses it. A stream that left the table while
 * the writer was idle (its metadata expired, or its session was evicted) is registered again and
 * continues after the last sequence given; the events before are gone, as on Redis.
 */
export class MemoryStreamAppender implements StreamAppender {
  private closed = false;

  constructor(
    private readonly address: SseStreamAddress,
    private stream: MemoryStream,
    private readonly table: MemoryStreamTable,
    private readonly options: ResolvedSseEventStoreOptions,
  ) {
    stream.writers++;
  }

  async append(payloads: readonly string[]): Promise<number> {
    return this.appendNow(payloads);
  }

  appendNow(payloads: readonly string[]): number {
    const now = this.table.clock();
    const session = this.liveSession(now);
    const stream = this.liveStream(session, now);
    if (stream.completed) throw new SseStreamClosedError(this.address.sessionId, this.address.streamId);
    let bytes = payloads.length * MEMORY_COSTS.event;
    for (const payload of payloads) bytes += payload.length;
    if (!this.table.makeRoom(bytes, this.options.maxMemoryBytes, session)) {
      throw StorageErrors.writeRefused(MEMORY_BACKEND, this.address.streamId, memoryFull(this.options.maxMemoryBytes));
    }
    const first = stream.last + 1;
    this.table.appendEvents(session, stream, payloads, now + this.options.eventAbsoluteExpiration);
    const retainedFrom = stream.last - this.options.maxEventsPerStream + 1;
    if (retainedFrom > stream.first) {
      stream.first = retainedFrom;
      this.table.dropEventsBefore(session, stream, retainedFrom);
    }
    eventsWritten(stream, now, this.options);
    metadataWritten(stream, now, this.options);
    return first;
  }

  async update(change: { mode?: SseEventStreamMode; completed?: boolean }): Promise<void> {
    const now = this.table.clock();
    const stream = this.liveStream(this.liveSession(now), now);
    if (change.mode !== undefined) stream.mode = change.mode;
    if (change.completed !== undefined) stream.completed = change.completed;
    metadataWritten(stream, now, this.options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.writers--;
    // From here the metadata slides like any other stream's, from the writer's last moment.
    const now = this.table.clock();
    this.stream.metadataExpiresAt = Math.min(now + this.options.metadataSlidingExpiration, this.stream.metadataAbsoluteAt);
  }

  /** The stream's session, registered again when it left the table; a deleted one refuses the write. */
  private liveSession(now: number): MemorySession {
    const { sessionId, streamId } = this.address;
    const session = this.table.session(sessionId, now);
    if (session?.deletedUntil !== undefined) throw new SseSessionDeletedError(sessionId);
    if (session) return session;
    if (
      !this.table.makeRoom(MEMORY_COSTS.session + sessionId.length + MEMORY_COSTS.stream + streamId.length, this.options.maxMemoryBytes)
    ) {
      throw StorageErrors.writeRefused(MEMORY_BACKEND, streamId, memoryFull(this.options.maxMemoryBytes));
    }
    return this.table.createSession(sessionId);
  }

  /** The stream as the table holds it now: the one another writer registered meanwhile, or this one again. */
  private liveStream(session: MemorySession, now: number): MemoryStream {
    if (!this.stream.removed) return this.stream;
    const { streamId } = this.address;
    let current = this.table.stream(session, streamId, now);
    if (!current) {
      if (!this.table.makeRoom(MEMORY_COSTS.stream + streamId.length, this.options.maxMemoryBytes, session)) {
        throw StorageErrors.writeRefused(MEMORY_BACKEND, streamId, memoryFull(this.options.maxMemoryBytes));
      }
      current = this.table.createStream(session, streamId, this.stream.mode, this.stream.last);
      current.completed = this.stream.completed;
      metadataWritten(current, now, this.options);
    }
    this.stream.writers--;
    current.writers++;
    this.stream = current;
    return current;
  }
}

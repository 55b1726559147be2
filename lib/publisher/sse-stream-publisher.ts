import { Injectable, Logger } from '@nestjs/common';
import { SseSessionDeletedError } from '../errors/sse-session-deleted.error';
import { SseStreamClosedError } from '../errors/sse-stream-closed.error';
import type { SseEventInput, SseEventStreamWriter, SseStreamAddress } from '../interfaces/sse-event.interface';
import { printableId } from '../logging/printable-id';
import { SseEventStore } from '../sse-event-store';
import { assertEventInput } from '../stream/event-input';

/**
 * Appends to streams without keeping writers: it opens the writer of a stream on its first
 * append, reuses it for the next ones, and forgets it once the stream is completed or its session
 * deleted. Safe under concurrency: appends to one stream are stored in call order, an append and a
 * completion racing each other never reopen the stream, and a completion is final — later appends
 * reject with `SseStreamClosedError`, here and, on the Redis-native path, in every instance (a
 * writer another instance still holds is refused by Redis).
 *
 * ```ts
 * constructor(private readonly streams: SseStreamPublisher) {}
 *
 * await this.streams.append({ sessionId: jobId, streamId: 'progress' }, { data: { percent } });
 * await this.streams.complete({ sessionId: jobId, streamId: 'progress' });
 * ```
 *
 * Provided by `SseEventStoreModule` (and the testing module) on the same store. Writers stay open
 * until their stream is completed or its session deleted, and an open writer keeps its stream
 * from expiring: complete streams that are done.
 */
@Injectable()
export class SseStreamPublisher {
  private readonly logger = new Logger('SseEventStore');
  /** The writer of each stream this process appends to, or the promise of one being opened. */
  private readonly writers = new Map<string, Promise<SseEventStreamWriter>>();

  constructor(private readonly store: SseEventStore) {}

  /**
   * Appends the event to the stream, creating the stream on its first event, and resolves with
   * the event, `id` assigned, once stored. Rejects as `SseEventStreamWriter.write` does, and with
   * `SseStreamClosedError` once the stream was completed.
   */
  async append<T extends SseEventInput>(address: SseStreamAddress, event: T): Promise<T & { id: string }> {
    assertEventInput(event); // before the stream is created: a refused first event creates nothing
    const writer = await this.writerOf(address);
    try {
      return await writer.write(event);
    } catch (error) {
      if (error instanceof SseStreamClosedError || error instanceof SseSessionDeletedError) this.forget(address, writer);
      throw error;
    }
  }

  /**
   * Marks the stream completed: its readers end after its last event, and later appends are
   * refused. Idempotent; a stream that does not exist yet is created completed (empty).
   */
  async complete(address: SseStreamAddress): Promise<void> {
    let writer: SseEventStreamWriter;
    try {
      writer = await this.writerOf(address);
    } catch (error) {
      if (error instanceof SseStreamClosedError) return; // completed already
      throw error;
    }
    await writer.complete(); // rejects typed, and may be retried, when the store did not take it
    this.forget(address, writer);
    this.logger.verbose(`Completed stream ${printableId(address.streamId)}.`);
  }

  /** Deletes every stream of the session (`SseEventStore.deleteStreamsForSession`) and forgets their writers. */
  async deleteSession(sessionId: string): Promise<void> {
    for (const key of this.writers.keys()) {
      if ((JSON.parse(key) as [string, string])[0] === sessionId) this.writers.delete(key);
    }
    await this.store.deleteStreamsForSession(sessionId);
  }

  /** The open writer of the stream, opened on first use; one open at a time per stream. */
  private writerOf(address: SseStreamAddress): Promise<SseEventStreamWriter> {
    const key = streamKey(address);
    let writer = this.writers.get(key);
    if (!writer) {
      // A completed stream is not reopened: its completion is final for this API.
      writer = this.store.createStream({ sessionId: address.sessionId, streamId: address.streamId, reopenCompleted: false });
      this.writers.set(key, writer);
      writer.catch(() => {
        if (this.writers.get(key) === writer) this.writers.delete(key);
      });
    }
    return writer;
  }

  private forget(address: SseStreamAddress, writer: SseEventStreamWriter): void {
    const key = streamKey(address);
    const current = this.writers.get(key);
    if (current) void current.then((open) => open === writer && this.writers.get(key) === current && this.writers.delete(key));
  }
}

function streamKey({ sessionId, streamId }: SseStreamAddress): string {
  return JSON.stringify([sessionId, streamId]);
}

import { SseEventStoreError } from '../errors/sse-event-store.error';
import { SseEventPersistenceError } from '../errors/sse-event-persistence.error';
import { SseInvalidInputError } from '../errors/sse-invalid-input.error';
import { SseStreamClosedError } from '../errors/sse-stream-closed.error';
import type { StreamEventIds } from '../event-id/event-id-format.interface';
import type { SseEventInput, SseEventStreamWriter, SseStreamAddress } from '../interfaces/sse-event.interface';
import { assertMode, type SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import { encodeEvent } from '../encoding/stored-records';
import { assertEventInput } from './event-input';
import type { StreamAppender } from '../storage/stream-storage.interface';
import { AppendedEvents } from '../encoding/appended-events';
import { printableId } from '../logging/printable-id';
import type { StoreMetrics } from '../metrics/store-metrics';

/** Largest number of events stored in one cache call. */
const MAX_BATCH = 512;

interface PendingOperation {
  resolve(sequence: number): void;
  reject(error: unknown): void;
}
interface PendingEvent extends PendingOperation {
  kind: 'event';
  payload: string;
}
interface PendingUpdate extends PendingOperation {
  kind: 'update';
  change: { mode?: SseEventStreamMode; completed?: boolean };
}

/**
 * Writer of one stream. Operations are applied in call order, one cache call at a time;
 * writes issued while another is in flight are stored together in the next batch, so
 * concurrent writes cost less than one round trip each and get sequences 1..n without gaps.
 */
export class StreamWriter implements SseEventStreamWriter {
  readonly sessionId: string;
  readonly streamId: string;
  private readonly queue: (PendingEvent | PendingUpdate)[] = [];
  private draining = false;
  /** Why the writer accepts nothing more, once it does not. */
  private closedBy?: SseEventStoreError;
  private completion?: Promise<void>;
  private terminated = false;

  constructor(
    private readonly address: SseStreamAddress,
    /** The ids of the stream's events. */
    private readonly eventId: StreamEventIds,
    private readonly appender: StreamAppender,
    /** Wakes the stream's readers after a change is stored, handing them the events of a write. */
    private readonly wakeReaders: (address: SseStreamAddress, appended?: AppendedEvents) => void,
    private readonly maxEventBytes: number,
    /** Called once the writer is closed, so the store can accept a new writer for the stream. */
    private readonly onClosed: () => void,
    private readonly metrics: StoreMetrics,
  ) {
    this.sessionId = address.sessionId;
    this.streamId = address.streamId;
  }

  // Each call that rejects counts its error (once, however many calls it fails).
  write<T extends SseEventInput>(event: T): Promise<T & { id: string }> {
    // Nothing of this writer pending and a storage in this process: stored at once, in order,
    // without suspending an async function per write as a queued write does.
    if (!this.appender.appendNow || this.draining) return this.writeQueued(event);
    try {
      const payload = this.payloadOf(event);
      if (payload === undefined) return Promise.resolve(event as T & { id: string });
      return Promise.resolve(this.withId(event, this.appendNow(payload)));
    } catch (error) {
      this.metrics.error(error);
      return Promise.reject(error);
    }
  }

  private async writeQueued<T extends SseEventInput>(event: T): Promise<T & { id: string }> {
    try {
      const payload = this.payloadOf(event);
      if (payload === undefined) return event as T & { id: string };
      return this.withId(event, await this.enqueue({ kind: 'event', payload }));
    } catch (error) {
      this.metrics.error(error);
      throw error;
    }
  }

  /** The event as stored; `undefined` for an event that already has an id (stored before: returned as it is). */
  private payloadOf(event: SseEventInput): string | undefined {
    assertEventInput(event);
    if (typeof event.id === 'string') return undefined;
    if (this.closedBy) throw this.closedBy;
    return this.encode(event);
  }

  private withId<T extends SseEventInput>(event: T, sequence: number): T & { id: string } {
    // Object.assign, not a spread: on Node 20 a spread of the caller's event cost about half of
    // a write in memory (Object.assign a tenth of that). A spread only where the two differ: an
    // own "__proto__" would set the copy's prototype instead of becoming a property.
    const written = Object.hasOwn(event, '__proto__') ? { ...event } : Object.assign({}, event);
    written.id = this.eventId(sequence);
    return written as T & { id: string };
  }

  async setMode(mode: SseEventStreamMode): Promise<void> {
    try {
      assertMode(mode);
      if (this.closedBy) throw this.closedBy;
      await this.enqueue({ kind: 'update', change: { mode } });
    } catch (error) {
      this.metrics.error(error);
      throw error;
    }
  }

  complete(): Promise<void> {
    // A writer closed by its session's deletion stores nothing more, not even its completion.
    if (this.terminated) {
      this.metrics.error(this.closedBy);
      return Promise.reject(this.closedBy);
    }
    if (!this.completion) {
      this.closedBy ??= new SseStreamClosedError(this.sessionId, this.streamId);
      this.completion = this.enqueue({ kind: 'update', change: { completed: true } }).then(
        () => this.release(),
        (error: unknown) => {
          // Completion may be retried; the writer stays closed for writes.
          this.completion = undefined;
          this.metrics.error(error);
          throw error;
        },
      );
    }
    return this.completion;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.complete();
  }

  /** Closes the writer without storing anything more (its session was deleted); pending writes fail with `error`. */
  terminate(error: SseEventStoreError): void {
    this.terminated = true;
    this.closedBy = error;
    for (const operation of this.queue.splice(0)) operation.reject(error);
    this.release();
  }

  private release(): void {
    this.appender.close();
    this.onClosed();
  }

  private encode(event: SseEventInput): string {
    let payload: string;
    try {
      payload = encodeEvent(event.data, event.type, event.retry, Date.now());
    } catch (error) {
      throw new SseInvalidInputError(`The event data cannot be stored as JSON: ${String(error)}`, { cause: error });
    }
    // A character takes at most 3 bytes in UTF-8: most events need no count.
    if (payload.length * 3 > this.maxEventBytes && Buffer.byteLength(payload) > this.maxEventBytes) {
      throw new SseInvalidInputError(`The event is larger than the limit of ${this.maxEventBytes} bytes (option maxEventBytes).`);
    }
    return payload;
  }

  /** Stores one event through the storage's synchronous append, outside the queue; throws as a failed batch rejects. */
  private appendNow(payload: string): number {
    const payloads = [payload];
    const startTime = this.metrics.startTime();
    let first: number;
    try {
      first = this.appender.appendNow!(payloads);
    } catch (error) {
      throw this.failed(error);
    } finally {
      this.metrics.appendTook(startTime);
    }
    this.metrics.eventsWritten(1);
    this.wakeReaders(this.address, new AppendedEvents(first, payloads));
    return first;
  }

  private enqueue(operation: Omit<PendingEvent, keyof PendingOperation> | Omit<PendingUpdate, keyof PendingOperation>) {
    return new Promise<number>((resolve, reject) => {
      // Completed in place, not spread into a new object: this runs once per event, and such a
      // spread costs about as much CPU as the rest of the write path together.
      const pending = operation as PendingEvent | PendingUpdate;
      pending.resolve = resolve;
      pending.reject = reject;
      this.queue.push(pending);
      if (!this.draining) {
        this.draining = true;
        // Started a microtask later, so writes issued in the same tick share the first batch.
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        let first = 0;
        let appended: AppendedEvents | undefined;
        if (batch[0].kind === 'event') {
          const payloads = batch.map((operation) => (operation as PendingEvent).payload);
          const startTime = this.metrics.startTime();
          try {
            first = await this.appender.append(payloads);
          } finally {
            this.metrics.appendTook(startTime);
          }
          this.metrics.eventsWritten(payloads.length);
          appended = new AppendedEvents(first, payloads);
        } else {
          await this.appender.update((batch[0] as PendingUpdate).change);
        }
        this.wakeReaders(this.address, appended);
        batch.forEach((operation, index) => {
          operation.resolve(first + index);
        });
      } catch (error) {
        const typed = this.failed(error);
        for (const operation of batch) operation.reject(typed);
      }
    }
    this.draining = false;
  }

  /** A write that failed, as its callers get it; the writer closes when another writer completed the stream. */
  private failed(error: unknown): SseEventStoreError {
    const typed =
      error instanceof SseEventStoreError
        ? error
        : new SseEventPersistenceError(`Writing to stream ${printableId(this.streamId)} failed.`, { cause: error });
    // Another writer completed the stream (in another process): nothing more is accepted.
    if (typed instanceof SseStreamClosedError && !this.closedBy) {
      this.closedBy = typed;
      for (const operation of this.queue.splice(0)) operation.reject(typed);
      this.release();
    }
    return typed;
  }

  /** The next operations to send together: consecutive events, or one update. */
  private takeBatch(): (PendingEvent | PendingUpdate)[] {
    if (this.queue[0].kind === 'update') return this.queue.splice(0, 1);
    let count = 1;
    while (count < this.queue.length && count < MAX_BATCH && this.queue[count].kind === 'event') count++;
    return this.queue.splice(0, count);
  }
}

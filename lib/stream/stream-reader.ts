import { Observable, type Subscriber } from 'rxjs';
import { SseHistoryExpiredError } from '../errors/sse-history-expired.error';
import { SseSessionDeletedError } from '../errors/sse-session-deleted.error';
import type { StreamEventIds } from '../event-id/event-id-format.interface';
import type {
  SseEventStreamReader,
  SseFlowControl,
  SseReadOptions,
  SseStoredEvent,
  SseStreamAddress,
} from '../interfaces/sse-event.interface';
import { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import type { StoreMetrics } from '../metrics/store-metrics';
import { SKIPPED_SEQUENCE, type StoredEventRecord, type StreamReadResult, type StreamStorage } from '../storage/stream-storage.interface';
import type { StreamWakeup } from '../wakeup/stream-wakeup.interface';
import { ChangeSignal } from './change-signal';

/** Events read speculatively per round trip once a reader has caught up (new events come a few at a time). */
const LIVE_READ_SIZE = 16;

export interface StreamReaderSettings {
  /** Events read per round trip while replaying. */
  pageSize: number;
  /** The polling interval now, or `undefined` while wake-ups reach this reader from every writer. */
  pollingInterval(): number | undefined;
  /** Aborted when the application shuts down: readers then complete. */
  shutdown: AbortSignal;
  metrics: StoreMetrics;
}

/** Reads one stream after a position; every subscription to `events()` is an independent read. */
export class StreamReader implements SseEventStreamReader {
  readonly sessionId: string;
  readonly streamId: string;

  constructor(
    private readonly address: SseStreamAddress,
    /** The ids of the stream's events. */
    private readonly eventId: StreamEventIds,
    /** The last sequence the client has; reading starts after it. */
    private readonly afterSequence: number,
    /** The stream was completed and the client had its last event when the reader was opened. */
    readonly finished: boolean,
    private readonly storage: StreamStorage,
    private readonly wakeup: StreamWakeup,
    private readonly settings: StreamReaderSettings,
  ) {
    this.sessionId = address.sessionId;
    this.streamId = address.streamId;
  }

  events(options: SseReadOptions = {}): Observable<SseStoredEvent> {
    const { metrics } = this.settings;
    return new Observable<SseStoredEvent>((subscriber) => {
      metrics.readerOpened();
      const changes = new ChangeSignal();
      // Subscribed before the first read, so a write between that read and the wait is not missed.
      const unsubscribe = this.wakeup.subscribe(this.address, (appended) => changes.notify(appended));
      const onShutdown = (): void => subscriber.complete();
      this.settings.shutdown.addEventListener('abort', onShutdown);
      if (this.settings.shutdown.aborted) subscriber.complete();
      else
        this.pump(subscriber, changes, options).catch((error: unknown) => {
          // An error after the subscriber left reaches nobody.
          if (!subscriber.closed) metrics.error(error);
          subscriber.error(error);
        });
      return () => {
        metrics.readerClosed();
        unsubscribe();
        this.settings.shutdown.removeEventListener('abort', onShutdown);
        changes.notify(); // ends a pending wait; the pump sees the subscriber closed and stops
      };
    });
  }

  private async pump(subscriber: Subscriber<SseStoredEvent>, changes: ChangeSignal, options: SseReadOptions): Promise<void> {
    const { flowControl } = options;
    const followPolling = options.until === 'completed';
    const { metrics } = this.settings;
    let cursor = this.afterSequence;
    let caughtUp = false;
    // Until the reader first catches up, what it reads and delivers is replay; everything after is live.
    let replaying = true;
    while (!subscriber.closed) {
      changes.reset();
      const size: number = caughtUp ? LIVE_READ_SIZE : this.settings.pageSize;
      const result: StreamReadResult = replaying
        ? await this.readReplayPage(cursor + 1, size)
        : await this.storage.read(this.address, cursor + 1, size);
      if (subscriber.closed) return;
      if (result.status === 'deleted') throw new SseSessionDeletedError(this.sessionId);
      if (result.status === 'missing') throw new SseHistoryExpiredError(this.sessionId, this.streamId, cursor + 1);
      const { snapshot, events } = result;
      if (cursor < snapshot.lastSequence && cursor + 1 < snapshot.firstSequence) {
        throw new SseHistoryExpiredError(this.sessionId, this.streamId, cursor + 1, snapshot.firstSequence);
      }
      // Counted per page, not per event: a measurement costs more than delivering an event.
      let delivered = 0;
      try {
        for (const record of events) {
          if (!record) throw new SseHistoryExpiredError(this.sessionId, this.streamId, cursor + 1, snapshot.firstSequence);
          cursor++;
          if (record === SKIPPED_SEQUENCE) continue;
          subscriber.next(this.toMessage(record, cursor));
          delivered++;
          if (subscriber.closed) return;
          // Per event, not per page: a page of large events could otherwise pile up unwritten.
          if (flowControl?.writableNeedDrain) await drained(flowControl);
          if (subscriber.closed) return;
        }
      } finally {
        if (delivered > 0) metrics.eventsDelivered(delivered, replaying ? 'replay' : 'live');
      }
      caughtUp = cursor >= snapshot.lastSequence;
      if (caughtUp) replaying = false;
      if (!caughtUp) {
        // Let the consumer write what it got before the next page is read.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      if (snapshot.completed || (snapshot.mode === SseEventStreamMode.Polling && !followPolling)) {
        subscriber.complete();
        return;
      }
      cursor = await this.follow(subscriber, changes, cursor, flowControl);
    }
  }

  /**
   * Waits, caught up, for the stream to change, and delivers the events that come with the
   * wake-ups while they continue right after `cursor`: a live reader then costs no read per
   * event. Returns the new cursor once the stream has to be read: a wake-up without its events
   * (mode change, completion, deletion, a larger append, recovery), a gap (a wake-up missed), or
   * none at all within the polling interval.
   */
  private async follow(
    subscriber: Subscriber<SseStoredEvent>,
    changes: ChangeSignal,
    cursor: number,
    flowControl: SseFlowControl | undefined,
  ): Promise<number> {
    for (;;) {
      await changes.wait(this.settings.pollingInterval());
      const appends = changes.takeAppends();
      if (!appends || subscriber.closed) return cursor;
      let delivered = 0;
      try {
        for (const appended of appends) {
          if (appended.firstSequence > cursor + 1) return cursor;
          for (let sequence = cursor + 1; sequence <= appended.lastSequence; sequence++) {
            const record = appended.record(sequence);
            if (!record) return cursor;
            cursor = sequence;
            subscriber.next(this.toMessage(record, sequence));
            delivered++;
            if (subscriber.closed) return cursor;
            if (flowControl?.writableNeedDrain) await drained(flowControl);
            if (subscriber.closed) return cursor;
          }
        }
      } finally {
        if (delivered > 0) this.settings.metrics.eventsDelivered(delivered, 'live');
      }
    }
  }

  /** A read of a reader that has not caught up yet: counted and timed as a replay page. */
  private async readReplayPage(fromSequence: number, count: number): Promise<StreamReadResult> {
    const { metrics } = this.settings;
    const startTime = metrics.startTime();
    try {
      const result = await this.storage.read(this.address, fromSequence, count);
      metrics.replayPageRead();
      return result;
    } finally {
      metrics.replayPageTook(startTime);
    }
  }

  private toMessage(record: StoredEventRecord, sequence: number): SseStoredEvent {
    const { data } = record;
    // Nest's SSE writer takes strings and objects; other JSON values go out as their JSON text.
    const message: SseStoredEvent = {
      id: this.eventId(sequence),
      data: typeof data === 'string' || (typeof data === 'object' && data !== null) ? data : JSON.stringify(data),
    };
    if (record.type !== undefined) message.type = record.type;
    if (record.retry !== undefined) message.retry = record.retry;
    return message;
  }
}

/** Resolves when the response can take more, or is gone. */
function drained(flowControl: SseFlowControl): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      flowControl.off('drain', done);
      flowControl.off('close', done);
      resolve();
    };
    flowControl.once('drain', done);
    flowControl.once('close', done);
  });
}

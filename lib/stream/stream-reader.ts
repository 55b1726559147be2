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
import { decodeStoredEntry, storedWireData } from '../encoding/stored-records';
import { SKIPPED_SEQUENCE, type StoredEventEntry, type StreamReadResult, type StreamStorage } from '../storage/stream-storage.interface';
import type { StreamWakeup } from '../wakeup/stream-wakeup.interface';
import { ChangeSignal } from './change-signal';

/** Events read speculatively per round trip once a reader has caught up (new events come a few at a time). */
const LIVE_READ_SIZE = 16;

/**
 * Replay pages read while the one before is delivered. Two: the next page's answer is then
 * waiting by the time its predecessor is delivered (a page's answer is taken apart as it comes
 * in, before the reader sees it), and one more is on its way meanwhile.
 */
const PAGES_READ_AHEAD = 2;

/** A replay page read ahead: where it starts, and the read. */
interface PageAhead {
  fromSequence: number;
  page: Promise<StreamReadResult>;
}

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
    const forWire = options.wireData === true;
    const { metrics } = this.settings;
    let cursor = this.afterSequence;
    let caughtUp = false;
    // Until the reader first catches up, what it reads and delivers is replay; everything after is live.
    let replaying = true;
    const ahead: PageAhead[] = [];
    while (!subscriber.closed) {
      const next = ahead.shift();
      let result: StreamReadResult;
      if (next?.fromSequence === cursor + 1) result = await next.page;
      else {
        // Pages read ahead that do not continue right here (the stream's last sequence went back) are of no use.
        ahead.length = 0;
        result = await this.readFrom(changes, cursor + 1, replaying, caughtUp ? LIVE_READ_SIZE : this.settings.pageSize, forWire);
      }
      if (subscriber.closed) return;
      if (result.status === 'deleted') throw new SseSessionDeletedError(this.sessionId);
      if (result.status === 'missing') throw new SseHistoryExpiredError(this.sessionId, this.streamId, cursor + 1);
      const { snapshot, events } = result;
      if (cursor < snapshot.lastSequence && cursor + 1 < snapshot.firstSequence) {
        throw new SseHistoryExpiredError(this.sessionId, this.streamId, cursor + 1, snapshot.firstSequence);
      }
      if (replaying) this.readAhead(ahead, changes, cursor + events.length, snapshot.lastSequence, forWire);
      // Counted per page, not per event: a measurement costs more than delivering an event.
      let delivered = 0;
      try {
        for (const entry of events) {
          if (entry === SKIPPED_SEQUENCE) {
            cursor++;
            continue;
          }
          const message = entry && this.toMessage(entry, cursor + 1, options.wireData);
          if (!message) throw new SseHistoryExpiredError(this.sessionId, this.streamId, cursor + 1, snapshot.firstSequence);
          cursor++;
          subscriber.next(message);
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
      // Caught up, with a page read after this one: that read forgot the changes notified before
      // it (see `readFrom`), which this page may not show, so the reader goes on to it instead of waiting.
      if (!caughtUp || ahead.length > 0) {
        // Let the consumer write what it got before the next page is delivered.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      if (snapshot.completed || (snapshot.mode === SseEventStreamMode.Polling && !followPolling)) {
        subscriber.complete();
        return;
      }
      cursor = await this.follow(subscriber, changes, cursor, options);
    }
  }

  /**
   * Starts reading the replay pages after sequence `pageEnd` (the end of the page about to be
   * delivered) until {@link PAGES_READ_AHEAD} are under way, only those the stream is known to
   * hold (up to `lastSequence`): a replay takes as many reads as it would page by page. The
   * storage then answers the next pages while this process decodes and delivers the one before,
   * instead of each waiting for the other. A reader that stops meanwhile leaves their answers unread.
   */
  private readAhead(ahead: PageAhead[], changes: ChangeSignal, pageEnd: number, lastSequence: number, forWire: boolean): void {
    const { pageSize } = this.settings;
    let fromSequence = ahead.length > 0 ? ahead[ahead.length - 1].fromSequence + pageSize : pageEnd + 1;
    for (; ahead.length < PAGES_READ_AHEAD && fromSequence <= lastSequence; fromSequence += pageSize) {
      const page = this.readFrom(changes, fromSequence, true, pageSize, forWire);
      page.catch(() => undefined); // thrown where the page is awaited, if it still is
      ahead.push({ fromSequence, page });
    }
  }

  /** Reads the stream from `fromSequence` on; `forWire` as in `StreamStorage.read`. */
  private readFrom(
    changes: ChangeSignal,
    fromSequence: number,
    replaying: boolean,
    count: number,
    forWire: boolean,
  ): Promise<StreamReadResult> {
    // Forgets the changes this read will see, and only those: one notified while it is under way
    // still ends the wait once the reader caught up.
    changes.reset();
    return replaying ? this.readReplayPage(fromSequence, count, forWire) : this.storage.read(this.address, fromSequence, count, forWire);
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
    { flowControl, wireData }: SseReadOptions,
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
            // The wire text is cut from the stored JSON per reader; a decoded value is shared by all.
            const entry = wireData ? appended.storedAt(sequence) : appended.record(sequence);
            const message = entry && this.toMessage(entry, sequence, wireData);
            if (!message) return cursor;
            cursor = sequence;
            subscriber.next(message);
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
  private async readReplayPage(fromSequence: number, count: number, forWire: boolean): Promise<StreamReadResult> {
    const { metrics } = this.settings;
    const startTime = metrics.startTime();
    try {
      const result = await this.storage.read(this.address, fromSequence, count, forWire);
      metrics.replayPageRead();
      return result;
    } finally {
      metrics.replayPageTook(startTime);
    }
  }

  /** The message of a stored event (see `SseReadOptions.wireData`); `undefined` when the event cannot be decoded. */
  private toMessage(entry: StoredEventEntry, sequence: number, wireData = false): SseStoredEvent | undefined {
    const wireText = wireData && typeof entry === 'string' ? storedWireData(entry) : undefined;
    if (wireText !== undefined) return { id: this.eventId(sequence), data: wireText };
    const record = decodeStoredEntry(entry);
    if (!record) return undefined;
    const { data } = record;
    // Nest's SSE writer takes strings and objects; other JSON values go out as their JSON text.
    const message: SseStoredEvent = {
      id: this.eventId(sequence),
      data: typeof data === 'string' || (!wireData && typeof data === 'object' && data !== null) ? data : JSON.stringify(data),
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

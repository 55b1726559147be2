import type { Attributes, Counter, Histogram, ObservableCallback, ObservableGauge, UpDownCounter } from '@opentelemetry/api';
import { SseEventStoreError } from '../errors/sse-event-store.error';
import type { StoreMeter } from './store-meter';

/** How waiting readers are woken: pushed by every writer, or polling the storage. */
export type WakeupState = 'push' | 'polling';

/** Whether a reader delivers events it is catching up on (`replay`) or events written since it caught up (`live`). */
export type Delivery = 'live' | 'replay';

/** Bucket boundaries, in seconds, of every duration: from half a millisecond to the default operation timeout and beyond. */
const SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

// Attribute sets are built once: a measurement on a hot path allocates nothing.
const DELIVERY_ATTRIBUTES: Record<Delivery, Attributes> = {
  live: Object.freeze({ 'sse_event_store.delivery': 'live' }),
  replay: Object.freeze({ 'sse_event_store.delivery': 'replay' }),
};
const WAKEUP_STATES: readonly WakeupState[] = ['push', 'polling'];
const WAKEUP_STATE_ATTRIBUTES: Record<WakeupState, Attributes> = {
  push: Object.freeze({ 'sse_event_store.wakeup.state': 'push' }),
  polling: Object.freeze({ 'sse_event_store.wakeup.state': 'polling' }),
};

/**
 * The instruments of one store (names, units and attributes in docs/operations.md). Their
 * attributes take a few fixed values each, never a session or stream id, so the number of series
 * stays small whatever the traffic. Without a meter (no `@opentelemetry/api`) every method does
 * nothing; with the API's no-op meter (no SDK registered) the instruments are its no-ops and the
 * clock is not read for them.
 */
export class StoreMetrics {
  /** False when measurements are dropped anyway: callers then skip what only feeds them. */
  readonly records: boolean;
  private readonly written?: Counter;
  private readonly delivered?: Counter;
  private readonly replayPages?: Counter;
  private readonly activeReaders?: UpDownCounter;
  private readonly openWriters?: UpDownCounter;
  private readonly appendDuration?: Histogram;
  private readonly replayPageDuration?: Histogram;
  private readonly deliveryLag?: Histogram;
  private readonly errors?: Counter;
  private readonly deletedSessions?: Counter;
  private readonly wakeupState?: ObservableGauge;
  /** The `error.type` attribute of each error code met so far (a handful: one per error class). */
  private readonly errorAttributes = new Map<string, Attributes>();
  private readonly countedErrors = new WeakSet<SseEventStoreError>();

  constructor({ meter, records }: StoreMeter) {
    this.records = records;
    if (!meter) return;
    const seconds = { unit: 's', advice: { explicitBucketBoundaries: SECONDS_BUCKETS } };
    this.written = meter.createCounter('sse_event_store.events.written', {
      unit: '{event}',
      description: 'Events stored by the writers of this instance.',
    });
    this.delivered = meter.createCounter('sse_event_store.events.delivered', {
      unit: '{event}',
      description: 'Events delivered by the readers of this instance: replayed from storage, or live.',
    });
    this.replayPages = meter.createCounter('sse_event_store.replay.pages', {
      unit: '{page}',
      description: 'Pages of events read from storage by readers catching up.',
    });
    this.activeReaders = meter.createUpDownCounter('sse_event_store.readers.active', {
      unit: '{reader}',
      description: 'Readers subscribed in this instance.',
    });
    this.openWriters = meter.createUpDownCounter('sse_event_store.writers.open', {
      unit: '{writer}',
      description: 'Writers open in this instance.',
    });
    this.appendDuration = meter.createHistogram('sse_event_store.append.duration', {
      ...seconds,
      description: 'Duration of each append to storage (one batch of events of a stream).',
    });
    this.replayPageDuration = meter.createHistogram('sse_event_store.replay.page.duration', {
      ...seconds,
      description: 'Duration of each read of a page of events by a reader catching up.',
    });
    this.deliveryLag = meter.createHistogram('sse_event_store.delivery.lag', {
      ...seconds,
      description: 'Time from a write in another instance to its wake-up arriving in this one.',
    });
    this.errors = meter.createCounter('sse_event_store.errors', {
      unit: '{error}',
      description: 'Errors the store gave the application, by code.',
    });
    this.deletedSessions = meter.createCounter('sse_event_store.sessions.deleted', {
      unit: '{session}',
      description: 'Sessions deleted through this instance.',
    });
    this.wakeupState = meter.createObservableGauge('sse_event_store.wakeup.state', {
      unit: '1',
      description: 'How waiting readers are woken: 1 for the current state (push or polling), 0 for the other.',
    });
  }

  /** A start time for {@link appendTook} and {@link replayPageTook}; 0, without reading the clock, when nothing is recorded. */
  startTime(): number {
    return this.records ? performance.now() : 0;
  }

  eventsWritten(count: number): void {
    this.written?.add(count);
  }

  appendTook(startTime: number): void {
    if (this.records) this.appendDuration?.record(secondsSince(startTime));
  }

  eventsDelivered(count: number, delivery: Delivery): void {
    this.delivered?.add(count, DELIVERY_ATTRIBUTES[delivery]);
  }

  replayPageRead(): void {
    this.replayPages?.add(1);
  }

  replayPageTook(startTime: number): void {
    if (this.records) this.replayPageDuration?.record(secondsSince(startTime));
  }

  readerOpened(): void {
    this.activeReaders?.add(1);
  }

  readerClosed(): void {
    this.activeReaders?.add(-1);
  }

  writerOpened(): void {
    this.openWriters?.add(1);
  }

  writerClosed(): void {
    this.openWriters?.add(-1);
  }

  sessionDeleted(): void {
    this.deletedSessions?.add(1);
  }

  /**
   * Counts an error the store gives the application, once: an error that fails several calls
   * (writes stored together, or refused by a closed writer) counts once. Other errors are not counted.
   */
  error(error: unknown): void {
    if (!this.errors || !(error instanceof SseEventStoreError) || this.countedErrors.has(error)) return;
    this.countedErrors.add(error);
    let attributes = this.errorAttributes.get(error.code);
    if (!attributes) this.errorAttributes.set(error.code, (attributes = Object.freeze({ 'error.type': error.code })));
    this.errors.add(1, attributes);
  }

  /**
   * Records the lag of a wake-up from another instance whose writer stamped it at `writtenAt`
   * (ms since the epoch, its clock). A negative lag (the clocks disagree) is not recorded.
   */
  wakeupArrived(writtenAt: number): void {
    if (!this.records) return;
    const lag = Date.now() - writtenAt;
    if (lag >= 0) this.deliveryLag?.record(lag / 1000);
  }

  /** Reports `state()` on every collection, until the returned function is called. */
  reportWakeupState(state: () => WakeupState): () => void {
    const gauge = this.wakeupState;
    if (!gauge) return () => undefined;
    const callback: ObservableCallback = (result) => {
      const current = state();
      for (const candidate of WAKEUP_STATES) result.observe(candidate === current ? 1 : 0, WAKEUP_STATE_ATTRIBUTES[candidate]);
    };
    gauge.addCallback(callback);
    return () => gauge.removeCallback(callback);
  }
}

function secondsSince(startTime: number): number {
  return (performance.now() - startTime) / 1000;
}

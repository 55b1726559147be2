import { setMaxListeners } from 'node:events';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import { SseHistoryExpiredError } from './errors/sse-history-expired.error';
import { SseInvalidInputError } from './errors/sse-invalid-input.error';
import { SseSessionDeletedError } from './errors/sse-session-deleted.error';
import { createEventIdFormat } from './event-id/create-event-id-format';
import type { EventIdFormat } from './event-id/event-id-format.interface';
import type {
  SseCreateStreamOptions,
  SseEventStreamReader,
  SseEventStreamWriter,
  SseGetStreamReaderOptions,
  SseStreamAddress,
} from './interfaces/sse-event.interface';
import { assertMode, SseEventStreamMode } from './interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from './interfaces/sse-event-store-options.interface';
import { SseEventStore } from './sse-event-store';
import { isGoneEvent, type StreamSnapshot, type StreamStorage } from './storage/stream-storage.interface';
import { printableId } from './logging/printable-id';
import { StreamReader } from './stream/stream-reader';
import { StreamWriter } from './stream/stream-writer';
import { WriterRegistry } from './stream/writer-registry';
import { STORE_BROADCAST, type StoreBroadcast } from './wakeup/store-broadcast';
import type { StreamWakeup } from './wakeup/stream-wakeup.interface';
import type { AppendedEvents } from './encoding/appended-events';
import type { StoreMetrics } from './metrics/store-metrics';

/** How the store's storage and wake-ups work together: decided where the two are assembled. */
export interface StoreWiring {
  /** True when no other process can write to the storage, so in-process wake-ups reach every reader. */
  storageIsProcessLocal: boolean;
  /**
   * True when the storage publishes each change's wake-up to the other processes itself, in the
   * same round trip as the write; writers then wake only the readers of this process.
   */
  storagePublishesWakeups: boolean;
}

/** The store: id handling, writer bookkeeping and readers on top of a {@link StreamStorage}. */
export class DefaultSseEventStore extends SseEventStore implements OnModuleDestroy {
  private readonly logger = new Logger(SseEventStore.name);
  private readonly ids: EventIdFormat;
  private readonly writers: WriterRegistry;
  private readonly shutdown = new AbortController();
  private readonly wakeReaders: (address: SseStreamAddress, appended?: AppendedEvents) => void;

  constructor(
    private readonly storage: StreamStorage,
    private readonly wakeup: StreamWakeup,
    private readonly options: ResolvedSseEventStoreOptions,
    private readonly wiring: StoreWiring,
    private readonly metrics: StoreMetrics,
  ) {
    super();
    this.writers = new WriterRegistry(metrics);
    this.wakeReaders = wiring.storagePublishesWakeups
      ? (address, appended) => wakeup.notifyLocal(address, appended)
      : (address, appended) => wakeup.notify(address, appended);
    this.ids = createEventIdFormat(options);
    // Every open reader listens for shutdown: thousands of listeners are expected, not a leak.
    setMaxListeners(0, this.shutdown.signal);
  }

  // The public methods count the typed errors they reject with, where the application gets them.
  async createStream(options: SseCreateStreamOptions): Promise<SseEventStreamWriter> {
    try {
      return await this.openWriter(options);
    } catch (error) {
      this.metrics.error(error);
      throw error;
    }
  }

  async getStreamReader(lastEventId: string, options?: SseGetStreamReaderOptions): Promise<SseEventStreamReader | null> {
    try {
      return await this.readerAfter(lastEventId, options);
    } catch (error) {
      this.metrics.error(error);
      throw error;
    }
  }

  async getStreamReaderFromStart(address: SseStreamAddress): Promise<SseEventStreamReader | null> {
    try {
      return await this.readerFromStart(address);
    } catch (error) {
      this.metrics.error(error);
      throw error;
    }
  }

  async deleteStreamsForSession(sessionId: string): Promise<void> {
    try {
      await this.deleteSession(sessionId);
    } catch (error) {
      this.metrics.error(error);
      throw error;
    }
    this.metrics.sessionDeleted();
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
  }

  /** The broadcast channel on this store's wake-ups (see `storeBroadcastOf`). */
  [STORE_BROADCAST](): StoreBroadcast {
    return this.wakeup;
  }

  private async openWriter(options: SseCreateStreamOptions): Promise<StreamWriter> {
    this.assertAddress(options);
    const { sessionId, streamId, mode = SseEventStreamMode.Streaming, reopenCompleted = true } = options;
    const address = { sessionId, streamId };
    assertMode(mode);
    const release = this.writers.reserve(address);
    try {
      const appender = await this.storage.openStream(address, mode, reopenCompleted !== false);
      const writer = new StreamWriter(
        address,
        this.ids.forStream(address),
        appender,
        this.wakeReaders,
        this.options.maxEventBytes,
        release,
        this.metrics,
      );
      this.writers.attach(writer);
      this.logger.verbose(`Stream ${printableId(streamId)} opened (${mode}).`);
      return writer;
    } catch (error) {
      release();
      throw error;
    }
  }

  private async readerAfter(lastEventId: string, options?: SseGetStreamReaderOptions): Promise<StreamReader | null> {
    const position = this.ids.parse(lastEventId);
    if (!position) {
      this.logger.debug('A Last-Event-ID that is not one of ours was refused.');
      return null;
    }
    if (options?.sessionId !== undefined && options.sessionId !== position.sessionId) return null;
    const { sequence, ...address } = position;
    const result = await this.storage.read(address, sequence + 1, 1);
    if (result.status !== 'found' || sequence > result.snapshot.lastSequence) return null;
    const { snapshot, events } = result;
    if (sequence < snapshot.lastSequence && (sequence + 1 < snapshot.firstSequence || isGoneEvent(events[0]))) {
      throw new SseHistoryExpiredError(address.sessionId, address.streamId, sequence + 1, snapshot.firstSequence);
    }
    return this.reader(address, sequence, snapshot);
  }

  private async readerFromStart(address: SseStreamAddress): Promise<StreamReader | null> {
    this.assertAddress(address);
    let result = await this.storage.read(address, 1, 1);
    if (result.status !== 'found') return null;
    const { firstSequence } = result.snapshot;
    // The retention cap trimmed the oldest events: read the first one it keeps.
    if (firstSequence > 1 && firstSequence <= result.snapshot.lastSequence) {
      result = await this.storage.read(address, firstSequence, 1);
      if (result.status !== 'found') return null;
    }
    const { snapshot, events } = result;
    // The first event is gone too (expired, or evicted and marked lost): starting at a later one
    // would skip events silently, so the client is told before anything is sent.
    if (snapshot.lastSequence >= snapshot.firstSequence && isGoneEvent(events[0])) {
      throw new SseHistoryExpiredError(address.sessionId, address.streamId, snapshot.firstSequence, snapshot.firstSequence);
    }
    return this.reader(address, snapshot.firstSequence - 1, snapshot);
  }

  private async deleteSession(sessionId: string): Promise<void> {
    this.assertId(sessionId, 'session');
    const deleted = new SseSessionDeletedError(sessionId);
    for (const writer of this.writers.writersOf(sessionId)) writer.terminate(deleted);
    const count = await this.storage.deleteSession(sessionId);
    // A createStream that was already opening its stream when the delete began got its writer
    // meanwhile (the storage runs the two one after the other); it must not write into the
    // deleted session either.
    for (const writer of this.writers.writersOf(sessionId)) writer.terminate(deleted);
    this.wakeup.notifySession(sessionId);
    this.logger.debug(`Deleted ${count} stream(s) of session ${printableId(sessionId)}.`);
  }

  /** A reader after `afterSequence`, given the stream's state when it was opened. */
  private reader(address: SseStreamAddress, afterSequence: number, snapshot: StreamSnapshot): StreamReader {
    const finished = snapshot.completed && afterSequence >= snapshot.lastSequence;
    return new StreamReader(address, this.ids.forStream(address), afterSequence, finished, this.storage, this.wakeup, {
      pageSize: this.options.replayPageSize,
      pollingInterval: () =>
        this.wiring.storageIsProcessLocal || this.wakeup.reachesOtherProcesses ? undefined : this.options.pollingInterval,
      shutdown: this.shutdown.signal,
      metrics: this.metrics,
    });
  }

  private assertAddress(address: SseStreamAddress): void {
    if (address === null || typeof address !== 'object') throw new SseInvalidInputError('A session id and a stream id are required.');
    this.assertId(address.sessionId, 'session');
    this.assertId(address.streamId, 'stream');
  }

  private assertId(id: unknown, what: string): void {
    if (typeof id !== 'string') throw new SseInvalidInputError(`The ${what} id must be a string.`);
    if (id.length > this.options.maxIdLength) {
      throw new SseInvalidInputError(`The ${what} id is longer than ${this.options.maxIdLength} characters (option maxIdLength).`);
    }
    if (!id.isWellFormed()) throw new SseInvalidInputError(`The ${what} id is not well-formed Unicode.`);
  }
}

import type {
  SseCreateStreamOptions,
  SseEventStreamReader,
  SseEventStreamWriter,
  SseGetStreamReaderOptions,
  SseStreamAddress,
} from './interfaces/sse-event.interface';

/**
 * The event store, and its injection token: `constructor(private readonly store: SseEventStore)`.
 * Provided by {@link SseEventStoreModule}; an abstract class, so tests can override it with a fake.
 */
export abstract class SseEventStore {
  /**
   * Opens the writer of a stream. A stream that already holds events is continued after its
   * last stored sequence (a second writer never overwrites). Rejects with
   * `SseStreamWriterConflictError` while this process has another open writer for the stream,
   * and with `SseSessionDeletedError` for a deleted session.
   */
  abstract createStream(options: SseCreateStreamOptions): Promise<SseEventStreamWriter>;

  /**
   * A reader that starts right after the event `lastEventId`, or `null` when that id cannot be
   * resumed: unparseable, unknown stream, deleted session, a sequence that was never written,
   * or (with `options.sessionId`) an id of another session. Rejects with
   * `SseHistoryExpiredError` when the events after it are gone, before anything is emitted.
   */
  abstract getStreamReader(lastEventId: string, options?: SseGetStreamReaderOptions): Promise<SseEventStreamReader | null>;

  /**
   * A reader from the oldest event the stream still holds (for a client without
   * `Last-Event-ID`), or `null` for an unknown stream or a deleted session.
   */
  abstract getStreamReaderFromStart(address: SseStreamAddress): Promise<SseEventStreamReader | null>;

  /** Removes every stream of the session; afterwards none of its ids can be resumed. */
  abstract deleteStreamsForSession(sessionId: string): Promise<void>;
}

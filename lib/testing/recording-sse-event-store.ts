import type { OnModuleDestroy } from '@nestjs/common';
import type {
  SseCreateStreamOptions,
  SseEventStreamReader,
  SseEventStreamWriter,
  SseGetStreamReaderOptions,
  SseStreamAddress,
} from '../interfaces/sse-event.interface';
import { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import { SseEventStore } from '../sse-event-store';
import { STORE_BROADCAST, type StoreBroadcast, storeBroadcastOf } from '../wakeup/store-broadcast';
import { createSseEventStore } from './create-sse-event-store';
import type { RecordedSseActivity, RecordedSseEvent, RecordedSseStream } from './recorded-sse-activity.interface';
import { RecordingSseEventStreamWriter } from './recording-sse-event-stream-writer';

/**
 * A real {@link SseEventStore} that also records what was written to it, for assertions in
 * tests. It wraps another store and hands every call on to it, so readers, ids, resumption and
 * errors behave exactly as in production; it only remembers what that store acknowledged:
 * streams created, events written (with their ids), mode changes, completions and deleted
 * sessions.
 *
 * ```ts
 * const store = new RecordingSseEventStore(); // on a fresh in-memory store
 * const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(SseEventStore).useValue(store)
 *   .compile();
 * // ... exercise the application ...
 * assert.deepEqual(store.writtenEvents('session-1', 'stream-1').map((e) => e.data), ['a', 'b']);
 * ```
 *
 * `SseEventStoreTestingModule.forRoot()` provides one as both `SseEventStore` and
 * `RecordingSseEventStore`.
 */
export class RecordingSseEventStore extends SseEventStore implements OnModuleDestroy {
  private log: RecordedSseActivity[] = [];
  private readonly inner: SseEventStore;
  /** Releases the store this instance created itself; a store passed in belongs to the caller. */
  private readonly closeOwnStore?: () => void;

  /**
   * @param inner the store that does the work. Defaults to a new real store on a fresh
   *   in-memory cache (see `createSseEventStore`), which this instance then owns and closes.
   */
  constructor(inner?: SseEventStore) {
    super();
    if (inner) {
      this.inner = inner;
    } else {
      const own = createSseEventStore();
      this.inner = own.store;
      this.closeOwnStore = own.close;
    }
  }

  async createStream(options: SseCreateStreamOptions): Promise<SseEventStreamWriter> {
    const writer = await this.inner.createStream(options);
    this.log.push({
      kind: 'stream-created',
      sessionId: writer.sessionId,
      streamId: writer.streamId,
      mode: options.mode ?? SseEventStreamMode.Streaming,
    });
    return new RecordingSseEventStreamWriter(writer, (activity) => this.log.push(activity));
  }

  getStreamReader(lastEventId: string, options?: SseGetStreamReaderOptions): Promise<SseEventStreamReader | null> {
    return this.inner.getStreamReader(lastEventId, options);
  }

  /**
   * The wrapped store's broadcast channel, for integrations built on it (MCP's `ServerEventBus`).
   * @internal
   */
  [STORE_BROADCAST](): StoreBroadcast | undefined {
    return storeBroadcastOf(this.inner);
  }

  getStreamReaderFromStart(address: SseStreamAddress): Promise<SseEventStreamReader | null> {
    return this.inner.getStreamReaderFromStart(address);
  }

  async deleteStreamsForSession(sessionId: string): Promise<void> {
    await this.inner.deleteStreamsForSession(sessionId);
    this.log.push({ kind: 'session-deleted', sessionId });
  }

  /** Everything recorded since creation or the last {@link reset}, oldest first. */
  activity(): RecordedSseActivity[] {
    return [...this.log];
  }

  /**
   * The streams writers were created for, in the order they were first created, each with its
   * latest recorded mode and completion. A stream created twice appears once.
   */
  streams(): RecordedSseStream[] {
    const streams = new Map<string, RecordedSseStream>();
    for (const activity of this.log) {
      if (activity.kind === 'session-deleted') continue;
      const key = JSON.stringify([activity.sessionId, activity.streamId]);
      if (activity.kind === 'stream-created') {
        const { sessionId, streamId, mode } = activity;
        const existing = streams.get(key);
        if (existing) Object.assign(existing, { mode, completed: false });
        else streams.set(key, { sessionId, streamId, mode, completed: false });
        continue;
      }
      const stream = streams.get(key);
      if (!stream) continue; // created before the last reset
      if (activity.kind === 'mode-changed') stream.mode = activity.mode;
      if (activity.kind === 'stream-completed') stream.completed = true;
    }
    return [...streams.values()];
  }

  /**
   * The events the store acknowledged, in the order it acknowledged them (for one stream, the
   * order of their ids). Narrowed to a session, or to one stream, when those are given. Events
   * passed to `write` with an id of their own are not stored, so not recorded either.
   */
  writtenEvents(sessionId?: string, streamId?: string): RecordedSseEvent[] {
    return this.log
      .filter((activity) => activity.kind === 'event-written')
      .map((activity) => activity.event)
      .filter(
        (event) => (sessionId === undefined || event.sessionId === sessionId) && (streamId === undefined || event.streamId === streamId),
      );
  }

  /** The modes set on the stream's writers with `setMode`, oldest first (not the mode it was created with). */
  modeChanges(sessionId: string, streamId: string): SseEventStreamMode[] {
    return this.log.flatMap((activity) =>
      activity.kind === 'mode-changed' && activity.sessionId === sessionId && activity.streamId === streamId ? [activity.mode] : [],
    );
  }

  /** Sessions passed to `deleteStreamsForSession`, oldest first. */
  deletedSessions(): string[] {
    return this.log.flatMap((activity) => (activity.kind === 'session-deleted' ? [activity.sessionId] : []));
  }

  /** Forgets everything recorded so far. The stored streams and events stay as they are. */
  reset(): void {
    this.log = [];
  }

  /**
   * Ends the wrapped store's readers, as application shutdown does (Nest calls it on
   * `app.close()`), and releases the store this instance created itself, if any.
   */
  async onModuleDestroy(): Promise<void> {
    await (this.inner as Partial<OnModuleDestroy>).onModuleDestroy?.();
    this.closeOwnStore?.();
  }
}

import { finalize } from 'rxjs';
import {
  type SseCreateStreamOptions,
  type SseEventInput,
  SseEventStore,
  type SseEventStreamMode,
  type SseEventStreamReader,
  type SseEventStreamWriter,
  type SseGetStreamReaderOptions,
  type SseStreamAddress,
} from '../../lib';
import { STORE_BROADCAST, type StoreBroadcast, storeBroadcastOf } from '../../lib/wakeup/store-broadcast';

/** A write held back until the test releases it. */
export interface HeldWrite {
  /** Which writes to hold: the first one this returns true for. */
  match: (streamId: string, event: SseEventInput) => boolean;
  /** Resolves once a matching write arrived (and is being held). */
  arrived: Promise<void>;
  /** Lets the write go through to the real store. */
  release: () => void;
}

/**
 * A store that hands every call to a real one and records what the caller did: streams opened
 * (with their mode), writers completed, sessions deleted, and replays finished. It can hold one
 * write back, to look at what happens while it is in flight.
 */
export class SpyingSseEventStore extends SseEventStore {
  readonly opened: (SseStreamAddress & { mode?: SseEventStreamMode })[] = [];
  readonly completed: SseStreamAddress[] = [];
  readonly deletedSessions: string[] = [];
  /** How many `events()` subscriptions of readers ran to their end. */
  readsFinished = 0;
  private held?: HeldWrite & { gate: Promise<void>; arrive: () => void };

  constructor(private readonly inner: SseEventStore) {
    super();
  }
  /** The wrapped store's broadcast channel, as the library's own wrapper hands it on (MCP's owner probes need it). */
  [STORE_BROADCAST](): StoreBroadcast | undefined {
    return storeBroadcastOf(this.inner);
  }

  /** Holds back the first write that matches, until `release()`. */
  holdWrite(match: HeldWrite['match']): HeldWrite {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.held = { match, arrived, release, gate, arrive };
    return this.held;
  }

  async createStream(options: SseCreateStreamOptions): Promise<SseEventStreamWriter> {
    const writer = await this.inner.createStream(options);
    this.opened.push({ sessionId: options.sessionId, streamId: options.streamId, mode: options.mode });
    const spy = this;
    return {
      sessionId: writer.sessionId,
      streamId: writer.streamId,
      async write<T extends SseEventInput>(event: T) {
        const held = spy.held;
        if (held?.match(writer.streamId, event)) {
          spy.held = undefined;
          held.arrive();
          await held.gate;
        }
        return writer.write(event);
      },
      setMode: (mode) => writer.setMode(mode),
      async complete() {
        await writer.complete();
        spy.completed.push({ sessionId: writer.sessionId, streamId: writer.streamId });
      },
      [Symbol.asyncDispose]: () => writer[Symbol.asyncDispose](),
    };
  }

  async getStreamReader(lastEventId: string, options?: SseGetStreamReaderOptions): Promise<SseEventStreamReader | null> {
    return this.counted(await this.inner.getStreamReader(lastEventId, options));
  }

  async getStreamReaderFromStart(address: SseStreamAddress): Promise<SseEventStreamReader | null> {
    return this.counted(await this.inner.getStreamReaderFromStart(address));
  }

  async deleteStreamsForSession(sessionId: string): Promise<void> {
    this.deletedSessions.push(sessionId);
    await this.inner.deleteStreamsForSession(sessionId);
  }

  private counted(reader: SseEventStreamReader | null): SseEventStreamReader | null {
    if (!reader) return null;
    return {
      sessionId: reader.sessionId,
      streamId: reader.streamId,
      events: (options) => reader.events(options).pipe(finalize(() => this.readsFinished++)),
    };
  }
}

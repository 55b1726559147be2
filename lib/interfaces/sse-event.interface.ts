import type { MessageEvent } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { SseEventStreamMode } from './sse-event-stream-mode.enum';

/** An event handed to {@link SseEventStreamWriter.write}. */
export interface SseEventInput {
  /** Any JSON-serialisable value; `undefined` is stored as `null`. */
  data: unknown;
  /** SSE `event:` field. */
  type?: string;
  /** SSE `retry:` field: the reconnection interval the client should use, in ms. */
  retry?: number;
  /** An event that already has an id is returned unchanged and not stored. */
  id?: string;
}

/** A stored event as readers emit it: a Nest `MessageEvent` that always carries its id. */
export interface SseStoredEvent extends MessageEvent {
  id: string;
  data: string | object;
}

/** Identifies one stream. */
export interface SseStreamAddress {
  sessionId: string;
  streamId: string;
}

/** Arguments of {@link SseEventStore.createStream}. */
export interface SseCreateStreamOptions extends SseStreamAddress {
  /** Defaults to {@link SseEventStreamMode.Streaming}. */
  mode?: SseEventStreamMode;
  /**
   * Whether a stream that was completed is opened again (its readers then wait for the new
   * writer). Default `true`. With `false`, `createStream` rejects with `SseStreamClosedError` for
   * a completed stream: what {@link SseStreamPublisher} does, so a completion is final.
   */
  reopenCompleted?: boolean;
}

/** Options of {@link SseEventStore.getStreamReader}. */
export interface SseGetStreamReaderOptions {
  /** When given, an id that belongs to another session gives `null`. */
  sessionId?: string;
}

/**
 * Appends events to one stream. One open writer per stream and process.
 * (For appends without keeping writers, see {@link SseStreamPublisher}.)
 */
export interface SseEventStreamWriter extends AsyncDisposable {
  readonly sessionId: string;
  readonly streamId: string;
  /**
   * Stores the event and resolves with it, `id` assigned, once the cache has it.
   * Rejects with `SseEventPersistenceError` when the cache did not acknowledge it, with
   * `SseStreamClosedError` once the stream was completed (by this writer, or by another writer
   * of the stream on the Redis-native path), and with `SseInvalidInputError` for a `type` or `id`
   * that holds CR, LF or NUL.
   */
  write<T extends SseEventInput>(event: T): Promise<T & { id: string }>;
  /** Switches the stream's mode; waiting streaming readers end when it becomes polling. */
  setMode(mode: SseEventStreamMode): Promise<void>;
  /** Marks the stream completed (idempotent); readers end after the last event. */
  complete(): Promise<void>;
}

/**
 * Where a reader's events are written: the HTTP response (Express `res`, Fastify `reply.raw`).
 * A reader given one emits its next event only once the response has drained.
 */
export interface SseFlowControl {
  readonly writableNeedDrain: boolean;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Options of {@link SseEventStreamReader.events}. */
export interface SseReadOptions {
  /**
   * Backpressure: the response the events go to. Without it a slow client still never makes
   * the reader hold more than one page, but Nest buffers what was emitted until it is written.
   */
  flowControl?: SseFlowControl;
  /**
   * When the Observable completes. By default it follows the stream's mode: a streaming stream's
   * reader waits for new events until the stream is completed, a polling stream's completes once
   * it delivered what is stored. `'completed'` waits until the stream is completed whatever its
   * mode (a reader in another process than the writer's, serving a client the writer's process
   * cannot reach).
   */
  until?: 'mode' | 'completed';
  /**
   * `true`: each event's `data` is the text of its SSE `data:` field instead of the decoded
   * value: a string as written, any other value as its JSON text. Nest's SSE writer sends the
   * same bytes either way; an endpoint that only forwards events saves decoding the stored JSON
   * and encoding it again (most of a replay's CPU). Default `false`: the value, as written.
   */
  wireData?: boolean;
}

/** Reads one stream from a position. */
export interface SseEventStreamReader {
  readonly sessionId: string;
  readonly streamId: string;
  /**
   * True when, as the reader was opened, the stream was completed and the reader's position was
   * its last event: `events()` has nothing to deliver. An SSE endpoint then answers 204, the
   * standard way to tell `EventSource` to stop reconnecting. (Optional for fakes; the store's
   * readers always set it.)
   */
  readonly finished?: boolean;
  /**
   * Events after the reader's position: a cold Observable that an `@Sse()` handler can return.
   * Streaming mode: stored events, then new ones, completing when the writer completes or the
   * stream switches to polling. Polling mode: what is stored now, then complete.
   * Unsubscribing stops all work for this reader. History is read a page per round trip.
   */
  events(options?: SseReadOptions): Observable<SseStoredEvent>;
}

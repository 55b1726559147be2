import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import { decodeStoredEntry, type StoredEventEntry, type StoredEventRecord } from '../encoding/stored-records';
import type { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';

export type { StoredEventEntry, StoredEventRecord };

/** A stream's state as readers see it. */
export interface StreamSnapshot {
  mode: SseEventStreamMode;
  completed: boolean;
  /** Oldest sequence still retained (1 until the retention cap trims). */
  firstSequence: number;
  /** Newest sequence whose event is stored (0 for an empty stream). */
  lastSequence: number;
}

/**
 * A sequence that holds no event and never held an acknowledged one: a write whose outcome was
 * unknown used it, and it turned out not to be stored. Readers pass over it silently.
 */
export const SKIPPED_SEQUENCE = Symbol('SKIPPED_SEQUENCE');

/**
 * True for an event of a read that readers must treat as gone: missing, or held but unreadable (a
 * storage may hand over stored text that only decoding tells apart). A skipped sequence is not gone.
 */
export function isGoneEvent(entry: StoredEventEntry | typeof SKIPPED_SEQUENCE | undefined): boolean {
  return entry === undefined || (entry !== SKIPPED_SEQUENCE && decodeStoredEntry(entry) === undefined);
}

/** What one read returns: the stream's state and the events from the requested sequence on. */
export type StreamReadResult =
  | { status: 'missing' }
  | { status: 'deleted' }
  | {
      status: 'found';
      snapshot: StreamSnapshot;
      /**
       * Events `fromSequence, fromSequence + 1, ...`, never past `snapshot.lastSequence`;
       * `undefined` where an event that should be there is gone, {@link SKIPPED_SEQUENCE} where
       * no acknowledged event ever was. Stored text is handed over undecoded: text that cannot be
       * decoded counts as gone too (see {@link isGoneEvent}).
       */
      events: (StoredEventEntry | typeof SKIPPED_SEQUENCE | undefined)[];
    };

/** The write side of one stream, owned by one writer; calls are never concurrent. */
export interface StreamAppender {
  /**
   * Stores the events (already serialised) as the next sequences of the stream and resolves
   * with the first sequence assigned. All or nothing from the caller's point of view: on a
   * rejection no reader can have seen any of them. Rejects with `SseStreamClosedError` where the
   * storage can tell that another writer completed the stream meanwhile (errors: see
   * {@link StreamStorage}).
   */
  append(payloads: readonly string[]): Promise<number>;
  /**
   * Only where the storage is in this process: {@link append} carried out at once, returning the
   * first sequence or throwing what `append` would reject with. Writers use it when nothing else
   * of theirs is pending (batching saves round trips, and there are none to save).
   */
  appendNow?(payloads: readonly string[]): number;
  /** Persists a mode change or completion. */
  update(change: { mode?: SseEventStreamMode; completed?: boolean }): Promise<void>;
  /** Releases timers; the appender is not used afterwards. */
  close(): void;
}

/**
 * The storage layer under the store. The generic implementation runs on any cache-manager
 * cache; a backend-native one (Redis, or plain structures in this process for an in-memory
 * cache) can replace it without touching writers, readers or the public API.
 *
 * **Error contract.** Every implementation rejects with these classes (built by `StorageErrors`
 * in `storage-errors.ts`), whatever its backend; a contract test runs it on every storage path.
 *
 * | Failure                                         | openStream  | append      | update      | read        | deleteSession |
 * | ----------------------------------------------- | ----------- | ----------- | ----------- | ----------- | ------------- |
 * | backend unreachable, or call not sent in time   | Unavailable | Persistence | Persistence | Unavailable | Unavailable   |
 * | call sent, no answer within `operationTimeout`  | Unavailable | Persistence | Persistence | Unavailable | Unavailable   |
 * | backend answers reads, refuses writes (no room) | Unavailable | Persistence | Persistence | resolves    | Unavailable   |
 * | session deleted                                 | Deleted     | Deleted ¹   | Deleted ¹   | `deleted`   | resolves      |
 * | stream completed                                | Closed ²    | Closed ¹    | resolves    | resolves    | —             |
 * | `maxStreamsPerSession` reached                  | Limit       | —           | —           | —           | —             |
 * | a stored event unreadable                       | —           | —           | —           | ³           | —             |
 *
 * Unavailable: `SseStoreUnavailableError`, Persistence: `SseEventPersistenceError` (both HTTP 503),
 * Deleted: `SseSessionDeletedError` (410), Closed: `SseStreamClosedError` (409), Limit:
 * `SseLimitExceededError` (429).
 *
 * - A write (`append`, `update`) that fails in the backend rejects with `SseEventPersistenceError`;
 *   its message says whether it was not sent, hence not stored, or may have been stored. Anything
 *   else that fails in the backend (opening a stream included: it stores no event) rejects with
 *   `SseStoreUnavailableError`. A key the backend refuses to work on (a Redis key of the wrong
 *   type) fails like the backend.
 * - ¹ Where the storage can tell: the native Redis and in-memory paths check on every write; the
 *   generic path only when it re-reads the stream's state (before the write after one that
 *   failed). The store refuses the writes of its own writers of a deleted session or completed
 *   stream either way.
 * - The in-memory path cannot be unreachable; at its `maxMemoryBytes` it makes room by evicting
 *   the least recently used other sessions, and refuses (as "no room") only what does not fit
 *   beside the session written to; an update needs no room there.
 * - ² Unless `reopenCompleted`.
 * - ³ Resolves with that event `undefined`, as one that is gone: never a backend error.
 */
export abstract class StreamStorage {
  /**
   * Registers the stream in its session and returns its appender, continuing after any events
   * already stored. Rejects with `SseSessionDeletedError` for a deleted session, and with
   * `SseStreamClosedError` for a completed stream unless `reopenCompleted`.
   */
  abstract openStream(address: SseStreamAddress, mode: SseEventStreamMode, reopenCompleted: boolean): Promise<StreamAppender>;

  /**
   * Reads the state and up to `count` events from `fromSequence`, in one round trip where the
   * backend allows. `forWire`: the reader sends the events' data as SSE text
   * (`SseReadOptions.wireData`), so a storage that keeps events both ways hands over the stored
   * JSON where it still has it (the text is cut from it, nothing decoded).
   */
  abstract read(address: SseStreamAddress, fromSequence: number, count: number, forWire?: boolean): Promise<StreamReadResult>;

  /** Removes every stream of the session and makes its ids unresumable. Resolves with the number of streams removed. */
  abstract deleteSession(sessionId: string): Promise<number>;

  /**
   * Asks the backend one cheap question (a read of a key no stream uses), bounded by
   * `operationTimeout`: resolves when it answers, rejects with `SseStoreUnavailableError` when it
   * does not. For health checks and the start-up check; it stores nothing.
   */
  abstract probe(): Promise<void>;

  /**
   * Releases what the storage holds on the application's cache or client (listeners, timers);
   * called once on shutdown, after which the storage is not used.
   */
  abstract close(): Promise<void>;
}

import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import type { AppendedEvents } from '../encoding/appended-events';

/** Called on a wake-up; `appended` are the events just stored, when they travel with it. */
export type WakeupListener = (appended?: AppendedEvents) => void;

/** Called with each message broadcast on a topic. */
export type BroadcastListener = (message: string) => void;

/**
 * Tells waiting readers that a stream changed, so they read again instead of polling.
 * Implementations: in-process (default) and, across instances, a pub/sub channel.
 */
export abstract class StreamWakeup {
  /** Calls `listener` whenever `notify` is called for the stream; returns the unsubscribe function. */
  abstract subscribe(address: SseStreamAddress, listener: WakeupListener): () => void;
  /**
   * Wakes the stream's readers (after a write, mode change, completion or deletion is stored),
   * handing them the events of a write so they need not read them back.
   */
  abstract notify(address: SseStreamAddress, appended?: AppendedEvents): void;
  /**
   * Wakes the stream's readers in this process only: for a change whose wake-up the storage has
   * already published to the other processes (wired where the store is assembled).
   */
  abstract notifyLocal(address: SseStreamAddress, appended?: AppendedEvents): void;
  /** Wakes the readers of every stream of the session (after it was deleted). */
  abstract notifySession(sessionId: string): void;
  /** True when `notify` in any process reaches the readers of every process. */
  abstract readonly reachesOtherProcesses: boolean;
  /**
   * Sends `message` to the listeners of `topic` in every process these wake-ups reach: this
   * process's listeners at once (synchronously, before it returns), the others' through the same
   * channel as the wake-ups. Delivery elsewhere is best effort, as Redis pub/sub is.
   */
  abstract broadcast(topic: string, message: string): void;
  /** Calls `listener` with every message broadcast on `topic`; returns the unsubscribe function. */
  abstract onBroadcast(topic: string, listener: BroadcastListener): () => void;
  /**
   * Stops the wake-ups: closes what they opened (a subscriber connection) and removes what they
   * added to the application's client; called once on shutdown.
   */
  abstract close(): Promise<void>;
}

import type { SseStreamAddress } from '../interfaces/sse-event.interface';

/**
 * Tells waiting readers that a stream changed, so they read again instead of polling.
 * Implementations: in-process (default) and, across instances, a pub/sub channel.
 */
export abstract class StreamWakeup {
  /** Calls `listener` whenever `notify` is called for the stream; returns the unsubscribe function. */
  abstract subscribe(address: SseStreamAddress, listener: () => void): () => void;
  /** Wakes the stream's readers (after a write, mode change, completion or deletion is stored). */
  abstract notify(address: SseStreamAddress): void;
  /** Wakes the readers of every stream of the session (after it was deleted). */
  abstract notifySession(sessionId: string): void;
  /** True when `notify` in any process reaches the readers of every process. */
  abstract readonly reachesOtherProcesses: boolean;
}

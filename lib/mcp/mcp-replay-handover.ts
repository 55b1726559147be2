import type { McpEventId } from './mcp-event-store.interface';

/**
 * Hands a resumed stream over from its replay to the live connection. The SDK writes a message
 * live only when, as `storeEvent` resolves, the resumed connection is registered, which it does
 * right after `replayEventsAfter` resolved; a message stored before that is left to the replay.
 * A message stored while the replay runs, after the replay read past its position, would be on
 * neither. So while a replay runs, the acknowledgements of its stream's messages are held back:
 * the ones the replay sent are handed to the SDK before the replay resolves (the SDK, with no
 * connection registered, leaves them to the replay), the others once the SDK registered the
 * connection (the SDK sends them live). Every message goes out once, the SDKs that skip a live
 * message a replay sent (1.32 and later, v2) or not.
 */
export class ReplayHandover {
  /** Ids of the messages the replay sent. */
  private readonly replayed = new Set<McpEventId>();
  /** Releases of the acknowledgements held back, by event id, in the order the store gave them. */
  private readonly held = new Map<McpEventId, () => void>();

  /** Records a message the replay sent. */
  sent(eventId: McpEventId): void {
    this.replayed.add(eventId);
  }

  /** Resolves when the SDK may learn that the message `eventId` is stored. */
  hold(eventId: McpEventId): Promise<void> {
    return new Promise((resolve) => this.held.set(eventId, resolve));
  }

  /**
   * Hands the SDK the acknowledgements of the messages the replay sent, and resolves once the SDK
   * took them (they resume it in microtasks, which all run before the next turn of the event loop).
   */
  async releaseReplayed(): Promise<void> {
    for (const [eventId, release] of this.held) {
      if (!this.replayed.has(eventId)) continue;
      this.held.delete(eventId);
      release();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }

  /**
   * Hands the SDK the other acknowledgements once the replay resolved and the SDK registered the
   * connection (in the microtasks that follow, so by the next turn of the event loop), then ends.
   */
  end(ended: () => void): void {
    setImmediate(() => {
      ended();
      for (const release of this.held.values()) release();
      this.held.clear();
    });
  }
}

import { encodeIdPart } from '../event-id/event-id.codec';
import { KeyNamespace } from '../encoding/key-namespace';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';

/**
 * Pub/sub channels of the wake-ups, in the store's {@link KeyNamespace}: a session's channels
 * share its hash tag (and so its slot) with its keys.
 */
export class WakeupChannels {
  private readonly namespace: KeyNamespace;

  constructor(keyPrefix: string) {
    this.namespace = new KeyNamespace(keyPrefix);
  }

  /** Wakes the readers of a stream. */
  streamChannel(address: SseStreamAddress): string {
    return `${this.namespace.sessionRoot(address.sessionId)}w:${encodeIdPart(address.streamId)}`;
  }

  /** Wakes every reader of a session (when it is deleted). */
  sessionChannel(sessionId: string): string {
    return `${this.namespace.sessionRoot(sessionId)}w`;
  }

  /**
   * A broadcast topic (messages of the application's own, such as MCP's `ServerEventBus`, on the
   * wake-up connection); outside every session.
   */
  broadcastChannel(topic: string): string {
    return `${this.namespace.root}b:${encodeIdPart(topic)}`;
  }
}

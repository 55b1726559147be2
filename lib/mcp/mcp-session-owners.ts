import { randomUUID } from 'node:crypto';
import type { SseEventStore } from '../sse-event-store';
import { type StoreBroadcast, storeBroadcastOf } from '../wakeup/store-broadcast';

/** The broadcast topic of ownership probes. */
const TOPIC = 'mcp-session-owners';

/**
 * Which MCP sessions live in this process, and whether one lives anywhere: an instance asks on
 * the store's broadcast channel (Redis pub/sub across instances) and the instance that holds the
 * session answers. One per store and process, shared by all sessions (see {@link ownersOf}).
 *
 * Messages: `probe <nonce> <session id>` and `alive <nonce>`.
 */
export class McpSessionOwners {
  private readonly held = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();

  constructor(private readonly broadcast: StoreBroadcast) {
    broadcast.onBroadcast(TOPIC, (message) => this.receive(message));
  }

  /** Marks the session as living in this process, until the returned function is called. */
  hold(sessionId: string): () => void {
    this.held.set(sessionId, (this.held.get(sessionId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const count = (this.held.get(sessionId) ?? 1) - 1;
      if (count > 0) this.held.set(sessionId, count);
      else this.held.delete(sessionId);
    };
  }

  /** True when this process holds the session. */
  holds(sessionId: string): boolean {
    return this.held.has(sessionId);
  }

  /**
   * Resolves true once a process that holds the session answered, false when none did within
   * `timeoutMs` (its instance is gone, or the session ended).
   */
  isAlive(sessionId: string, timeoutMs: number): Promise<boolean> {
    if (this.holds(sessionId)) return Promise.resolve(true);
    const nonce = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(nonce);
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.waiting.set(nonce, () => {
        clearTimeout(timer);
        this.waiting.delete(nonce);
        resolve(true);
      });
      this.broadcast.broadcast(TOPIC, `probe ${nonce} ${sessionId}`);
    });
  }

  private receive(message: string): void {
    const [kind, nonce] = message.split(' ', 2);
    if (kind === 'alive') {
      this.waiting.get(nonce)?.();
      return;
    }
    if (kind !== 'probe') return;
    const sessionId = message.slice(kind.length + nonce.length + 2);
    if (this.held.has(sessionId)) this.broadcast.broadcast(TOPIC, `alive ${nonce}`);
  }
}

const registries = new WeakMap<StoreBroadcast, McpSessionOwners>();

/** The owner registry of this process for the store; `undefined` for a store without a broadcast channel (a fake). */
export function ownersOf(store: SseEventStore): McpSessionOwners | undefined {
  const broadcast = storeBroadcastOf(store);
  if (!broadcast) return undefined;
  let owners = registries.get(broadcast);
  if (!owners) registries.set(broadcast, (owners = new McpSessionOwners(broadcast)));
  return owners;
}

import { Logger } from '@nestjs/common';
import type { SseEventStore } from '../sse-event-store';
import { type StoreBroadcast, storeBroadcastOf } from '../wakeup/store-broadcast';

/**
 * A change event of the MCP TypeScript SDK v2's `ServerEventBus` (`@modelcontextprotocol/server`,
 * protocol 2026-07-28 `subscriptions/listen`), declared here so the library never loads the SDK.
 */
export type McpServerEvent = (
  | { kind: 'tools_list_changed' | 'prompts_list_changed' | 'resources_list_changed' }
  | { kind: 'resource_updated'; uri: string }
) & {
  /** Forwarded notification params. */
  params?: Record<string, unknown>;
};

/** Options of {@link McpServerEventBus}. */
export interface McpServerEventBusOptions {
  /** Buses on the same store and topic share their events. Default `'mcp-server-events'`. */
  topic?: string;
}

type Listener = (event: McpServerEvent) => void;

/**
 * A `ServerEventBus` for `createMcpHandler({ bus })` (MCP TypeScript SDK v2, protocol 2026-07-28):
 * a change published on one instance reaches the `subscriptions/listen` streams of every
 * instance that shares the store. It travels on the store's own wake-up channel — Redis pub/sub
 * on the connection and subscriber the store already has (a Redis Cluster too), in-process on
 * the in-memory default — so it costs no connection of its own.
 *
 * ```ts
 * const handler = createMcpHandler(createServer, { bus: new McpServerEventBus(store) });
 * handler.notify.toolsChanged(); // every instance's listeners, once each
 * ```
 *
 * Listeners of this process get an event synchronously, while `publish` runs (as with the SDK's
 * in-memory bus); those of other instances a moment later, exactly once, as Redis pub/sub
 * delivers it (best effort: an event published while an instance's subscriber is disconnected
 * does not reach it). A listener that publishes while it is being called does not get its own
 * event back; one that throws does not stop the others.
 */
export class McpServerEventBus {
  private readonly logger = new Logger('SseEventStore');
  private readonly broadcast: StoreBroadcast;
  private readonly topic: string;
  private readonly listeners = new Set<Listener>();
  private stopListening?: () => void;
  /** The listener being called, so that an event it publishes is not echoed back to it. */
  private dispatchingTo?: Listener;
  /** The listener that is publishing, skipped in this process's synchronous delivery. */
  private publishedBy?: Listener;

  constructor(store: SseEventStore, options: McpServerEventBusOptions = {}) {
    const broadcast = storeBroadcastOf(store);
    if (!broadcast) {
      throw new TypeError(
        'McpServerEventBus needs the store that SseEventStoreModule (or createSseEventStore) provides; this SseEventStore has no broadcast channel.',
      );
    }
    this.broadcast = broadcast;
    this.topic = options.topic ?? 'mcp-server-events';
  }

  /** Sends the event to every listener, in every instance. */
  publish(event: McpServerEvent): void {
    if (event === null || typeof event !== 'object' || typeof event.kind !== 'string') {
      throw new TypeError('A server event must be an object with a string `kind`.');
    }
    const previous = this.publishedBy;
    this.publishedBy = this.dispatchingTo;
    try {
      this.broadcast.broadcast(this.topic, JSON.stringify(event));
    } finally {
      this.publishedBy = previous;
    }
  }

  /** Registers a listener; returns an idempotent unsubscribe function. */
  subscribe(listener: Listener): () => void {
    // A wrapper per registration, so the same function registered twice is two listeners.
    const registered: Listener = (event) => listener(event);
    this.listeners.add(registered);
    this.stopListening ??= this.broadcast.onBroadcast(this.topic, (message) => this.deliver(message));
    return () => {
      if (!this.listeners.delete(registered) || this.listeners.size > 0) return;
      this.stopListening?.();
      this.stopListening = undefined;
    };
  }

  private deliver(message: string): void {
    let event: McpServerEvent;
    try {
      event = JSON.parse(message) as McpServerEvent;
    } catch {
      this.logger.warn('A server event that is not JSON was ignored.');
      return;
    }
    const skipped = this.publishedBy;
    for (const listener of [...this.listeners]) {
      if (listener === skipped) continue;
      const outer = this.dispatchingTo;
      this.dispatchingTo = listener;
      try {
        listener(event);
      } catch (error) {
        this.logger.error(`A server event listener failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        this.dispatchingTo = outer;
      }
    }
  }
}

import type { BroadcastListener } from './stream-wakeup.interface';

/**
 * Messages of the application's own sent to every process that shares the store, on the channel
 * its readers' wake-ups use (Redis pub/sub across instances, in-process otherwise): what an
 * integration such as MCP's `ServerEventBus` builds on, without a connection of its own.
 */
export interface StoreBroadcast {
  broadcast(topic: string, message: string): void;
  onBroadcast(topic: string, listener: BroadcastListener): () => void;
}

/** Where a store keeps its {@link StoreBroadcast}; a method, so wrappers can hand on their inner store's. */
export const STORE_BROADCAST = Symbol.for('nestjs-sse-event-store.broadcast');

/** The broadcast channel of a store built by this library (or a wrapper that hands it on); `undefined` for other implementations. */
export function storeBroadcastOf(store: object): StoreBroadcast | undefined {
  const accessor = (store as { [STORE_BROADCAST]?: () => StoreBroadcast })[STORE_BROADCAST];
  return typeof accessor === 'function' ? accessor.call(store) : undefined;
}

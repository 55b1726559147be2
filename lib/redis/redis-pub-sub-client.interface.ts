/**
 * The part of a node-redis (`@redis/client` 5) client that cross-instance wake-ups use; the
 * client behind `@keyv/redis` is one, and an iovalkey client is adapted to it.
 */
export interface RedisPubSubClient {
  /** A new connection with the same settings: the wake-ups' subscriber connection. */
  duplicate(): RedisPubSubClient;
  connect(): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'ready' | 'error' | 'end' | 'reconnecting', listener: (...args: unknown[]) => void): unknown;
  readonly isReady: boolean;
  readonly isOpen: boolean;
  destroy(): void;
}

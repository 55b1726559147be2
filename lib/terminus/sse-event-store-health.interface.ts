import type { SseStoragePath, SseWakeupChannel } from '../assembly/store-topology';

/** Options of {@link SseEventStoreHealthIndicator.isHealthy}. */
export interface SseEventStoreHealthCheckOptions {
  /**
   * How long the check waits for the storage to answer its probe, in milliseconds (a positive
   * integer; default 1,000). A storage that answers later counts as down. The probe itself never
   * waits longer than the store's `operationTimeout`.
   */
  timeout?: number;
}

/**
 * What the check reports beside terminus' `status` (`up`, `degraded` or `down`), in the
 * indicator's entry of the health check's `details`.
 */
export interface SseEventStoreHealthDetails {
  /** Where the store keeps its streams: `memory`, `cache`, `redis` or `redis-cluster`. */
  storage: SseStoragePath;
  /** How waiting readers learn of new events: `local`, `redis-pubsub` or `polling`. */
  wakeup: SseWakeupChannel;
  /**
   * How readers of this process are woken now: `push` (at once, by the wake-ups), or `polling`
   * (every `pollingInterval`): by design on the `polling` channel, while Redis pub/sub is not
   * connected on `redis-pubsub`.
   */
  readersWokenBy: 'push' | 'polling';
  /** Why the store is degraded or down; absent while it is up. */
  message?: string;
}

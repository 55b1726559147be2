/**
 * Where the store keeps its streams: `memory` (native in-memory structures, for a cache whose
 * entries live in this process), `cache` (any cache-manager store through the generic path,
 * including an in-memory one with `storage: 'generic'`), `redis` or `redis-cluster` (native
 * commands on the cache's Redis or Valkey client).
 */
export type SseStoragePath = 'memory' | 'cache' | 'redis' | 'redis-cluster';

/**
 * How waiting readers learn of new events: `local` (in-process: every writer is in this process),
 * `redis-pubsub` (Redis pub/sub across instances; readers poll while it is down), `polling` (the
 * storage is shared but there is no pub/sub client: readers poll every `pollingInterval`).
 */
export type SseWakeupChannel = 'local' | 'redis-pubsub' | 'polling';

/** The storage path and wake-up channel the store was assembled with, and why each was chosen. */
export interface SseEventStoreTopology {
  readonly storage: SseStoragePath;
  readonly storageReason: string;
  readonly wakeup: SseWakeupChannel;
  readonly wakeupReason: string;
}

/** The topology as the start-up log line states it, after where the cache came from (`cacheOrigin`). */
export function describeTopology(cacheOrigin: string, topology: SseEventStoreTopology): string {
  return (
    `Event store on ${cacheOrigin}. Storage: ${topology.storage} (${topology.storageReason}). ` +
    `Wake-ups: ${topology.wakeup} (${topology.wakeupReason}).`
  );
}

import type { Cache } from 'cache-manager';
import type { RedisPubSubClient } from '../wakeup/redis-pub-sub-client.interface';

/**
 * Options of {@link SseEventStoreModule}. All durations are in milliseconds.
 *
 * cache-manager only knows absolute TTLs, so sliding expiry is implemented by refreshing on
 * access: a key is re-written with a fresh TTL when it is read (or, for stream metadata,
 * written) after half of its sliding window has passed, never beyond its absolute limit.
 */
export interface SseEventStoreModuleOptions {
  /**
   * The cache to store events in. Defaults to the application's `CACHE_MANAGER`
   * (`@nestjs/cache-manager`); when the application registered none, the module creates
   * an in-memory cache of its own and says so once in the log.
   */
  cache?: Cache;
  /**
   * Redis client for waking readers in other instances through pub/sub (a subscriber connection
   * is duplicated from it). Default: the client behind the cache's `@keyv/redis` store, if any.
   * `false` turns pub/sub off: readers in other instances then poll every `pollingInterval`.
   */
  redis?: RedisPubSubClient | false;
  /** First part of every cache key; the storage format version follows it. Default `'sse'` (keys `sse:v1:...`). */
  keyPrefix?: string;
  /** An event expires this long after it was last written or read. Default 30 minutes. */
  eventSlidingExpiration?: number;
  /** An event expires at most this long after it was written, however often it is read. Default 2 hours. */
  eventAbsoluteExpiration?: number;
  /** Stream metadata expires this long after the stream was last written or read. Default 1 hour. */
  metadataSlidingExpiration?: number;
  /** Stream metadata expires at most this long after the stream was last written. Default 4 hours. */
  metadataAbsoluteExpiration?: number;
  /** How often a waiting reader looks for new events when no push wake-up can reach it. Default 1 second. */
  pollingInterval?: number;
  /**
   * Retention cap: a stream keeps about this many of its newest events (up to 10% more, trimmed
   * in chunks); older ones are deleted and a reader that needs them gets `SseHistoryExpiredError`.
   * Default 10,000.
   */
  maxEventsPerStream?: number;
  /** Events read per cache round trip when a reader replays history. Default 256. */
  replayPageSize?: number;
  /** Largest accepted event, in bytes of its stored JSON form. Default 1 MiB. */
  maxEventBytes?: number;
  /** Longest accepted session or stream id, in characters. Default 1024. */
  maxIdLength?: number;
  /**
   * Longest wait for one cache call. A call that takes longer fails: a write with
   * `SseEventPersistenceError`, a read with `SseStoreUnavailableError`. It bounds how long
   * writers and readers wait while the cache is unreachable (a Redis client queues commands
   * until it reconnects). Default 5 seconds.
   */
  operationTimeout?: number;
}

/** Options with every default filled in. */
export type ResolvedSseEventStoreOptions = Required<Omit<SseEventStoreModuleOptions, 'cache' | 'redis'>>;

import type { Cache } from 'cache-manager';
import type { SseMeterProvider } from '../metrics/meter-provider.interface';
import type { IovalkeyClient } from '../redis/iovalkey-pub-sub-client';
import type { RedisPubSubClient } from '../redis/redis-pub-sub-client.interface';

/**
 * Options of {@link SseEventStoreModule}. All durations are in milliseconds.
 *
 * cache-manager only knows absolute TTLs, so sliding expiry is implemented by refreshing on
 * access: a key is re-written with a fresh TTL when it is read (or, for stream metadata,
 * written) after half of its sliding window has passed, never beyond its absolute limit. On the
 * native Redis path (see `storage`) the TTLs of a stream's keys are extended in place, when a
 * tenth of the window has passed.
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
   * is duplicated from it): a node-redis client, or an iovalkey (or ioredis) client. Default: the
   * client behind the cache's `@keyv/redis` or `@keyv/valkey` store, if any. `false` turns pub/sub
   * off: readers in other instances then poll every `pollingInterval`.
   */
  redis?: RedisPubSubClient | IovalkeyClient | false;
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
   * in chunks; exactly this many on the native Redis path); older ones are deleted and a reader
   * that needs them gets `SseHistoryExpiredError`. Default 10,000.
   */
  maxEventsPerStream?: number;
  /** Events read per cache round trip when a reader replays history. Default 256. */
  replayPageSize?: number;
  /** Largest accepted event, in bytes of its stored JSON form. Default 1 MiB. */
  maxEventBytes?: number;
  /** Longest accepted session or stream id, in characters. Default 1024. */
  maxIdLength?: number;
  /**
   * Most streams a session may hold. `createStream` for one more rejects with
   * `SseLimitExceededError`; reopening a stream the session already has is always allowed.
   * Streams whose metadata expired stop counting, and deleting the session frees them all.
   * (An MCP session holds one stream per request; `McpSessionEventStore` spreads a long session
   * over more store sessions, so it needs no higher limit.)
   * Default 1,000.
   */
  maxStreamsPerSession?: number;
  /**
   * Most data the in-memory storage holds (see `storage`), in bytes as estimated from the stored
   * events' JSON plus a fixed share per event, stream and session. When a write needs more room,
   * the least recently used sessions (written or read longest ago) are evicted whole, deleted
   * sessions' tombstones included: their readers get `SseHistoryExpiredError`, as after an
   * eviction on Redis. A write that does not fit even with every other session evicted fails
   * with `SseEventPersistenceError`. Ignored on other caches. Default 256 MiB.
   */
  maxMemoryBytes?: number;
  /**
   * Signs event ids and hides the ids in them. Without it (the default) an id is
   * `base64url(sessionId).base64url(streamId).sequence`: readable by anyone who sees it, and
   * any well-formed id of an existing stream is accepted. With a secret, an id is
   * `token.sequence.mac`: the session and stream ids are encrypted in `token`, and `mac`
   * (HMAC-SHA256, 128 bits) covers the stream and the sequence, so an id that was forged,
   * altered or signed with another secret resumes nothing (`getStreamReader` answers `null`).
   *
   * A string or `Buffer` of at least 32 bytes, for example `randomBytes(32).toString('base64url')`,
   * the same on every instance. An array rotates secrets: the first signs new ids, every one
   * verifies. To rotate, put the new secret first and keep the old one after it for as long as
   * its ids may be resumed (the longest event lifetime, `eventAbsoluteExpiration`), then drop it.
   * Turning signing on or off makes the ids issued before unresumable (their clients start
   * over); the stored events are untouched.
   */
  eventIdSecret?: string | Buffer | readonly (string | Buffer)[];
  /**
   * Longest wait for one cache call. A call that takes longer fails: a write with
   * `SseEventPersistenceError`, a read with `SseStoreUnavailableError`. It bounds how long
   * writers and readers wait while the cache is unreachable (a Redis client queues commands
   * until it reconnects). Default 5 seconds.
   */
  operationTimeout?: number;
  /**
   * Where events are stored:
   *
   * - `'auto'` (default): natively where the cache allows, the generic path otherwise.
   *   - A cache on Redis or Valkey through `@keyv/redis` or `@keyv/valkey` (a single server or a
   *     cluster; Redis 6.2 or later): on the cache's Redis client, one Redis Stream per stream,
   *     one Lua script per change (atomic, one round trip; the appends of concurrent writers
   *     share one call), pages read by `XRANGE`. Sequences are assigned in Redis, so writers of
   *     one stream in two processes never overwrite each other. Sliding expiry is per stream
   *     rather than per event (a stream's events stay while the stream is written or read), and
   *     an event past `eventAbsoluteExpiration` is never returned.
   *   - A cache that keeps its entries in this process (cache-manager's default in-memory
   *     cache): plain structures in this process instead of cache entries, shared by every store
   *     on the same cache and key prefix; expiry as on Redis (per stream, each event bounded by
   *     its absolute limit), expired data freed by a sweep without reads, the whole bounded by
   *     `maxMemoryBytes`.
   * - `'generic'`: always through cache-manager (`mget`/`mset`), as on any other cache.
   * - `'redis'`: natively on Redis, and start-up fails when the cache has no Redis client.
   *
   * The paths keep their data apart; switching makes the streams stored by the other path
   * unknown (readers resuming them get `null`, and clients start over).
   */
  storage?: SseEventStorage;
  /**
   * Connections the native Redis path appends on, on a single server: `2` (default) opens a second
   * connection of the store's own (duplicated from the cache's client) the first time a tick
   * appends to 8 streams or more, so Redis runs one call while this process handles another
   * (awaited writers of many streams: about 1.5–1.7× the events per second). Its calls carry fewer
   * streams each, so Redis spends about a tenth more CPU per event; `1` keeps every append on the
   * cache's connection, for a deployment whose Redis CPU is the limit. A cluster always appends
   * on the cache's client. Ignored on other storage paths.
   */
  redisAppendConnections?: 1 | 2;
  /**
   * `@ResumableSse()` routes send a comment after this many ms in which a stream sent nothing, so
   * proxies with an idle timeout keep the connection (nginx cuts at 60 s by default). `0` sends
   * none. A route can set its own. Default 15 seconds.
   */
  keepAliveInterval?: number;
  /**
   * `@ResumableSse()` routes start every response with `retry:` set to this: how long a client
   * waits before it reconnects (after a completed reader, a broken connection, or while the store
   * is unavailable). A route can set its own. Default 3 seconds (what browsers use without one).
   */
  retryInterval?: number;
  /**
   * Spreads `retry:` over responses: each response's is drawn at random between
   * `retryInterval × (1 − retryJitter)` and `retryInterval`, so the clients of an instance that goes
   * away (or restarts) do not all come back in the same moment. A fraction from 0 to 1; `0` sends
   * `retryInterval` on every response. A route can set its own. Default 0.5 (1.5–3 s).
   */
  retryJitter?: number;
  /**
   * Where the store's OpenTelemetry instruments come from (names and meanings in
   * docs/operations.md): a `MeterProvider` of `@opentelemetry/sdk-metrics`, for tests and for
   * applications that do not register one globally. Default: the provider registered globally
   * with `@opentelemetry/api` (`metrics.setGlobalMeterProvider`) when the store is created; the
   * API has no proxy, so register it before the application is created. Without either (or
   * without `@opentelemetry/api` installed) the store measures nothing.
   */
  meterProvider?: SseMeterProvider;
}

/** Values of {@link SseEventStoreModuleOptions.storage}. */
export type SseEventStorage = 'auto' | 'generic' | 'redis';

/** Options with every default filled in. */
export type ResolvedSseEventStoreOptions = Required<
  Omit<SseEventStoreModuleOptions, 'cache' | 'redis' | 'eventIdSecret' | 'meterProvider'>
> &
  Pick<SseEventStoreModuleOptions, 'eventIdSecret'>;

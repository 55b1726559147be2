/** Version of the stored format; part of every cache key so a format change never reads old entries. */
export const STORAGE_FORMAT_VERSION = 'v1';

/** Defaults of {@link SseEventStoreModuleOptions}, the reference design's values where it has them. */
export const DEFAULT_SSE_EVENT_STORE_OPTIONS = {
  keyPrefix: 'sse',
  eventSlidingExpiration: 30 * 60_000,
  eventAbsoluteExpiration: 2 * 60 * 60_000,
  metadataSlidingExpiration: 60 * 60_000,
  metadataAbsoluteExpiration: 4 * 60 * 60_000,
  pollingInterval: 1_000,
  maxEventsPerStream: 10_000,
  replayPageSize: 256,
  maxEventBytes: 1024 * 1024,
  maxIdLength: 1024,
  maxStreamsPerSession: 1_000,
  maxMemoryBytes: 256 * 1024 * 1024,
  operationTimeout: 5_000,
  storage: 'auto',
  redisAppendConnections: 2,
  keepAliveInterval: 15_000,
  retryInterval: 3_000,
  retryJitter: 0.5,
} as const;

/** Token of the cache the store runs on (the application's CACHE_MANAGER or the module's own fallback), and where it came from. */
export const SSE_EVENT_STORE_CACHE = Symbol('SSE_EVENT_STORE_CACHE');
/** Token of the resolved options (every default filled in). */
export const SSE_EVENT_STORE_RESOLVED_OPTIONS = Symbol('SSE_EVENT_STORE_RESOLVED_OPTIONS');
/** Token of the assembled store: the store with its storage and wake-ups, closed on module destroy. */
export const SSE_EVENT_STORE_ASSEMBLY = Symbol('SSE_EVENT_STORE_ASSEMBLY');

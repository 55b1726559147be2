import type { Cache } from 'cache-manager';
import { SseEventStoreConfigurationError } from '../errors/sse-event-store-configuration.error';
import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import type { StreamWakeup } from '../wakeup/stream-wakeup.interface';
import { CacheStreamStorage } from './cache-stream-storage';
import { findRedisConnection } from './redis/find-redis-connection';
import { RedisStreamStorage } from './redis/redis-stream-storage';
import type { StreamStorage } from './stream-storage.interface';

/**
 * The storage path for the cache, as the `storage` option asks: native Redis when the cache is on
 * `@keyv/redis` (unless `'generic'`), cache-manager otherwise. Native writes publish the readers'
 * wake-ups themselves when `wakeup` travels through the same Redis client.
 */
export function createStreamStorage(cache: Cache, options: ResolvedSseEventStoreOptions, wakeup: StreamWakeup): StreamStorage {
  const connection = options.storage === 'generic' ? undefined : findRedisConnection(cache);
  if (connection) return new RedisStreamStorage(connection, options, wakeup.publicationThrough(connection.client));
  if (options.storage === 'redis') {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option storage: 'redis' needs a cache on Redis or Valkey through @keyv/redis (a single server or a cluster).`,
    );
  }
  return new CacheStreamStorage(cache, options);
}

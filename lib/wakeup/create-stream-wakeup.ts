import type { Cache } from 'cache-manager';
import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import { CacheKeys } from '../storage/cache-keys';
import { findRedisClient } from './find-redis-client';
import { LocalStreamWakeup } from './local-stream-wakeup';
import type { RedisPubSubClient } from './redis-pub-sub-client.interface';
import { RedisStreamWakeup } from './redis-stream-wakeup';
import type { StreamWakeup } from './stream-wakeup.interface';

/** Redis pub/sub when a Redis client is given or found behind the cache; in-process otherwise. */
export function createStreamWakeup(
  cache: Cache,
  redis: RedisPubSubClient | false | undefined,
  options: ResolvedSseEventStoreOptions,
): StreamWakeup {
  const client = redis === false ? undefined : (redis ?? findRedisClient(cache));
  return client ? new RedisStreamWakeup(client, new CacheKeys(options.keyPrefix)) : new LocalStreamWakeup();
}

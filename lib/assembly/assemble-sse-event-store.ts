import type { Cache } from 'cache-manager';
import { DefaultSseEventStore } from '../default-sse-event-store';
import { SseEventStoreConfigurationError } from '../errors/sse-event-store-configuration.error';
import type { ResolvedSseEventStoreOptions, SseEventStoreModuleOptions } from '../interfaces/sse-event-store-options.interface';
import { findRedisConnection, findRedisPubSub, redisPubSubOf } from '../redis/find-redis-connection';
import { CacheStreamStorage } from '../storage/cache-stream-storage';
import { RedisStreamStorage, type ScriptWakeupPublication } from '../storage/redis/redis-stream-storage';
import type { StreamStorage } from '../storage/stream-storage.interface';
import { LocalStreamWakeup } from '../wakeup/local-stream-wakeup';
import { RedisStreamWakeup } from '../wakeup/redis-stream-wakeup';
import type { StreamWakeup } from '../wakeup/stream-wakeup.interface';
import { WakeupChannels } from '../wakeup/wakeup-channels';
import { isProcessLocalCache } from './process-local-cache';

/** A store with its storage and wake-ups, and the one way to shut them down. */
export interface AssembledSseEventStore {
  readonly store: DefaultSseEventStore;
  /** Ends the store's readers, then closes the wake-ups and the storage (their connections, and their listeners on the application's cache and client). */
  close(): Promise<void>;
}

/**
 * Builds the store on `cache`: the wake-ups (Redis pub/sub when the `redis` option or the cache
 * gives a Redis client, in-process otherwise), the storage (native Redis when the cache is on
 * Redis, unless `storage: 'generic'`; cache-manager otherwise), and how the two work together.
 * The module's providers and the testing helpers both build their store here.
 */
export function assembleSseEventStore(
  cache: Cache,
  moduleOptions: Pick<SseEventStoreModuleOptions, 'redis'>,
  options: ResolvedSseEventStoreOptions,
): AssembledSseEventStore {
  const found = findRedisConnection(cache);
  const pubSub =
    moduleOptions.redis === false ? undefined : moduleOptions.redis ? redisPubSubOf(moduleOptions.redis) : findRedisPubSub(cache, found);
  const redisWakeup = pubSub ? new RedisStreamWakeup(pubSub.pubSub, new WakeupChannels(options.keyPrefix)) : undefined;
  const wakeup: StreamWakeup = redisWakeup ?? new LocalStreamWakeup();

  const connection = options.storage === 'generic' ? undefined : found;
  if (!connection && options.storage === 'redis') {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option storage: 'redis' needs a cache on Redis or Valkey through @keyv/redis or @keyv/valkey (a single server or a cluster).`,
    );
  }
  // Native writes publish the readers' wake-ups in their own scripts when the wake-ups travel
  // through the very client they write on (the same server, so the same channels reach everyone).
  const publication: ScriptWakeupPublication | undefined =
    connection && redisWakeup && pubSub?.client === connection.client ? redisWakeup.publicationTarget : undefined;
  const storage: StreamStorage = connection
    ? new RedisStreamStorage(connection, options, publication)
    : new CacheStreamStorage(cache, options);

  const store = new DefaultSseEventStore(storage, wakeup, options, {
    storageIsProcessLocal: !connection && isProcessLocalCache(cache),
    storagePublishesWakeups: publication !== undefined,
  });
  return {
    store,
    close: async () => {
      store.onModuleDestroy();
      await wakeup.close();
      await storage.close();
    },
  };
}

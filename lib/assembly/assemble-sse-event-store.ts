import type { Cache } from 'cache-manager';
import { DefaultSseEventStore } from '../default-sse-event-store';
import { SseEventStoreConfigurationError } from '../errors/sse-event-store-configuration.error';
import type { ResolvedSseEventStoreOptions, SseEventStoreModuleOptions } from '../interfaces/sse-event-store-options.interface';
import { findRedisConnection, findRedisPubSub, redisPubSubOf } from '../redis/find-redis-connection';
import { CacheStreamStorage } from '../storage/cache-stream-storage';
import { MemoryStreamStorage } from '../storage/memory/memory-stream-storage';
import { memoryStreamTableOf } from '../storage/memory/memory-stream-table';
import { RedisStreamStorage, type ScriptWakeupPublication } from '../storage/redis/redis-stream-storage';
import type { StreamStorage } from '../storage/stream-storage.interface';
import { LocalStreamWakeup } from '../wakeup/local-stream-wakeup';
import { RedisStreamWakeup } from '../wakeup/redis-stream-wakeup';
import type { StreamWakeup } from '../wakeup/stream-wakeup.interface';
import { WakeupChannels } from '../wakeup/wakeup-channels';
import { isProcessLocalCache } from './process-local-cache';
import type { SseEventStoreTopology } from './store-topology';

/** A store with its storage and wake-ups, and the one way to shut them down. */
export interface AssembledSseEventStore {
  readonly store: DefaultSseEventStore;
  readonly storage: StreamStorage;
  readonly wakeup: StreamWakeup;
  /** What was chosen, and why: for the start-up log and health details. */
  readonly topology: SseEventStoreTopology;
  /** Ends the store's readers, then closes the wake-ups and the storage (their connections, and their listeners on the application's cache and client). */
  close(): Promise<void>;
}

/**
 * Builds the store on `cache`: the wake-ups (Redis pub/sub when the `redis` option or the cache
 * gives a Redis client, in-process otherwise), the storage (native Redis when the cache is on
 * Redis, native in-memory when the cache keeps its entries in this process, unless
 * `storage: 'generic'`; cache-manager otherwise), and how the two work together.
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
  const storageIsProcessLocal = !connection && isProcessLocalCache(cache);
  const inMemory = storageIsProcessLocal && options.storage !== 'generic';
  const storage: StreamStorage = connection
    ? new RedisStreamStorage(connection, options, publication)
    : inMemory
      ? new MemoryStreamStorage(memoryStreamTableOf(cache, options.keyPrefix), options)
      : new CacheStreamStorage(cache, options);

  const store = new DefaultSseEventStore(storage, wakeup, options, {
    storageIsProcessLocal,
    storagePublishesWakeups: publication !== undefined,
  });
  const topology: SseEventStoreTopology = {
    ...(connection
      ? {
          storage: connection.isCluster ? 'redis-cluster' : 'redis',
          storageReason: 'the cache is on Redis or Valkey (@keyv/redis or @keyv/valkey): native commands',
        }
      : {
          storage: inMemory ? 'memory' : 'cache',
          storageReason: inMemory
            ? 'the cache keeps its entries in this process: native in-memory structures, bounded by maxMemoryBytes'
            : options.storage === 'generic'
              ? `option storage: 'generic'`
              : 'the cache is not on a Redis client the store can use natively: the generic cache-manager path',
        }),
    ...(redisWakeup
      ? {
          wakeup: 'redis-pubsub',
          wakeupReason: moduleOptions.redis ? 'the redis option gives a client' : `the cache's Redis client`,
        }
      : storageIsProcessLocal
        ? { wakeup: 'local', wakeupReason: 'every writer is in this process' }
        : {
            wakeup: 'polling',
            wakeupReason:
              moduleOptions.redis === false
                ? `option redis: false; readers poll every ${options.pollingInterval} ms`
                : `no Redis client for pub/sub; readers poll every ${options.pollingInterval} ms`,
          }),
  };
  return {
    store,
    storage,
    wakeup,
    topology,
    close: async () => {
      store.onModuleDestroy();
      await wakeup.close();
      await storage.close();
    },
  };
}

import { Logger } from '@nestjs/common';
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
import { storeMeter } from '../metrics/store-meter';
import { StoreMetrics } from '../metrics/store-metrics';
import { OutageLog } from '../logging/outage-log';
import { OutageLoggedStorage } from './outage-logged-storage';
import { isProcessLocalCache } from './process-local-cache';
import type { StoreBackendState } from './store-backend-state';
import type { SseEventStoreTopology } from './store-topology';
import { keepsValkeyKeySet, VALKEY_KEY_SET_WARNING } from './valkey-key-set';

/** A store with its storage and wake-ups, and the one way to shut them down. */
export interface AssembledSseEventStore extends StoreBackendState {
  readonly store: DefaultSseEventStore;
  /** The store's instruments (no-ops without an OpenTelemetry SDK). */
  readonly metrics: StoreMetrics;
  /** Ends the store's readers, then closes the wake-ups and the storage (their connections, and their listeners on the application's cache and client). */
  close(): Promise<void>;
}

/**
 * Builds the store on `cache`: the wake-ups (Redis pub/sub when the `redis` option or the cache
 * gives a Redis client, in-process otherwise), the storage (native Redis when the cache is on
 * Redis, native in-memory when the cache keeps its entries in this process, unless
 * `storage: 'generic'`; cache-manager otherwise), and how the two work together.
 * Its instruments come from the `meterProvider` option, else from the MeterProvider registered
 * globally with `@opentelemetry/api` now. The module's providers and the testing helpers both
 * build their store here.
 */
export function assembleSseEventStore(
  cache: Cache,
  moduleOptions: Pick<SseEventStoreModuleOptions, 'redis' | 'meterProvider'>,
  options: ResolvedSseEventStoreOptions,
): AssembledSseEventStore {
  const metrics = new StoreMetrics(storeMeter(moduleOptions.meterProvider));
  const found = findRedisConnection(cache);
  const pubSub =
    moduleOptions.redis === false ? undefined : moduleOptions.redis ? redisPubSubOf(moduleOptions.redis) : findRedisPubSub(cache, found);
  const redisWakeup = pubSub
    ? new RedisStreamWakeup(pubSub.pubSub, new WakeupChannels(options.keyPrefix), (writtenAt) => metrics.wakeupArrived(writtenAt))
    : undefined;
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
  // Without a native connection every event is written through the cache's store (the generic path).
  if (!connection && keepsValkeyKeySet(cache)) new Logger('SseEventStore').warn(VALKEY_KEY_SET_WARNING);
  const storageIsProcessLocal = !connection && isProcessLocalCache(cache);
  const inMemory = storageIsProcessLocal && options.storage !== 'generic';
  // An outage is something a backend out of this process has: the in-memory path only refuses
  // writes that do not fit, which is not one.
  const storage: StreamStorage = inMemory
    ? new MemoryStreamStorage(memoryStreamTableOf(cache, options.keyPrefix), options)
    : new OutageLoggedStorage(
        connection ? new RedisStreamStorage(connection, options, publication) : new CacheStreamStorage(cache, options),
        storageOutageLog(connection ? (connection.isCluster ? 'Redis Cluster' : 'Redis') : 'The cache'),
      );

  const store = new DefaultSseEventStore(
    storage,
    wakeup,
    options,
    { storageIsProcessLocal, storagePublishesWakeups: publication !== undefined },
    metrics,
  );
  // Push while every writer's wake-up reaches this process's readers: always in-process, while
  // connected on Redis pub/sub; a shared cache without pub/sub is polled.
  const stopReportingWakeupState = metrics.reportWakeupState(() =>
    (redisWakeup ? redisWakeup.pushes : storageIsProcessLocal) ? 'push' : 'polling',
  );
  const topology: SseEventStoreTopology = {
    ...(connection
      ? {
          storage: connection.isCluster ? 'redis-cluster' : 'redis',
          storageReason: `the cache's store is @keyv/redis or @keyv/valkey on ${connection.isCluster ? 'a Redis Cluster' : 'one Redis server'}: native commands`,
        }
      : {
          storage: inMemory ? 'memory' : 'cache',
          storageReason: inMemory
            ? 'the cache keeps its entries in this process: native in-memory structures, bounded by maxMemoryBytes'
            : options.storage === 'generic'
              ? `option storage: 'generic': through cache-manager, whatever the cache's store`
              : `the cache's store is not @keyv/redis or @keyv/valkey: through cache-manager`,
        }),
    ...(redisWakeup
      ? {
          wakeup: 'redis-pubsub',
          wakeupReason: moduleOptions.redis
            ? 'a subscriber connection duplicated from the client of option redis'
            : `a subscriber connection duplicated from the cache's Redis client`,
        }
      : storageIsProcessLocal
        ? { wakeup: 'local', wakeupReason: 'the storage is in this process, so every writer is too' }
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
    metrics,
    close: async () => {
      stopReportingWakeupState();
      store.onModuleDestroy();
      await wakeup.close();
      await storage.close();
    },
  };
}

/** The storage's outage log: one warning when `backend` stops answering, one line when it answers again. */
function storageOutageLog(backend: string): OutageLog {
  return new OutageLog(new Logger('SseEventStore'), {
    started: (cause) =>
      `${backend} is not answering the event store (${cause}): its operations fail (HTTP 503) until it answers again; ` +
      'further failures are counted, not logged.',
    ended: (duration, failures) => `${backend} answers the event store again after ${duration}; ${failures} operation(s) failed meanwhile.`,
  });
}

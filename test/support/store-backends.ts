import type { SseEventStorage, SseEventStore, SseEventStoreModuleOptions } from '../../lib';
import { createSseEventStore } from '../../lib/testing';
import { type CacheBackend, createTestCache, type TestCache, uniquePrefix } from './caches';

/**
 * Where a store keeps its streams in a test: the in-memory cache natively (the default) or on the
 * generic cache-manager path, Redis through `@keyv/redis` on the generic path or natively, or
 * Redis natively through `@keyv/valkey`.
 */
export type StoreBackend = 'memory' | 'memory-generic' | 'redis-generic' | 'redis-native' | 'valkey-native';

export const STORE_BACKENDS: readonly StoreBackend[] = ['memory', 'memory-generic', 'redis-generic', 'redis-native', 'valkey-native'];

/** The cache a store backend runs on. */
export function cacheBackendOf(backend: StoreBackend): CacheBackend {
  if (backend === 'memory' || backend === 'memory-generic') return 'memory';
  return backend === 'valkey-native' ? 'valkey' : 'redis';
}

/** The `storage` option that puts a store on the backend's path. */
export function storageOptionOf(backend: StoreBackend): SseEventStorage {
  if (backend === 'memory') return 'auto';
  return backend === 'memory-generic' || backend === 'redis-generic' ? 'generic' : 'redis';
}

type StoreOptions = Omit<SseEventStoreModuleOptions, 'cache' | 'keyPrefix' | 'storage'>;

/** A store of a test, on a key prefix of its own. */
export interface BackendStore {
  store: SseEventStore;
  keyPrefix: string;
  close(): Promise<void>;
}

/** One cache per backend, shared by many stores (each on a fresh key prefix). */
export interface StoreBackendCache {
  readonly backend: StoreBackend;
  openStore(options?: StoreOptions): BackendStore;
  close(): Promise<void>;
}

/** Connects to the backend (Redis at REDIS_URL; fails when it is not there, never skips). */
export async function openStoreBackend(backend: StoreBackend): Promise<StoreBackendCache> {
  const testCache: TestCache = await createTestCache(cacheBackendOf(backend));
  return {
    backend,
    openStore(options = {}) {
      const keyPrefix = uniquePrefix();
      const created = createSseEventStore({ ...options, cache: testCache.cache, keyPrefix, storage: storageOptionOf(backend) });
      return { store: created.store, keyPrefix, close: created.close };
    },
    close: () => testCache.close(),
  };
}

import type { SseEventStore, SseEventStoreModuleOptions } from '../../lib';
import { createSseEventStore } from '../../lib/testing';
import { createTestCache, type TestCache, uniquePrefix } from './caches';

/**
 * Where a store keeps its streams in a test: the in-memory cache, Redis through `@keyv/redis`
 * on the generic cache-manager path or natively, or Redis natively through `@keyv/valkey`.
 */
export type StoreBackend = 'memory' | 'redis-generic' | 'redis-native' | 'valkey-native';

export const STORE_BACKENDS: readonly StoreBackend[] = ['memory', 'redis-generic', 'redis-native', 'valkey-native'];

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
  const testCache: TestCache = await createTestCache(backend === 'memory' ? 'memory' : backend === 'valkey-native' ? 'valkey' : 'redis');
  return {
    backend,
    openStore(options = {}) {
      const keyPrefix = uniquePrefix();
      const storage = backend === 'redis-generic' ? 'generic' : backend === 'memory' ? 'auto' : 'redis';
      const created = createSseEventStore({ ...options, cache: testCache.cache, keyPrefix, storage });
      return { store: created.store, keyPrefix, close: created.close };
    },
    close: () => testCache.close(),
  };
}

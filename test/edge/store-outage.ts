import type { Cache } from 'cache-manager';
import type { SseEventStorage } from '../../lib';
import { createFailingCache } from '../support/failing-cache';
import { createOutageCache } from '../support/outage-cache';
import type { Backend } from './edge-app';

/**
 * A store backend the edge tests can take away while an application runs on it:
 *
 * - memory: the in-memory cache on the generic path (the native in-memory path has no cache to
 *   lose), whose reads and writes reject while it is down (`readsOnly`: only its reads);
 * - redis: a redis-server of the test's own (native path), shut down with SAVE and restarted
 *   with its data; its client queues commands meanwhile, so calls fail after `operationTimeout`.
 */
export interface StoreOutage {
  readonly backend: Backend;
  /** Give it to the app as its cache (`EdgeApp.start({ cache })`). */
  readonly cache: Cache;
  /** Store options that put the store on the cache and make a Redis outage show within a test's time. */
  readonly storeOptions: { operationTimeout: number; pollingInterval: number; storage?: SseEventStorage };
  down(options?: { readsOnly?: boolean }): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function createStoreOutage(backend: Backend): Promise<StoreOutage> {
  const storeOptions = { operationTimeout: 500, pollingInterval: 200 };
  if (backend === 'memory') {
    const failing = createFailingCache();
    return {
      backend,
      cache: failing.cache,
      storeOptions: { ...storeOptions, storage: 'generic' },
      async down(options = {}) {
        failing.failReads = true;
        failing.failWrites = !options.readsOnly;
      },
      async up() {
        failing.failReads = false;
        failing.failWrites = false;
      },
      async close() {},
    };
  }
  const outage = await createOutageCache('redis');
  return {
    backend,
    cache: outage.cache,
    storeOptions,
    async down(options = {}) {
      if (options.readsOnly) throw new Error('a Redis outage takes reads and writes');
      await outage.stop('save');
    },
    up: () => outage.resume(),
    close: () => outage.close(),
  };
}

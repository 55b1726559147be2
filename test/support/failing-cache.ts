import { type Cache, createCache } from 'cache-manager';

/** A cache whose reads and writes a test can make fail, at once, as a store that lost its backend. */
export interface FailingCache {
  cache: Cache;
  /** While true, every read (`get`, `mget`) rejects. */
  failReads: boolean;
  /** While true, every write and delete (`set`, `mset`, `del`, `mdel`, batched deletes) rejects. */
  failWrites: boolean;
  /** Reads and writes refused so far. */
  readonly refused: { reads: number; writes: number };
}

const READS = new Set(['get', 'mget']);
const WRITES = new Set(['set', 'mset', 'del', 'mdel']);

/**
 * An in-memory cache-manager cache (the generic storage path) wrapped so that calls reject
 * while the test says so; unlike a cache that stops answering, the store sees the failure at
 * once (`SseStoreUnavailableError`, `SseEventPersistenceError`), without waiting for its
 * `operationTimeout`.
 */
export function createFailingCache(inner: Cache = createCache()): FailingCache {
  const control: FailingCache = {
    cache: undefined as unknown as Cache,
    failReads: false,
    failWrites: false,
    refused: { reads: 0, writes: 0 },
  };
  const refuse = (kind: 'reads' | 'writes', operation: string): Promise<never> => {
    control.refused[kind]++;
    return Promise.reject(new Error(`the test cache refuses ${operation}`));
  };
  const stores = inner.stores.map(
    (store) =>
      new Proxy(store, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          if (property === 'deleteMany')
            return (...args: unknown[]) => (control.failWrites ? refuse('writes', 'deleteMany') : value.apply(target, args));
          return value.bind(target);
        },
      }),
  );
  control.cache = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'stores') return stores;
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      if (READS.has(property)) return (...args: unknown[]) => (control.failReads ? refuse('reads', property) : value.apply(target, args));
      if (WRITES.has(property))
        return (...args: unknown[]) => (control.failWrites ? refuse('writes', property) : value.apply(target, args));
      return value.bind(target);
    },
  });
  return control;
}

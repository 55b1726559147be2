import type { Cache } from 'cache-manager';

/** Anything in `cache.stores` that reports failures through an `error` event (Keyv does). */
interface ErrorReportingStore {
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  deleteMany?(keys: string[]): Promise<unknown>;
}

export interface CacheEntry {
  key: string;
  value: string;
  ttl: number;
}

/** Raised by {@link CheckedCache} when the cache reported a failure during an operation. */
export class CacheOperationError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`Cache ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * cache-manager 7 on Keyv swallows store failures: `set`/`mset` resolve and `mget` answers
 * `undefined` while Redis is down, and Keyv only emits `error`. This wrapper counts those
 * events and fails any operation during which one was reported, so nothing is acknowledged
 * that the cache did not take. A failure of a concurrent operation may fail this one too:
 * that errs on the safe side.
 */
export class CheckedCache {
  private errorsSeen = 0;
  private lastError: unknown;
  private readonly stores: ErrorReportingStore[];

  constructor(private readonly cache: Cache) {
    this.stores = (cache.stores ?? []) as ErrorReportingStore[];
    for (const store of this.stores) {
      store.on?.('error', (error: unknown) => {
        this.errorsSeen++;
        this.lastError = error;
      });
    }
  }

  /** One round trip: the values of the keys, `undefined` where absent. */
  getMany(keys: string[]): Promise<unknown[]> {
    return this.checked('read', () => this.cache.mget<unknown>(keys));
  }

  /** One round trip: stores every entry with its TTL. */
  async setMany(entries: CacheEntry[]): Promise<void> {
    await this.checked('write', () => this.cache.mset(entries));
  }

  /** One round trip per store (cache-manager's own `mdel` deletes key by key). */
  async deleteMany(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.checked('delete', async () => {
      if (this.stores.length > 0 && this.stores.every((store) => typeof store.deleteMany === 'function')) {
        await Promise.all(this.stores.map((store) => store.deleteMany!(keys)));
      } else {
        await this.cache.mdel(keys);
      }
    });
  }

  private async checked<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const errorsBefore = this.errorsSeen;
    let result: T;
    try {
      result = await run();
    } catch (error) {
      throw new CacheOperationError(operation, error);
    }
    if (this.errorsSeen !== errorsBefore) throw new CacheOperationError(operation, this.lastError);
    return result;
  }
}

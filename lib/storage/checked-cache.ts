import type { Cache } from 'cache-manager';

/** Anything in `cache.stores` that reports failures through an `error` event (Keyv does). */
interface ErrorReportingStore {
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  off?(event: 'error', listener: (error: unknown) => void): unknown;
  deleteMany?(keys: string[]): Promise<unknown>;
}

export interface CacheEntry {
  key: string;
  value: string;
  ttl: number;
}

/** The cause of a {@link CacheOperationError} when the cache did not answer in time. */
export class CacheTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** Raised by {@link CheckedCache} when the cache reported a failure during an operation, or did not answer in time. */
export class CacheOperationError extends Error {
  constructor(operation: string, cause: unknown) {
    super(`Cache ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * cache-manager 7 on Keyv swallows store failures: `set`/`mset` resolve and `mget` answers
 * `undefined` while Redis is down, and only an `error` event (Keyv's, or cache-manager's own
 * `mget` event) tells. This wrapper counts those events and fails any operation during which
 * one was reported, so nothing is acknowledged that the cache did not take, and an unreachable
 * cache never reads as an empty one. A failure of a concurrent operation may fail this one too:
 * that errs on the safe side.
 *
 * It also bounds every operation by `timeoutMs`: a Redis client that lost its server queues
 * commands until it reconnects (node-redis' offline queue), so without a bound a write or read
 * would wait for as long as the outage lasts. A command that timed out may still run later,
 * when the client reconnects; callers treat a timeout like any other failure of unknown outcome.
 */
export class CheckedCache {
  private errorsSeen = 0;
  private lastError: unknown;
  private readonly stores: ErrorReportingStore[];
  private readonly recordError = (error: unknown): void => {
    this.errorsSeen++;
    this.lastError = error;
  };
  private readonly recordMgetError = (event: { error?: unknown }): void => {
    if (event?.error !== undefined) this.recordError(event.error);
  };

  constructor(
    private readonly cache: Cache,
    private readonly timeoutMs: number,
  ) {
    this.stores = (cache.stores ?? []) as ErrorReportingStore[];
    for (const store of this.stores) store.on?.('error', this.recordError);
    // A Keyv adapter whose getMany rejects (instead of emitting `error`, as @keyv/redis does) is
    // not caught by Keyv; cache-manager's mget then answers `undefined` for every key and only
    // reports the failure in its own `mget` event. Unnoticed, an unreachable cache would read
    // as "no such stream".
    cache.on?.('mget', this.recordMgetError);
  }

  /** Removes the listeners added to the application's cache and its stores. */
  close(): void {
    for (const store of this.stores) store.off?.('error', this.recordError);
    this.cache.off?.('mget', this.recordMgetError);
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
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CacheTimeoutError(this.timeoutMs)), this.timeoutMs);
    });
    let result: T;
    try {
      result = await Promise.race([run(), timedOut]);
    } catch (error) {
      throw new CacheOperationError(operation, error);
    } finally {
      clearTimeout(timer);
    }
    if (this.errorsSeen !== errorsBefore) throw new CacheOperationError(operation, this.lastError);
    return result;
  }
}

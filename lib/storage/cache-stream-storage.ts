import { Logger } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { SseLimitExceededError } from '../errors/sse-limit-exceeded.error';
import { SseSessionDeletedError } from '../errors/sse-session-deleted.error';
import { SseStreamClosedError } from '../errors/sse-stream-closed.error';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import { CacheKeys } from './cache-keys';
import { CacheStreamAppender } from './cache-stream-appender';
import { type CacheEntry, CheckedCache } from './checked-cache';
import { KeyedSerialQueue } from './keyed-serial-queue';
import { StorageErrors } from './storage-errors';
import { deleteInBatches, longestLifetime } from './stream-lifetimes';
import { parseStored, slidingTtl, type StoredEvent, type StoredMetadata, toEventRecord } from '../encoding/stored-records';
import {
  type StoredEventRecord,
  type StreamAppender,
  type StreamReadResult,
  type StreamSnapshot,
  StreamStorage,
} from './stream-storage.interface';
import { printableId } from '../logging/printable-id';

/**
 * The generic storage path: any cache-manager 7 cache (in-memory, `@keyv/redis`, ...), using
 * only `mget`, `mset` and batched deletes. A write costs one `mset` (events and metadata
 * together); a read costs one `mget` (metadata, tombstone and a page of events together).
 *
 * Without atomic operations in cache-manager, the session index is read-modify-written under
 * a per-session lock: safe within a process; across processes a concurrent create may drop an
 * index entry, which the session tombstone makes harmless (the stream cannot be resumed after
 * a delete, and its keys expire).
 */
export class CacheStreamStorage extends StreamStorage {
  private readonly logger = new Logger('SseEventStore');
  private readonly cache: CheckedCache;
  private readonly keys: CacheKeys;
  private readonly sessionLocks = new KeyedSerialQueue();

  constructor(
    cache: Cache,
    private readonly options: ResolvedSseEventStoreOptions,
  ) {
    super();
    this.cache = new CheckedCache(cache, options.operationTimeout);
    this.keys = new CacheKeys(options.keyPrefix);
  }

  openStream(address: SseStreamAddress, mode: SseEventStreamMode, reopenCompleted: boolean): Promise<StreamAppender> {
    return this.sessionLocks.run(address.sessionId, async () => {
      const indexKey = this.keys.sessionIndex(address.sessionId);
      const [tombstone, index, metadata] = await this.readOrThrow([
        this.keys.sessionTombstone(address.sessionId),
        indexKey,
        this.keys.metadata(address),
      ]);
      if (tombstone !== undefined) throw new SseSessionDeletedError(address.sessionId);
      let streams = parseStored<string[]>(index) ?? [];
      if (!streams.includes(address.streamId)) {
        const max = this.options.maxStreamsPerSession;
        if (streams.length >= max) streams = await this.streamsStillHeld(address.sessionId, streams);
        if (streams.length >= max) throw SseLimitExceededError.streamsPerSession(address.sessionId, address.streamId, max);
        streams.push(address.streamId);
      }
      const previous = parseStored<StoredMetadata>(metadata);
      if (previous?.c && !reopenCompleted) throw new SseStreamClosedError(address.sessionId, address.streamId);
      const now = Date.now();
      // A second writer continues the stream after what is stored; it never overwrites.
      const state: StoredMetadata = { m: mode, c: false, f: previous?.f ?? 1, l: previous?.l ?? 0, w: now };
      const { metadataSlidingExpiration, metadataAbsoluteExpiration } = this.options;
      const entries: CacheEntry[] = [
        {
          key: this.keys.metadata(address),
          value: JSON.stringify(state),
          ttl: slidingTtl(now, metadataSlidingExpiration, metadataAbsoluteExpiration, now),
        },
        { key: indexKey, value: JSON.stringify(streams), ttl: longestLifetime(this.options) },
      ];
      try {
        await this.cache.setMany(entries);
      } catch (error) {
        throw StorageErrors.openFailed('the cache', address.streamId, error);
      }
      return new CacheStreamAppender(address, state, this.cache, this.keys, this.options, this.logger);
    });
  }

  async read(address: SseStreamAddress, fromSequence: number, count: number): Promise<StreamReadResult> {
    const eventKeyPrefix = this.keys.eventPrefix(address);
    const keys = [this.keys.metadata(address), this.keys.sessionTombstone(address.sessionId)];
    for (let offset = 0; offset < count; offset++) keys.push(eventKeyPrefix + (fromSequence + offset));
    const values = await this.readOrThrow(keys);
    if (values[1] !== undefined) return { status: 'deleted' };
    const metadata = parseStored<StoredMetadata>(values[0]);
    if (!metadata) return { status: 'missing' };

    const now = Date.now();
    const refresh: CacheEntry[] = [];
    const events: (StoredEventRecord | undefined)[] = [];
    const last = Math.min(metadata.l, fromSequence + count - 1);
    for (let sequence = fromSequence; sequence <= last; sequence++) {
      const stored = parseStored<StoredEvent>(values[2 + sequence - fromSequence]);
      events.push(stored && toEventRecord(stored));
      const { eventSlidingExpiration, eventAbsoluteExpiration } = this.options;
      if (stored && this.isStale(stored, eventSlidingExpiration)) {
        const ttl = slidingTtl(stored.w, eventSlidingExpiration, eventAbsoluteExpiration, now);
        if (ttl > 0) refresh.push({ key: eventKeyPrefix + sequence, value: JSON.stringify({ ...stored, a: now }), ttl });
      }
    }
    // Only a completed stream's metadata is refreshed by readers: a live writer rewrites it, and
    // a reader's copy could otherwise overwrite a newer one.
    if (metadata.c && this.isStale(metadata, this.options.metadataSlidingExpiration)) {
      const ttl = slidingTtl(metadata.w, this.options.metadataSlidingExpiration, this.options.metadataAbsoluteExpiration, now);
      if (ttl > 0) refresh.push({ key: keys[0], value: JSON.stringify({ ...metadata, a: now }), ttl });
    }
    if (refresh.length > 0) {
      this.cache
        .setMany(refresh)
        .catch((error: unknown) =>
          this.logger.debug(`Extending the expiry of stream ${printableId(address.streamId)} failed: ${String(error)}`),
        );
    }
    return { status: 'found', snapshot: toSnapshot(metadata), events };
  }

  async close(): Promise<void> {
    this.cache.close();
  }

  deleteSession(sessionId: string): Promise<number> {
    return this.sessionLocks.run(sessionId, async () => {
      const tombstoneKey = this.keys.sessionTombstone(sessionId);
      const indexKey = this.keys.sessionIndex(sessionId);
      // The tombstone goes first: from here on no id of the session can be resumed, even if a
      // stream was missing from the index or a delete below fails.
      try {
        await this.cache.setMany([{ key: tombstoneKey, value: '1', ttl: longestLifetime(this.options) }]);
      } catch (error) {
        throw StorageErrors.deleteNotAcknowledged(error);
      }
      const [index] = await this.readOrThrow([indexKey]);
      const streams = parseStored<string[]>(index) ?? [];
      const addresses = streams.map((streamId) => ({ sessionId, streamId }));
      const metadataKeys = addresses.map((address) => this.keys.metadata(address));
      const metadata = streams.length > 0 ? await this.readOrThrow(metadataKeys) : [];
      const doomed = [indexKey, ...metadataKeys];
      addresses.forEach((address, position) => {
        const stored = parseStored<StoredMetadata>(metadata[position]);
        if (!stored) return;
        const prefix = this.keys.eventPrefix(address);
        for (let sequence = stored.f; sequence <= stored.l; sequence++) doomed.push(prefix + sequence);
      });
      await deleteInBatches(doomed, (batch) => this.cache.deleteMany(batch));
      return streams.length;
    });
  }

  /**
   * The indexed streams whose metadata is still stored: the index only grows while the session
   * lives, so at the stream limit the expired ones are dropped before the limit is enforced.
   */
  private async streamsStillHeld(sessionId: string, streams: string[]): Promise<string[]> {
    const metadata = await this.readOrThrow(streams.map((streamId) => this.keys.metadata({ sessionId, streamId })));
    return streams.filter((_, position) => metadata[position] !== undefined);
  }

  async probe(): Promise<void> {
    await this.readOrThrow([this.keys.probe]);
  }

  private isStale(record: { w: number; a?: number }, sliding: number): boolean {
    return Date.now() - (record.a ?? record.w) > sliding / 2;
  }

  private async readOrThrow(keys: string[]): Promise<unknown[]> {
    try {
      return await this.cache.getMany(keys);
    } catch (error) {
      throw StorageErrors.readFailed('the cache', error);
    }
  }
}

function toSnapshot(metadata: StoredMetadata): StreamSnapshot {
  return { mode: metadata.m, completed: metadata.c, firstSequence: metadata.f, lastSequence: metadata.l };
}

import type { Logger } from '@nestjs/common';
import { SseSessionDeletedError } from '../errors/sse-session-deleted.error';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import type { CacheKeys } from './cache-keys';
import type { CacheEntry, CheckedCache } from './checked-cache';
import { parseStored, slidingTtl, type StoredMetadata } from '../encoding/stored-records';
import { StorageErrors } from './storage-errors';
import { startKeepAlive } from './stream-lifetimes';
import type { StreamAppender } from './stream-storage.interface';
import { printableId } from '../logging/printable-id';

/**
 * Write side of one stream on the generic cache path. The sequence lives here (one writer per
 * stream); each batch of events is stored with the stream's metadata in a single `mset`,
 * events before metadata, so metadata never runs ahead of the stored events.
 */
export class CacheStreamAppender implements StreamAppender {
  private readonly eventKeyPrefix: string;
  private readonly metadataKey: string;
  private readonly trimSlack: number;
  private readonly touchTimer: NodeJS.Timeout;
  /** Set when a write failed: its outcome is unknown, so the state is re-read before the next write. */
  private needsResync = false;
  /** A write is under way: a keep-alive now could land after it with older metadata. */
  private writing = false;

  constructor(
    private readonly address: SseStreamAddress,
    private state: StoredMetadata,
    private readonly cache: CheckedCache,
    private readonly keys: CacheKeys,
    private readonly options: ResolvedSseEventStoreOptions,
    private readonly logger: Logger,
  ) {
    this.eventKeyPrefix = keys.eventPrefix(address);
    this.metadataKey = keys.metadata(address);
    this.trimSlack = Math.max(1, Math.floor(options.maxEventsPerStream / 10));
    // cache-manager has no sliding TTL: the writer itself keeps its metadata alive.
    this.touchTimer = startKeepAlive(options, () => this.touch());
  }

  async append(payloads: readonly string[]): Promise<number> {
    if (this.needsResync) await this.resync();
    const now = Date.now();
    const first = this.state.l + 1;
    const last = this.state.l + payloads.length;
    const trimmedFirst =
      last - this.state.f + 1 > this.options.maxEventsPerStream + this.trimSlack
        ? Math.min(last - this.options.maxEventsPerStream + 1, first)
        : this.state.f;
    const eventTtl = slidingTtl(now, this.options.eventSlidingExpiration, this.options.eventAbsoluteExpiration, now);
    const entries: CacheEntry[] = payloads.map((value, index) => ({
      key: this.eventKeyPrefix + (first + index),
      value,
      ttl: eventTtl,
    }));
    const metadata: StoredMetadata = { ...this.state, f: trimmedFirst, l: last, w: now };
    entries.push(this.metadataEntry(metadata));
    await this.persist(entries);
    const trimmedKeys = this.eventKeys(this.state.f, trimmedFirst - 1);
    this.state = metadata;
    if (trimmedKeys.length > 0) {
      // Readers already treat these as gone (metadata says so); a failed delete only leaves them to expire.
      this.cache
        .deleteMany(trimmedKeys)
        .catch((error: unknown) =>
          this.logger.debug(`Trimming stream ${printableId(this.address.streamId)} failed; the events will expire: ${String(error)}`),
        );
    }
    return first;
  }

  async update(change: { mode?: SseEventStreamMode; completed?: boolean }): Promise<void> {
    if (this.needsResync) await this.resync();
    const metadata: StoredMetadata = {
      ...this.state,
      m: change.mode ?? this.state.m,
      c: change.completed ?? this.state.c,
      w: Date.now(),
    };
    await this.persist([this.metadataEntry(metadata)]);
    this.state = metadata;
  }

  close(): void {
    clearInterval(this.touchTimer);
  }

  private metadataEntry(metadata: StoredMetadata, now = metadata.w): CacheEntry {
    const { metadataSlidingExpiration, metadataAbsoluteExpiration } = this.options;
    return {
      key: this.metadataKey,
      value: JSON.stringify(metadata),
      ttl: slidingTtl(metadata.w, metadataSlidingExpiration, metadataAbsoluteExpiration, now),
    };
  }

  private eventKeys(from: number, to: number): string[] {
    const keys: string[] = [];
    for (let sequence = from; sequence <= to; sequence++) keys.push(this.eventKeyPrefix + sequence);
    return keys;
  }

  private async persist(entries: CacheEntry[]): Promise<void> {
    this.writing = true;
    try {
      await this.cache.setMany(entries);
    } catch (error) {
      this.needsResync = true;
      // A timed-out write may still be carried out by the cache: say so rather than "not stored".
      throw StorageErrors.writeOutcomeUnknown('the cache', this.address.streamId, error);
    } finally {
      this.writing = false;
    }
  }

  /** After a failed write: continue after whatever the cache really holds, so no sequence is skipped or reused visibly. */
  private async resync(): Promise<void> {
    let values: unknown[];
    try {
      values = await this.cache.getMany([this.metadataKey, this.keys.sessionTombstone(this.address.sessionId)]);
    } catch (error) {
      // Its state cannot be read, so the write is not sent.
      throw StorageErrors.writeNotStored('the cache', this.address.streamId, error);
    }
    if (values[1] !== undefined) throw new SseSessionDeletedError(this.address.sessionId);
    const stored = parseStored<StoredMetadata>(values[0]);
    if (stored) this.state = { ...this.state, f: stored.f, l: stored.l };
    this.needsResync = false;
  }

  private async touch(): Promise<void> {
    const now = Date.now();
    const entry = this.metadataEntry({ ...this.state, a: now }, now);
    if (this.needsResync || this.writing || entry.ttl <= 0) return;
    try {
      await this.cache.setMany([entry]);
    } catch (error) {
      this.logger.debug(`Keeping stream ${printableId(this.address.streamId)} alive failed: ${String(error)}`);
    }
  }
}

/**
 * BENCHMARK BASELINE, NOT LIBRARY CODE.
 *
 * A TypeScript port of the C# MCP SDK's `DistributedCacheEventStreamStore`, on a cache-manager 7
 * `Cache`, so the benchmark can compare the store with the reference algorithm on the same cache.
 * It keeps the reference's round trips on purpose, never fewer:
 *
 * - write: `set` of the event, `set` of the stream metadata, then a read-modify-write of the
 *   session index (`get` + `set`): four sequential round trips per event;
 * - reader: one `get` per event; once caught up, it sleeps the polling interval (1 s) and
 *   `get`s the metadata again, for as long as the stream is open;
 * - `getStreamReader`: one `get` of the metadata.
 *
 * Differences that do not change the round trips: cache-manager has no sliding expiry, so each
 * key gets the sliding window as its TTL; values are JSON strings; cancellation is an
 * `AbortSignal`. `deleteStreamsForSession` is not ported: no scenario measures it.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Cache } from 'cache-manager';

export type ReferenceStreamMode = 'streaming' | 'polling';

export interface ReferenceStoreOptions {
  /** Replaces the reference's fixed `mcp:sse` so runs do not share keys. */
  keyPrefix: string;
  eventSlidingExpiration: number;
  metadataSlidingExpiration: number;
  pollingInterval: number;
}

export const REFERENCE_DEFAULTS: Omit<ReferenceStoreOptions, 'keyPrefix'> = {
  eventSlidingExpiration: 30 * 60_000,
  metadataSlidingExpiration: 60 * 60_000,
  pollingInterval: 1_000,
};

export interface ReferenceItem {
  data: unknown;
  eventType?: string;
  eventId?: string;
  reconnectionIntervalMs?: number;
}

interface StreamMetadata {
  mode: ReferenceStreamMode;
  isCompleted: boolean;
  lastSequence: number;
}

interface SessionIndex {
  streams: { streamId: string; lastSequence: number }[];
}

/** Keys per `mset` when seeding. */
const SEED_CHUNK = 1_000;

const base64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64');
const fromBase64 = (value: string): string => Buffer.from(value, 'base64').toString('utf8');

/** `base64(session):base64(stream):sequence`, as the reference's id formatter. */
export function formatReferenceEventId(sessionId: string, streamId: string, sequence: number): string {
  return `${base64(sessionId)}:${base64(streamId)}:${sequence}`;
}

function parseReferenceEventId(eventId: string): { sessionId: string; streamId: string; sequence: number } | undefined {
  const parts = eventId.split(':');
  if (parts.length !== 3 || !/^-?\d+$/.test(parts[2])) return undefined;
  return { sessionId: fromBase64(parts[0]), streamId: fromBase64(parts[1]), sequence: Number(parts[2]) };
}

class ReferenceKeys {
  private readonly root: string;
  constructor(keyPrefix: string) {
    this.root = `${keyPrefix}:v1:`;
  }
  metadata(sessionId: string, streamId: string): string {
    return `${this.root}meta:${base64(sessionId)}:${base64(streamId)}`;
  }
  sessionIndex(sessionId: string): string {
    return `${this.root}idx:${base64(sessionId)}`;
  }
  event(eventId: string): string {
    return `${this.root}event:${eventId}`;
  }
}

export class ReferenceEventStore {
  private readonly keys: ReferenceKeys;

  constructor(
    private readonly cache: Cache,
    private readonly options: ReferenceStoreOptions,
  ) {
    this.keys = new ReferenceKeys(options.keyPrefix);
  }

  createStream(sessionId: string, streamId: string, mode: ReferenceStreamMode = 'streaming'): ReferenceStreamWriter {
    return new ReferenceStreamWriter(this.cache, this.keys, this.options, sessionId, streamId, mode);
  }

  /**
   * BENCHMARK SETUP ONLY, not part of the reference algorithm: stores a completed stream exactly
   * as its writer would leave it (events, completed metadata, session index entry), in `mset`
   * calls of many keys, because writing a million events at four round trips each would take
   * minutes. Measurements never use it. Resolves with the event ids.
   */
  async seedCompletedStream(
    sessionId: string,
    streamId: string,
    items: ReferenceItem[],
    mode: ReferenceStreamMode = 'streaming',
  ): Promise<string[]> {
    const ids = items.map((_, index) => formatReferenceEventId(sessionId, streamId, index + 1));
    const entries = items.map((item, index) => ({
      key: this.keys.event(ids[index]),
      value: JSON.stringify({
        eventType: item.eventType,
        eventId: ids[index],
        reconnectionIntervalMs: item.reconnectionIntervalMs,
        data: item.data,
      }),
      ttl: this.options.eventSlidingExpiration,
    }));
    const metadata: StreamMetadata = { mode, isCompleted: true, lastSequence: items.length };
    entries.push({
      key: this.keys.metadata(sessionId, streamId),
      value: JSON.stringify(metadata),
      ttl: this.options.metadataSlidingExpiration,
    });
    for (let start = 0; start < entries.length; start += SEED_CHUNK) await this.cache.mset(entries.slice(start, start + SEED_CHUNK));
    const indexKey = this.keys.sessionIndex(sessionId);
    const raw = await this.cache.get<string>(indexKey);
    const index: SessionIndex = raw ? (JSON.parse(raw) as SessionIndex) : { streams: [] };
    index.streams.push({ streamId, lastSequence: items.length });
    await this.cache.set(indexKey, JSON.stringify(index), this.options.metadataSlidingExpiration);
    return ids;
  }

  async getStreamReader(lastEventId: string): Promise<ReferenceStreamReader | null> {
    const position = parseReferenceEventId(lastEventId);
    if (!position) return null;
    const raw = await this.cache.get<string>(this.keys.metadata(position.sessionId, position.streamId));
    if (raw === undefined || raw === null) return null;
    const metadata = JSON.parse(raw) as StreamMetadata;
    return new ReferenceStreamReader(
      this.cache,
      this.keys,
      this.options,
      position.sessionId,
      position.streamId,
      position.sequence + 1,
      metadata,
    );
  }
}

export class ReferenceStreamWriter {
  private sequence = 0;
  private disposed = false;

  constructor(
    private readonly cache: Cache,
    private readonly keys: ReferenceKeys,
    private readonly options: ReferenceStoreOptions,
    private readonly sessionId: string,
    private readonly streamId: string,
    private mode: ReferenceStreamMode,
  ) {}

  async setMode(mode: ReferenceStreamMode): Promise<void> {
    this.throwIfDisposed();
    this.mode = mode;
    await this.updateMetadata(false);
  }

  /** Like the reference, concurrent calls are allowed: the sequence is taken before the first await. */
  async writeEvent(item: ReferenceItem): Promise<ReferenceItem> {
    this.throwIfDisposed();
    if (item.eventId !== undefined) return item;
    const sequence = ++this.sequence;
    const eventId = formatReferenceEventId(this.sessionId, this.streamId, sequence);
    const stored = { eventType: item.eventType, eventId, reconnectionIntervalMs: item.reconnectionIntervalMs, data: item.data };
    await this.cache.set(this.keys.event(eventId), JSON.stringify(stored), this.options.eventSlidingExpiration);
    await this.updateMetadata(false);
    return { ...item, eventId };
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.updateMetadata(true);
  }

  private async updateMetadata(isCompleted: boolean): Promise<void> {
    const metadata: StreamMetadata = { mode: this.mode, isCompleted, lastSequence: this.sequence };
    await this.cache.set(
      this.keys.metadata(this.sessionId, this.streamId),
      JSON.stringify(metadata),
      this.options.metadataSlidingExpiration,
    );
    await this.updateSessionIndex(metadata.lastSequence);
  }

  private async updateSessionIndex(lastSequence: number): Promise<void> {
    const indexKey = this.keys.sessionIndex(this.sessionId);
    const raw = await this.cache.get<string>(indexKey);
    const index: SessionIndex = raw ? (JSON.parse(raw) as SessionIndex) : { streams: [] };
    const entry = index.streams.find((stream) => stream.streamId === this.streamId);
    if (entry) entry.lastSequence = lastSequence;
    else index.streams.push({ streamId: this.streamId, lastSequence });
    await this.cache.set(indexKey, JSON.stringify(index), this.options.metadataSlidingExpiration);
  }

  private throwIfDisposed(): void {
    if (this.disposed) throw new Error('The stream writer is disposed.');
  }
}

export class ReferenceStreamReader {
  constructor(
    private readonly cache: Cache,
    private readonly keys: ReferenceKeys,
    private readonly options: ReferenceStoreOptions,
    readonly sessionId: string,
    readonly streamId: string,
    private readonly startSequence: number,
    private readonly initialMetadata: StreamMetadata,
  ) {}

  /** Events from the start sequence on; ends when the stream is completed or polling, or when `signal` aborts. */
  async *readEvents(signal?: AbortSignal): AsyncGenerator<ReferenceItem> {
    let current = this.startSequence;
    let { lastSequence, isCompleted, mode } = this.initialMetadata;
    while (!signal?.aborted) {
      for (; current <= lastSequence; current++) {
        if (signal?.aborted) return;
        const eventId = formatReferenceEventId(this.sessionId, this.streamId, current);
        const raw = await this.cache.get<string>(this.keys.event(eventId));
        if (raw === undefined || raw === null) {
          throw new Error(`SSE event with ID '${eventId}' was not found in the cache. The event may have expired.`);
        }
        const stored = JSON.parse(raw) as ReferenceItem;
        yield {
          data: stored.data,
          eventType: stored.eventType,
          eventId: stored.eventId,
          reconnectionIntervalMs: stored.reconnectionIntervalMs,
        };
      }
      if (mode === 'polling' || isCompleted) return;
      try {
        await delay(this.options.pollingInterval, undefined, { signal });
      } catch {
        return; // cancelled
      }
      const raw = await this.cache.get<string>(this.keys.metadata(this.sessionId, this.streamId));
      if (raw === undefined || raw === null) throw new Error('Stream metadata was not found in the cache. The metadata may have expired.');
      ({ lastSequence, isCompleted, mode } = JSON.parse(raw) as StreamMetadata);
    }
  }
}

import type { Cache } from 'cache-manager';
import type { SseStreamAddress } from '../../lib';
import { CacheKeys } from '../../lib/storage/cache-keys';
import type { MemorySession, MemoryStream, MemoryStreamTable } from '../../lib/storage/memory/memory-stream-table';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import { listKeys, redisClientOf, remainingTtl } from './cache-inspection';

/**
 * What a storage path keeps where, for tests that look at (or tamper with) the stored data
 * rather than at the store's behaviour. One implementation per storage path.
 */
export interface StoredLayout {
  /** Every key the store holds for the session, sorted. */
  sessionKeys(sessionId: string): Promise<string[]>;
  tombstoneKey(sessionId: string): string;
  indexKey(sessionId: string): string;
  metadataKey(address: SseStreamAddress): string;
  /** How many keys a session of `streams` streams with `eventsPerStream` events each takes (no tombstone). */
  keysPerSession(streams: number, eventsPerStream: number): number;
  /** Which of the sequences 1..`upTo` have their event stored. */
  storedSequences(address: SseStreamAddress, upTo: number): Promise<number[]>;
  hasMetadata(address: SseStreamAddress): Promise<boolean>;
  /** Removes one stored event, as an eviction would. */
  removeEvent(address: SseStreamAddress, sequence: number): Promise<void>;
  /** Removes the stream's metadata, as an eviction would. */
  removeMetadata(address: SseStreamAddress): Promise<void>;
  /** Milliseconds until the stored event expires (on the native path, the stream's events key). */
  eventTtl(address: SseStreamAddress, sequence: number): Promise<number | undefined>;
  metadataTtl(address: SseStreamAddress): Promise<number | undefined>;
  indexTtl(sessionId: string): Promise<number | undefined>;
}

/** The generic cache-manager path: one key per event, JSON metadata, a JSON index (see `CacheKeys`). */
export function cacheLayout(
  cache: Cache,
  keyPrefix: string,
): StoredLayout & { eventKey(address: SseStreamAddress, sequence: number): string } {
  const keys = new CacheKeys(keyPrefix);
  const eventKey = (address: SseStreamAddress, sequence: number): string => keys.eventPrefix(address) + sequence;
  return {
    eventKey,
    sessionKeys: (sessionId) => listKeys(cache, keys.sessionRoot(sessionId)),
    tombstoneKey: (sessionId) => keys.sessionTombstone(sessionId),
    indexKey: (sessionId) => keys.sessionIndex(sessionId),
    metadataKey: (address) => keys.metadata(address),
    keysPerSession: (streams, eventsPerStream) => streams * eventsPerStream + streams + 1,
    async storedSequences(address, upTo) {
      const sequences = Array.from({ length: upTo }, (_, index) => index + 1);
      const values = await cache.mget<unknown>(sequences.map((sequence) => eventKey(address, sequence)));
      return sequences.filter((_, index) => values[index] !== undefined);
    },
    hasMetadata: async (address) => (await cache.get(keys.metadata(address))) !== undefined,
    removeEvent: async (address, sequence) => void (await cache.del(eventKey(address, sequence))),
    removeMetadata: async (address) => void (await cache.del(keys.metadata(address))),
    eventTtl: (address, sequence) => remainingTtl(cache, eventKey(address, sequence)),
    metadataTtl: (address) => remainingTtl(cache, keys.metadata(address)),
    indexTtl: (sessionId) => remainingTtl(cache, keys.sessionIndex(sessionId)),
  };
}

/** What only the native layout can do. */
export interface RedisNativeLayout extends StoredLayout {
  /**
   * Makes a stream look old: its events rewritten as written at `eventsWrittenAt` (one time per
   * stored event, oldest first), its metadata as written at `metadataWrittenAt`, and both keys
   * left with `ttl` ms to live.
   */
  age(address: SseStreamAddress, eventsWrittenAt: number[], metadataWrittenAt: number, ttl: number): Promise<void>;
}

/** The native Redis path: a Redis Stream and a metadata hash per stream, a set as index (see `RedisStreamKeys`). */
export function redisNativeLayout(cache: Cache, keyPrefix: string): RedisNativeLayout {
  const client = redisClientOf(cache);
  if (!client) throw new Error('the native layout needs a cache on @keyv/redis');
  const keys = new RedisStreamKeys(keyPrefix);
  /** Every entry of the stream's events key, oldest first. */
  const entries = (address: SseStreamAddress) => client.xRange(keys.stream(address).events, '-', '+');
  const sequenceOf = (id: string): number => Number(id.split('-')[0]);
  const ttl = async (key: string): Promise<number | undefined> => {
    const remaining = await client.pTTL(key);
    return remaining >= 0 ? remaining : undefined;
  };
  return {
    sessionKeys: (sessionId) => listKeys(cache, keys.sessionRoot(sessionId)),
    tombstoneKey: (sessionId) => keys.tombstone(sessionId),
    indexKey: (sessionId) => keys.index(sessionId),
    metadataKey: (address) => keys.stream(address).metadata,
    keysPerSession: (streams) => 2 * streams + 1,
    async storedSequences(address, upTo) {
      // Entries without an event mark sequences known to be lost (see the append script).
      return (await entries(address))
        .filter((entry) => 'e' in entry.message)
        .map((entry) => sequenceOf(entry.id))
        .filter((sequence) => sequence <= upTo);
    },
    hasMetadata: async (address) => (await client.exists(keys.stream(address).metadata)) === 1,
    async removeEvent(address, sequence) {
      const entry = (await entries(address)).find(({ id }) => sequenceOf(id) === sequence);
      if (entry) await client.xDel(keys.stream(address).events, entry.id);
    },
    removeMetadata: async (address) => void (await client.del(keys.stream(address).metadata)),
    eventTtl: (address) => ttl(keys.stream(address).events),
    metadataTtl: (address) => ttl(keys.stream(address).metadata),
    indexTtl: (sessionId) => ttl(keys.index(sessionId)),
    async age(address, eventsWrittenAt, metadataWrittenAt, timeToLive) {
      const { events, metadata } = keys.stream(address);
      const stored = await entries(address);
      if (stored.length !== eventsWrittenAt.length)
        throw new Error(`${stored.length} events stored, ${eventsWrittenAt.length} times given`);
      await client.del(events);
      for (const [index, entry] of stored.entries()) {
        await client.xAdd(events, `${sequenceOf(entry.id)}-${eventsWrittenAt[index]}`, entry.message);
      }
      await client.hSet(metadata, { w: String(metadataWrittenAt), t: String(Math.max(...eventsWrittenAt)) });
      await client.pExpire(events, timeToLive);
      await client.pExpire(metadata, timeToLive);
    },
  };
}

/** The arrays inside a stream's event log, reached for tampering as an eviction would. */
interface MemoryEventLogInternals {
  entries: unknown[];
  head: number;
}

/** What only the in-memory layout can do. */
export interface MemoryNativeLayout extends StoredLayout {
  /** The stream as the table holds it, or `undefined`. */
  stream(address: SseStreamAddress): MemoryStream | undefined;
  /** Replaces a stored event's payload (`''` reads as gone, like any text that is no event). */
  overwriteEvent(address: SseStreamAddress, sequence: number, payload: string): void;
}

/**
 * The native in-memory path: no cache keys, so each part of a session is named as the generic
 * path would key it (`index`, `tombstone`, `metadata:<stream>`, `event:<stream>:<sequence>`).
 * It reads the table without touching it (no expiry, no least-recently-used move).
 */
export function memoryNativeLayout(table: MemoryStreamTable): MemoryNativeLayout {
  const sessionOf = (sessionId: string) => (table as unknown as { sessions: Map<string, MemorySession> }).sessions.get(sessionId);
  const streamOf = (address: SseStreamAddress): MemoryStream | undefined => sessionOf(address.sessionId)?.streams.get(address.streamId);
  const internals = (stream: MemoryStream) => stream.events as unknown as MemoryEventLogInternals;
  const indexOf = (stream: MemoryStream, sequence: number): number => internals(stream).head + sequence - stream.events.firstSequence;
  const remaining = (at: number | undefined): number | undefined => (at === undefined ? undefined : at - table.clock());
  const metadataKey = (address: SseStreamAddress): string => `metadata:${address.streamId}`;
  const overwriteEvent = (address: SseStreamAddress, sequence: number, payload: string): void => {
    const stream = streamOf(address);
    if (stream?.events.entryAt(sequence) !== undefined) internals(stream).entries[indexOf(stream, sequence)] = payload;
  };
  return {
    stream: streamOf,
    overwriteEvent,
    async sessionKeys(sessionId) {
      const session = sessionOf(sessionId);
      if (!session) return [];
      if (session.deletedUntil !== undefined) return ['tombstone'];
      const keys = ['index'];
      for (const stream of session.streams.values()) {
        keys.push(metadataKey({ sessionId, streamId: stream.streamId }));
        for (let sequence = stream.events.firstSequence; sequence <= stream.last; sequence++)
          keys.push(`event:${stream.streamId}:${sequence}`);
      }
      return keys.sort();
    },
    tombstoneKey: () => 'tombstone',
    indexKey: () => 'index',
    metadataKey,
    keysPerSession: (streams, eventsPerStream) => streams * eventsPerStream + streams + 1,
    async storedSequences(address, upTo) {
      const stream = streamOf(address);
      const sequences: number[] = [];
      // A dropped or removed event is held as '' until the log is compacted.
      for (let sequence = 1; sequence <= upTo; sequence++) if (stream?.events.entryAt(sequence)) sequences.push(sequence);
      return sequences;
    },
    hasMetadata: async (address) => streamOf(address) !== undefined,
    removeEvent: async (address, sequence) => overwriteEvent(address, sequence, ''),
    async removeMetadata(address) {
      const stream = streamOf(address);
      if (stream) stream.metadataExpiresAt = stream.metadataAbsoluteAt = 0;
    },
    async eventTtl(address, sequence) {
      const stream = streamOf(address);
      const expiry = stream?.events.expiryOf(sequence);
      return stream && expiry !== undefined ? remaining(Math.min(stream.eventsExpireAt, expiry)) : undefined;
    },
    metadataTtl: async (address) => remaining(streamOf(address)?.metadataExpiresAt),
    indexTtl: async () => undefined,
  };
}

import { Logger } from '@nestjs/common';
import { SseLimitExceededError } from '../../errors/sse-limit-exceeded.error';
import { SseSessionDeletedError } from '../../errors/sse-session-deleted.error';
import { SseStoreUnavailableError } from '../../errors/sse-store-unavailable.error';
import { SseStreamClosedError } from '../../errors/sse-stream-closed.error';
import type { SseStreamAddress } from '../../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../../interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from '../../interfaces/sse-event-store-options.interface';
import { type StreamAppender, type StreamReadResult, StreamStorage } from '../stream-storage.interface';
import type { RedisConnection } from '../../redis/redis-connection';
import { RedisAppendBatcher } from './redis-append-batcher';
import { RedisCommands } from './redis-commands';
import { toReadResult } from './redis-read-reply';
import { type RedisAppenderContext, RedisStreamAppender } from './redis-stream-appender';
import { RedisStreamKeys } from './redis-stream-keys';
import {
  APPEND_EVENTS,
  DELETE_SESSION,
  OPEN_STREAM,
  PRUNE_INDEX,
  READ_STREAM,
  SESSION_DELETED,
  SESSION_FULL,
  STREAM_COMPLETED,
} from './redis-stream-scripts';
import { printableId } from '../../logging/printable-id';

/**
 * Where the scripts publish the readers' wake-ups, when the wake-ups travel through the same
 * Redis server: each stream's channel, and the message that starts every wake-up (the wake-ups'
 * format builds on it, see `encoding/wakeup-message.ts`).
 */
export interface ScriptWakeupPublication {
  channel(address: SseStreamAddress): string;
  readonly message: string;
}

/** Keys unlinked per command when a session is removed. */
const DELETE_BATCH_SIZE = 1000;

/**
 * The native storage path for a cache on Redis or Valkey (`@keyv/redis` or `@keyv/valkey`, a
 * single server or a cluster): the store talks to the cache's Redis client directly, through the
 * client seam in `lib/redis`, instead of going through cache-manager. Each stream is one Redis Stream plus a metadata hash (layout in
 * {@link RedisStreamKeys}); every change is one Lua script, atomic and one round trip:
 *
 * - append: takes the next sequences from the metadata, `XADD`s the events, trims to the
 *   retention cap and publishes the readers' wake-up (when the wake-ups travel through the same
 *   client); a deleted session refuses it. Appends that the writers of this process issue in one
 *   tick, on any streams, share script calls ({@link RedisAppendBatcher}), so with many streams
 *   written at once a write costs a small fraction of a round trip.
 * - read: the state (tombstone, metadata, sliding the expiry) by script and a page of events by
 *   `XRANGE`, sent together: one round trip.
 * - open: registers the stream in the session's index (a set, so concurrent opens in several
 *   processes never lose one another), enforces `maxStreamsPerSession` and (re)opens its metadata.
 * - delete: sets the tombstone and lists the streams in one step, then unlinks their keys (one
 *   more round trip per thousand keys).
 *
 * Differences from the generic path, on purpose:
 *
 * - Sequences are assigned in Redis. A second writer of the same stream in another process
 *   continues the sequence and interleaves with the first; the generic path's writer owns its
 *   sequence, so two concurrent writers in two processes there can overwrite each other.
 * - Expiry is per stream, not per event: the events key lives `eventSlidingExpiration` (at least
 *   nine tenths of it) past the stream's last write or read, bounded by `eventAbsoluteExpiration`
 *   from its newest event. An older event past its own absolute limit is never returned (readers
 *   get `SseHistoryExpiredError`, as for an expired event key on the generic path); its memory is
 *   reclaimed by the retention cap, or when the stream's key expires.
 * - The retention cap keeps exactly `maxEventsPerStream` events (the generic path trims in chunks).
 * - An append that failed inside Redis after its sequences were taken (out of memory, say) leaves
 *   those sequences unused: readers that reach them get `SseHistoryExpiredError`. No sequence is
 *   ever given twice.
 */
export class RedisStreamStorage extends StreamStorage {
  private readonly logger = new Logger('SseEventStore');
  private readonly commands: RedisCommands;
  private readonly keys: RedisStreamKeys;
  private readonly appenderContext: RedisAppenderContext;

  constructor(
    connection: RedisConnection,
    private readonly options: ResolvedSseEventStoreOptions,
    /** How to publish the readers' wake-ups from the scripts; without it the writers publish them. */
    private readonly publication?: ScriptWakeupPublication,
  ) {
    super();
    this.commands = new RedisCommands(connection, options.operationTimeout);
    this.keys = new RedisStreamKeys(options.keyPrefix);
    const wakeupMessage = publication?.message ?? '';
    const metadataTtl = this.metadataTtl();
    const eventTtl = Math.min(options.eventSlidingExpiration, options.eventAbsoluteExpiration);
    const batcher = new RedisAppendBatcher(this.commands, APPEND_EVENTS, {
      eventTtl,
      metadataTtl,
      maxEvents: options.maxEventsPerStream,
      wakeupMessage,
    });
    this.appenderContext = {
      commands: this.commands,
      batcher,
      options,
      metadataTtl,
      ttlRestartInterval: Math.min(eventTtl, metadataTtl) / 10,
      wakeupMessage,
      logger: this.logger,
    };
  }

  async openStream(address: SseStreamAddress, mode: SseEventStreamMode, reopenCompleted: boolean): Promise<StreamAppender> {
    let last: number;
    try {
      last = await this.open(address, mode, reopenCompleted);
      // At the limit, streams whose metadata expired stop counting: drop them, then try once more.
      if (last === SESSION_FULL && (await this.pruneIndex(address.sessionId)) < this.options.maxStreamsPerSession) {
        last = await this.open(address, mode, reopenCompleted);
      }
    } catch (error) {
      throw new SseStoreUnavailableError(`Stream ${printableId(address.streamId)} could not be opened in Redis.`, { cause: error });
    }
    if (last === SESSION_DELETED) throw new SseSessionDeletedError(address.sessionId);
    if (last === STREAM_COMPLETED) throw new SseStreamClosedError(address.sessionId, address.streamId);
    if (last === SESSION_FULL) {
      throw SseLimitExceededError.streamsPerSession(address.sessionId, address.streamId, this.options.maxStreamsPerSession);
    }
    const channel = this.publication?.channel(address) ?? '';
    return new RedisStreamAppender(address, this.keys.stream(address), channel, mode, last, this.appenderContext);
  }

  async read(address: SseStreamAddress, fromSequence: number, count: number): Promise<StreamReadResult> {
    const keys = this.keys.stream(address);
    const now = Date.now();
    const { eventSlidingExpiration, eventAbsoluteExpiration, metadataSlidingExpiration, metadataAbsoluteExpiration } = this.options;
    const args = [now, eventSlidingExpiration, eventAbsoluteExpiration, metadataSlidingExpiration, metadataAbsoluteExpiration];
    // Both commands go out in the same socket write; Redis runs a connection's commands in order,
    // and the reply is cut at the last sequence the state reports.
    const state = this.commands.runScript(READ_STREAM, [keys.tombstone, keys.metadata, keys.events], args.map(String));
    const page =
      count > 0
        ? this.commands.run(keys.events, ['XRANGE', keys.events, String(fromSequence), String(fromSequence + count - 1), 'COUNT', String(count)])
        : Promise.resolve([]);
    let replies: [unknown, unknown];
    try {
      replies = await Promise.all([state, page]);
    } catch (error) {
      throw new SseStoreUnavailableError('Redis could not be read.', { cause: error });
    }
    return toReadResult(replies[0], replies[1], fromSequence, count, now - eventAbsoluteExpiration);
  }

  async deleteSession(sessionId: string): Promise<number> {
    const index = this.keys.index(sessionId);
    let members: string[];
    try {
      const reply = await this.commands.runScript(DELETE_SESSION, [this.keys.tombstone(sessionId), index], [String(this.longestLifetime())]);
      if (!Array.isArray(reply)) throw new Error('Unexpected reply to the delete script.');
      members = reply as string[];
    } catch (error) {
      throw new SseStoreUnavailableError('Deleting the session was not acknowledged (it may be marked deleted already); delete it again.', {
        cause: error,
      });
    }
    // From here on no id of the session can be resumed; the keys go in a few commands (one slot).
    const doomed = [index, ...members.flatMap((member) => this.keys.streamKeysOf(sessionId, member))];
    for (let start = 0; start < doomed.length; start += DELETE_BATCH_SIZE) {
      const batch = doomed.slice(start, start + DELETE_BATCH_SIZE);
      try {
        await this.commands.run(batch[0], ['UNLINK', ...batch]);
      } catch (error) {
        throw new SseStoreUnavailableError(`Deleting the session's streams failed; the rest will expire.`, { cause: error });
      }
    }
    return members.length;
  }

  async close(): Promise<void> {
    this.commands.close();
  }

  /** Runs the open script: the stream's last sequence, or {@link SESSION_DELETED} or {@link SESSION_FULL}. */
  private async open(address: SseStreamAddress, mode: SseEventStreamMode, reopenCompleted: boolean): Promise<number> {
    const keys = this.keys.stream(address);
    const args = [
      this.keys.indexMember(address.streamId),
      mode,
      String(Date.now()),
      String(this.longestLifetime()),
      String(this.metadataTtl()),
      String(this.options.maxStreamsPerSession),
      reopenCompleted ? '1' : '0',
    ];
    const indexKey = this.keys.index(address.sessionId);
    return Number(await this.commands.runScript(OPEN_STREAM, [keys.tombstone, indexKey, keys.metadata, keys.events], args));
  }

  /** Drops the streams whose metadata is gone from the session's index; resolves with how many it still holds. */
  private async pruneIndex(sessionId: string): Promise<number> {
    const index = this.keys.index(sessionId);
    const members = (await this.commands.run(index, ['SMEMBERS', index])) as string[];
    const metadataKeys = members.map((member) => this.keys.streamKeysOf(sessionId, member)[0]);
    return Number(await this.commands.runScript(PRUNE_INDEX, [index, ...metadataKeys], members));
  }

  private metadataTtl(): number {
    return Math.min(this.options.metadataSlidingExpiration, this.options.metadataAbsoluteExpiration);
  }

  /** How long any key of a session can live: the index and the tombstone must outlive them all. */
  private longestLifetime(): number {
    return Math.max(this.options.eventAbsoluteExpiration, this.options.metadataAbsoluteExpiration);
  }
}

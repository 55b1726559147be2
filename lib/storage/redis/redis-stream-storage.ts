import { Logger } from '@nestjs/common';
import { SseLimitExceededError } from '../../errors/sse-limit-exceeded.error';
import { SseSessionDeletedError } from '../../errors/sse-session-deleted.error';
import { SseStreamClosedError } from '../../errors/sse-stream-closed.error';
import type { SseStreamAddress } from '../../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../../interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from '../../interfaces/sse-event-store-options.interface';
import { StorageErrors } from '../storage-errors';
import { deleteInBatches, longestLifetime } from '../stream-lifetimes';
import { type StreamAppender, type StreamReadResult, StreamStorage } from '../stream-storage.interface';
import type { RedisConnection } from '../../redis/redis-connection';
import { RedisAppendBatcher } from './redis-append-batcher';
import { RedisAppendLanes } from './redis-append-lanes';
import { RedisCommands } from './redis-commands';
import { toReadResult } from './redis-read-reply';
import { type RedisAppenderContext, RedisStreamAppender } from './redis-stream-appender';
import { RedisStreamKeys } from './redis-stream-keys';
import { APPEND_EVENTS } from './scripts/append-events.script';
import { DELETE_SESSION } from './scripts/delete-session.script';
import { OPEN_STREAM, type OpenStreamResult } from './scripts/open-stream.script';
import { PRUNE_INDEX } from './scripts/prune-index.script';
import { READ_STREAM } from './scripts/read-stream.script';
import { runRedisScript } from './scripts/redis-script';

/**
 * Where the scripts publish the readers' wake-ups, when the wake-ups travel through the same
 * Redis server: each stream's channel, and the message that starts every wake-up (the wake-ups'
 * format builds on it, see `encoding/wakeup-message.ts`).
 */
export interface ScriptWakeupPublication {
  channel(address: SseStreamAddress): string;
  readonly message: string;
}

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
  /** The append calls' connections: the application's (`commands`) and one of the store's own. */
  private readonly appendLanes: RedisAppendLanes;
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
    this.appendLanes = new RedisAppendLanes(this.commands, connection, options.operationTimeout, options.redisAppendConnections);
    const batcher = new RedisAppendBatcher(this.appendLanes, APPEND_EVENTS, {
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
    let opened: OpenStreamResult;
    try {
      opened = await this.open(address, mode, reopenCompleted);
      // At the limit, streams whose metadata expired stop counting: drop them, then try once more.
      if (opened.status === 'session-full' && (await this.pruneIndex(address.sessionId)) < this.options.maxStreamsPerSession) {
        opened = await this.open(address, mode, reopenCompleted);
      }
    } catch (error) {
      throw StorageErrors.openFailed('Redis', address.streamId, error);
    }
    if (opened.status === 'session-deleted') throw new SseSessionDeletedError(address.sessionId);
    if (opened.status === 'stream-completed') throw new SseStreamClosedError(address.sessionId, address.streamId);
    if (opened.status === 'session-full') {
      throw SseLimitExceededError.streamsPerSession(address.sessionId, address.streamId, this.options.maxStreamsPerSession);
    }
    const channel = this.publication?.channel(address) ?? '';
    return new RedisStreamAppender(address, this.keys.stream(address), channel, mode, opened.lastSequence, this.appenderContext);
  }

  async read(address: SseStreamAddress, fromSequence: number, count: number): Promise<StreamReadResult> {
    const keys = this.keys.stream(address);
    const now = Date.now();
    const { eventSlidingExpiration, eventAbsoluteExpiration, metadataSlidingExpiration, metadataAbsoluteExpiration } = this.options;
    const args = {
      now,
      eventSliding: eventSlidingExpiration,
      eventAbsolute: eventAbsoluteExpiration,
      metadataSliding: metadataSlidingExpiration,
      metadataAbsolute: metadataAbsoluteExpiration,
    };
    // The page is read right after the state, in the same round trip, and cut at the last sequence
    // the state reports: every sequence up to it that the page lacks is gone.
    const call = READ_STREAM.encode({ keys, args });
    const range = ['XRANGE', keys.events, String(fromSequence), String(fromSequence + count - 1), 'COUNT', String(count)];
    let replies: [unknown, unknown];
    try {
      replies =
        count > 0
          ? await this.commands.runScriptThen(READ_STREAM.lua, call.keys, call.args, range)
          : [await this.commands.runScript(READ_STREAM.lua, call.keys, call.args), []];
    } catch (error) {
      throw StorageErrors.readFailed('Redis', error);
    }
    const result = toReadResult(READ_STREAM.decode(replies[0]), replies[1], fromSequence, count, now - eventAbsoluteExpiration);
    if (result.status !== 'found' || !result.events.includes(undefined)) return result;
    // A gap is checked again with the page read only once the state is known: on a cluster the
    // client may resend the script after a redirection or a reconnect, so the page sent behind it
    // can run first and miss an event written in between. An event that is really gone stays so.
    try {
      const state = await this.commands.runScript(READ_STREAM.lua, call.keys, call.args);
      const page = await this.commands.run(keys.events, range);
      return toReadResult(READ_STREAM.decode(state), page, fromSequence, count, now - eventAbsoluteExpiration);
    } catch (error) {
      throw StorageErrors.readFailed('Redis', error);
    }
  }

  async deleteSession(sessionId: string): Promise<number> {
    const index = this.keys.index(sessionId);
    let members: string[];
    try {
      members = await runRedisScript(this.commands, DELETE_SESSION, {
        keys: { tombstone: this.keys.tombstone(sessionId), index },
        args: { tombstoneTtl: longestLifetime(this.options) },
      });
    } catch (error) {
      throw StorageErrors.deleteNotAcknowledged(error);
    }
    // From here on no id of the session can be resumed; the keys go in a few commands (one slot).
    const doomed = [index, ...members.flatMap((member) => this.keys.streamKeysOf(sessionId, member))];
    await deleteInBatches(doomed, (batch) => this.commands.run(batch[0], ['UNLINK', ...batch]));
    return members.length;
  }

  async probe(): Promise<void> {
    try {
      await this.commands.run(this.keys.probe, ['EXISTS', this.keys.probe]);
    } catch (error) {
      throw StorageErrors.readFailed('Redis', error);
    }
  }

  async close(): Promise<void> {
    await this.appendLanes.close();
    this.commands.close();
  }

  /** Runs the open script. */
  private open(address: SseStreamAddress, mode: SseEventStreamMode, reopenCompleted: boolean): Promise<OpenStreamResult> {
    const keys = { ...this.keys.stream(address), index: this.keys.index(address.sessionId) };
    const args = {
      member: this.keys.indexMember(address.streamId),
      mode,
      now: Date.now(),
      indexTtl: longestLifetime(this.options),
      metadataTtl: this.metadataTtl(),
      maxStreams: this.options.maxStreamsPerSession,
      reopenCompleted,
    };
    return runRedisScript(this.commands, OPEN_STREAM, { keys, args });
  }

  /** Drops the streams whose metadata is gone from the session's index; resolves with how many it still holds. */
  private async pruneIndex(sessionId: string): Promise<number> {
    const index = this.keys.index(sessionId);
    const members = (await this.commands.run(index, ['SMEMBERS', index])) as string[];
    const withMetadata = members.map((member) => ({ member, metadata: this.keys.streamKeysOf(sessionId, member)[0] }));
    return runRedisScript(this.commands, PRUNE_INDEX, { index, members: withMetadata });
  }

  private metadataTtl(): number {
    return Math.min(this.options.metadataSlidingExpiration, this.options.metadataAbsoluteExpiration);
  }
}

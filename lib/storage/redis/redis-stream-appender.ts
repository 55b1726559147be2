import type { Logger } from '@nestjs/common';
import { SseEventPersistenceError } from '../../errors/sse-event-persistence.error';
import { SseSessionDeletedError } from '../../errors/sse-session-deleted.error';
import { SseStreamClosedError } from '../../errors/sse-stream-closed.error';
import type { SseStreamAddress } from '../../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../../interfaces/sse-event-stream-mode.enum';
import type { ResolvedSseEventStoreOptions } from '../../interfaces/sse-event-store-options.interface';
import { StorageErrors } from '../storage-errors';
import { startKeepAlive } from '../stream-lifetimes';
import type { StreamAppender } from '../stream-storage.interface';
import type { RedisAppendBatcher } from './redis-append-batcher';
import { type RedisCommands, wasNotSent } from './redis-commands';
import type { RedisStreamKeySet } from './redis-stream-keys';
import type { AppendOutcome } from './scripts/append-events.script';
import { runRedisScript } from './scripts/redis-script';
import { TOUCH_STREAM } from './scripts/touch-stream.script';
import { UPDATE_STREAM, type UpdateStreamResult } from './scripts/update-stream.script';
import { printableId } from '../../logging/printable-id';

/** What the appenders of one storage share. */
export interface RedisAppenderContext {
  commands: RedisCommands;
  batcher: RedisAppendBatcher;
  options: ResolvedSseEventStoreOptions;
  /** TTL of the metadata after a write: the sliding window, cut at the absolute limit. */
  metadataTtl: number;
  /**
   * How often a writer's appends restart the TTLs of its stream's keys: a tenth of the shorter
   * TTL, so the keys live at least nine tenths of their TTL past the last write, and most appends
   * leave the TTLs alone (two commands fewer).
   */
  ttlRestartInterval: number;
  /** The wake-up message the scripts publish, or `''` when they publish nothing. */
  wakeupMessage: string;
  logger: Logger;
}

/**
 * Write side of one stream on the native Redis path. Sequences are assigned by the append script
 * from the stream's metadata in Redis, not here: two writers of one stream in two processes
 * interleave their events and never overwrite each other. Appends go through the storage's
 * {@link RedisAppendBatcher}, so appends of many streams share a script call.
 */
export class RedisStreamAppender implements StreamAppender {
  private readonly touchTimer: NodeJS.Timeout;
  /** The last sequence of an append that was acknowledged (stored, and its answer received). */
  private acknowledgedLast: number;
  /** When this writer's appends last restarted the TTLs; none yet, so the first append does. */
  private ttlsRestartedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly address: SseStreamAddress,
    private readonly keys: RedisStreamKeySet,
    /** The stream's wake-up channel. */
    private readonly channel: string,
    private mode: SseEventStreamMode,
    /**
     * The last sequence this writer was given, or may have been: where the stream continues should
     * its metadata vanish or fall behind (a failover to a replica that lagged).
     */
    private lastSequence: number,
    private readonly context: RedisAppenderContext,
  ) {
    this.acknowledgedLast = lastSequence;
    this.touchTimer = startKeepAlive(context.options, () => this.touch());
  }

  async append(payloads: readonly string[]): Promise<number> {
    const now = Date.now();
    const restartTtls = now - this.ttlsRestartedAt >= this.context.ttlRestartInterval;
    if (restartTtls) this.ttlsRestartedAt = now;
    let first: number;
    try {
      const outcome = await this.persist(() =>
        this.context.batcher.append({
          keys: this.keys,
          channel: this.channel,
          restartTtls,
          mode: this.mode,
          knownLast: this.lastSequence,
          acknowledgedLast: this.acknowledgedLast,
          payloads,
        }),
      );
      first = outcome.firstSequence;
    } catch (error) {
      if (restartTtls) this.ttlsRestartedAt = Number.NEGATIVE_INFINITY;
      // Unless the script never left this process, Redis may have stored the events without the
      // answer reaching us (a timeout, a master that died after running it), and readers may have
      // them already. Their sequences count as used: should Redis come back without them, they
      // are marked lost, not given again.
      if (!(error instanceof SseEventPersistenceError && wasNotSent(error.cause))) this.lastSequence += payloads.length;
      throw error;
    }
    this.lastSequence = Math.max(this.lastSequence, first + payloads.length - 1);
    this.acknowledgedLast = Math.max(this.acknowledgedLast, first + payloads.length - 1);
    return first;
  }

  async update(change: { mode?: SseEventStreamMode; completed?: boolean }): Promise<void> {
    const mode = change.mode ?? this.mode;
    const { metadataTtl, wakeupMessage } = this.context;
    const args = {
      now: Date.now(),
      metadataTtl,
      mode,
      completed: change.completed,
      knownLast: this.lastSequence,
      channel: this.channel,
      message: wakeupMessage,
    };
    await this.persist(() => runRedisScript(this.context.commands, UPDATE_STREAM, { keys: this.keys, args }));
    this.mode = mode;
  }

  close(): void {
    clearInterval(this.touchTimer);
  }

  /** Runs a write script; resolves with its outcome when the write was stored, and rejects as the storage contract says otherwise. */
  private async persist<Outcome extends AppendOutcome | UpdateStreamResult>(
    write: () => Promise<Outcome>,
  ): Promise<Extract<Outcome, { status: 'appended' | 'updated' }>> {
    let outcome: Outcome;
    try {
      outcome = await write();
    } catch (error) {
      const { streamId } = this.address;
      if (wasNotSent(error)) throw StorageErrors.writeNotStored('Redis', streamId, error);
      throw StorageErrors.writeOutcomeUnknown('Redis', streamId, error);
    }
    if (outcome.status === 'session-deleted') throw new SseSessionDeletedError(this.address.sessionId);
    if (outcome.status === 'stream-completed') throw new SseStreamClosedError(this.address.sessionId, this.address.streamId);
    if (outcome.status === 'failed') throw StorageErrors.writeOutcomeUnknown('Redis', this.address.streamId, new Error(outcome.message));
    return outcome as Extract<Outcome, { status: 'appended' | 'updated' }>;
  }

  private async touch(): Promise<void> {
    const { metadataSlidingExpiration, metadataAbsoluteExpiration } = this.context.options;
    const args = { now: Date.now(), metadataSliding: metadataSlidingExpiration, metadataAbsolute: metadataAbsoluteExpiration };
    try {
      await runRedisScript(this.context.commands, TOUCH_STREAM, { keys: { metadata: this.keys.metadata }, args });
    } catch (error) {
      this.context.logger.debug(`Keeping stream ${printableId(this.address.streamId)} alive failed: ${String(error)}`);
    }
  }
}

import { Logger } from '@nestjs/common';
import { destroyOwnedClient } from '../../redis/destroy-owned-client';
import type { DuplicateRedisConnection, RedisConnection } from '../../redis/redis-connection';
import { RedisCommands } from './redis-commands';

/** A connection appends go out on, and how many of its calls await their replies. */
interface Lane {
  commands: RedisCommands;
  inFlight: number;
}

/** The second lane: a connection of the store's own. */
interface SecondLane extends Lane {
  duplicate: DuplicateRedisConnection;
  connecting: Promise<unknown>;
}

/**
 * The connections append calls go out on: the application's, and a second one that the store opens
 * the first time a tick has appends enough for it (so a process that never writes many streams at
 * once never opens it).
 *
 * Why two: writers that await their appends wait for one reply together, then all send their next
 * appends together; on one connection, Redis idles while this process handles a reply and
 * prepares the next call, and this process idles while Redis runs it. Two calls on one connection
 * change nothing: Redis answers both in one write. On two connections each reply comes on its own,
 * so the writers of one call send their next appends while Redis runs the other call, and both
 * sides work at once (20 awaited writers on one server: about 1.7 times the events per second).
 * Each call goes on the lane with fewer calls awaiting their replies, so two groups of writers
 * form and take turns.
 *
 * The second lane only adds capacity: while it is not connected (still connecting, reconnecting,
 * refused), every call goes on the application's connection, as before it existed. A cluster keeps
 * to the application's client (see {@link RedisConnection.duplicate}).
 */
export class RedisAppendLanes {
  private readonly logger = new Logger('SseEventStore');
  private readonly main: Lane;
  /** `null` once it is known that none can be made. */
  private second?: SecondLane | null;

  constructor(
    /** The commands on the application's connection. */
    main: RedisCommands,
    private readonly connection: RedisConnection,
    private readonly timeoutMs: number,
    /** `1` keeps every call on the application's connection (option `redisAppendConnections`). */
    private readonly connections: 1 | 2,
  ) {
    this.main = { commands: main, inFlight: 0 };
  }

  /** True when every command must keep to one hash slot (a cluster). */
  get isCluster(): boolean {
    return this.main.commands.isCluster;
  }

  /** True when the second lane is connected and neither lane has a call in flight: a tick's appends can be split across both. */
  get bothIdle(): boolean {
    return this.main.inFlight === 0 && this.readySecond?.inFlight === 0;
  }

  /** Opens the second lane, if it was not yet: a tick asks for it when it has appends enough to share. */
  prepare(): void {
    if (this.second === undefined) this.open();
  }

  /** Runs `call` on the lane with fewer calls in flight: the application's connection on a tie, or while the second is not connected. */
  async send<T>(call: (commands: RedisCommands) => Promise<T>): Promise<T> {
    const second = this.readySecond;
    const lane = second && second.inFlight < this.main.inFlight ? second : this.main;
    lane.inFlight++;
    try {
      return await call(lane.commands);
    } finally {
      lane.inFlight--;
    }
  }

  /** Closes the second lane's connection; the application's connection is the storage's to close. */
  async close(): Promise<void> {
    const second = this.second;
    this.second = null;
    if (!second) return;
    second.commands.close();
    await destroyOwnedClient(second.duplicate.client, second.connecting);
  }

  /** The second lane while it is connected. */
  private get readySecond(): SecondLane | undefined {
    return this.second?.duplicate.client.isReady ? this.second : undefined;
  }

  private open(): void {
    const duplicate = this.connections === 2 ? this.connection.duplicate() : undefined;
    if (!duplicate) {
      this.second = null;
      return;
    }
    // Its commands listen for its connection errors (an error event without a listener would be
    // thrown) before it connects; until it is connected, and whenever it is down, the calls go on
    // the application's connection.
    const commands = new RedisCommands(duplicate.connection, this.timeoutMs);
    const connecting = duplicate.client.connect().catch(() => undefined);
    this.second = { duplicate, commands, inFlight: 0, connecting };
    this.logger.log(
      "Many streams are written at once: appends now share a second Redis connection (duplicated from the cache's client), so Redis runs one call while this process handles another.",
    );
  }
}

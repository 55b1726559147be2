import { RedisCommandDroppedError, type RedisConnection } from '../../redis/redis-connection';
import type { LuaScript } from './lua-script';

/** The cause of a failed command when Redis did not answer in time. */
export class RedisCommandTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    /** False when the command never left this process (so it never runs): dropped from the client's queue. */
    readonly maybeSent: boolean,
    /** The client's last connection error, if it reported one since a command last succeeded: why Redis did not answer. */
    connectionError?: unknown,
  ) {
    super(
      `Redis did not answer within ${timeoutMs} ms${maybeSent ? '' : ' (the command was not sent)'}`,
      connectionError === undefined ? undefined : { cause: connectionError },
    );
  }
}

/** True when a command failed in a way that means Redis never ran it. */
export function wasNotSent(error: unknown): boolean {
  return error instanceof RedisCommandTimeoutError && !error.maybeSent;
}

/**
 * Sends the native storage's commands through the Redis client seam: each one bounded by
 * `timeoutMs`, routed by its first key on a cluster, scripts by `EVALSHA` with an `EVAL` fallback.
 *
 * The bound matters because Redis clients queue commands while they reconnect: without it a write
 * would wait as long as an outage lasts. A command that has not reached the socket when the time
 * is up is dropped from the client's queue, so it never runs; one already sent may still run, and
 * callers treat that like any failure of unknown outcome.
 */
export class RedisCommands {
  /** The slot map refresh under way, if any: one at a time, whatever fails meanwhile. */
  private refreshing?: Promise<void>;
  private readonly removeNodeErrorListener: () => void;
  private readonly removeConnectionErrorListener: () => void;
  /** The client's last connection error since a command last succeeded: the cause given with a timeout. */
  private connectionError?: unknown;

  constructor(
    private readonly connection: RedisConnection,
    private readonly timeoutMs: number,
  ) {
    // A node that went away fails its reconnects until the slot map no longer lists it.
    this.removeNodeErrorListener = connection.onNodeError(() => this.refreshSlotMap());
    this.removeConnectionErrorListener = connection.onConnectionError((error) => (this.connectionError = error));
  }

  /** Removes the listeners added to the application's client. */
  close(): void {
    this.removeNodeErrorListener();
    this.removeConnectionErrorListener();
  }

  /** True when every command must keep to one hash slot (a cluster). */
  get isCluster(): boolean {
    return this.connection.isCluster;
  }

  /** Runs a script on `keys` (all in one hash slot); resolves with its reply. */
  runScript(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.bounded(async (signal) => (await this.sendScript(script, keys, args, signal))[0]);
  }

  /**
   * Runs a script and, right behind it, `command` (its keys in the script's hash slot), which must
   * see what the script saw: both go out together, one round trip, and Redis runs a connection's
   * commands in order. Resolves with both replies.
   */
  runScriptThen(
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
    command: readonly string[],
  ): Promise<[unknown, unknown]> {
    return this.bounded((signal) => this.sendScript(script, keys, args, signal, command));
  }

  /**
   * Sends the script by `EVALSHA`, and `then` (if any) behind it. A server that restarted, failed
   * over or flushed its scripts answers `NOSCRIPT`: both are sent again, the script by `EVAL`
   * (which loads it). `then` is sent again too, though it ran: it ran before the script, and a
   * write that landed in between would make the two replies disagree (a page of events read
   * before the state that lists them, hence events taken for gone).
   */
  private async sendScript(
    script: LuaScript,
    keys: readonly string[],
    args: readonly string[],
    signal: AbortSignal,
    then?: readonly string[],
  ): Promise<[unknown, unknown]> {
    const tail = [String(keys.length), ...keys, ...args];
    const send = async (call: string[]): Promise<[unknown, unknown]> => {
      const scriptReply = this.connection.send(keys[0], call, signal);
      const thenReply = then ? this.connection.send(keys[0], then, signal) : undefined;
      thenReply?.catch(() => undefined); // awaited below, unless the script failed first
      return [await scriptReply, await thenReply];
    };
    try {
      return await send(['EVALSHA', script.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return send(['EVAL', script.source, ...tail]);
    }
  }

  /** Runs one command whose keys (the first is `firstKey`) are all in one hash slot. */
  run(firstKey: string, args: string[]): Promise<unknown> {
    return this.bounded((signal) => this.connection.send(firstKey, args, signal));
  }

  private async bounded<T>(operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Drops the command from the client's queue if it has not been written yet; the client
        // then rejects it at once, before this rejection, so the error below tells which it was.
        abort.abort();
        setImmediate(() => reject(new RedisCommandTimeoutError(this.timeoutMs, true, this.connectionError)));
      }, this.timeoutMs);
    });
    try {
      const reply = await Promise.race([operation(abort.signal), timedOut]);
      this.connectionError = undefined;
      return reply;
    } catch (error) {
      if (this.connection.isCluster) this.refreshSlotMap();
      throw error instanceof RedisCommandDroppedError ? new RedisCommandTimeoutError(this.timeoutMs, false, this.connectionError) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A cluster client updates its slot map when a node answers MOVED or ASK. A master that dies
   * answers nothing: its slots stay mapped to it, and every command for them times out even after
   * a replica has taken them over. So a failed command or a node's connection error asks for a
   * fresh map; while the failover is not over the map is unchanged, and the next failure asks
   * again. Once the map no longer lists the dead node, the client drops its connection.
   */
  private refreshSlotMap(): void {
    if (this.refreshing) return;
    this.refreshing = this.connection
      .refreshSlotMap()
      .catch(() => undefined)
      .finally(() => (this.refreshing = undefined));
  }
}

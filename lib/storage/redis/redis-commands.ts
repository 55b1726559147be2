import type { LuaScript } from './lua-script';
import type {
  RedisClusterCommandClient,
  RedisCommandOptions,
  RedisConnection,
  RedisNodeCommandClient,
} from './redis-command-client.interface';

/** The cause of a failed command when Redis did not answer in time. */
export class RedisCommandTimeoutError extends Error {
  constructor(
    readonly timeoutMs: number,
    /** False when the command never left this process (so it never runs): dropped from the client's queue. */
    readonly maybeSent: boolean,
  ) {
    super(`Redis did not answer within ${timeoutMs} ms${maybeSent ? '' : ' (the command was not sent)'}`);
  }
}

/** True when a command failed in a way that means Redis never ran it. */
export function wasNotSent(error: unknown): boolean {
  return error instanceof RedisCommandTimeoutError && !error.maybeSent;
}

/**
 * Sends the native storage's commands: each one bounded by `timeoutMs`, routed by its first key
 * on a cluster, scripts by `EVALSHA` with an `EVAL` fallback.
 *
 * The bound matters because node-redis queues commands while it reconnects: without it a write
 * would wait as long as an outage lasts. A command that has not reached the socket when the time
 * is up is dropped from the client's queue, so it never runs; one already sent may still run, and
 * callers treat that like any failure of unknown outcome.
 */
export class RedisCommands {
  private connecting?: Promise<unknown>;
  /** The slot map refresh under way, if any: one at a time, whatever fails meanwhile. */
  private refreshing?: Promise<void>;

  private readonly onNodeError = (): void => this.refreshSlotMap();

  constructor(
    private readonly connection: RedisConnection,
    private readonly timeoutMs: number,
  ) {
    // A node that went away fails its reconnects until the slot map no longer lists it.
    if (connection.isCluster) (connection.client as RedisClusterCommandClient).on?.('node-error', this.onNodeError);
  }

  /** Removes the listener added to the application's client. */
  close(): void {
    if (this.connection.isCluster) (this.connection.client as RedisClusterCommandClient).off?.('node-error', this.onNodeError);
  }

  /** True when every command must keep to one hash slot (a cluster). */
  get isCluster(): boolean {
    return this.connection.isCluster;
  }

  /** Runs a script on `keys` (all in one hash slot); resolves with its reply. */
  runScript(script: LuaScript, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    return this.bounded(async (options) => {
      try {
        return await this.send(keys[0], ['EVALSHA', script.sha, ...tail], options);
      } catch (error) {
        // A server that restarted, failed over or flushed its scripts: EVAL loads it again.
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return this.send(keys[0], ['EVAL', script.source, ...tail], options);
      }
    });
  }

  /** Runs one command whose keys (the first is `firstKey`) are all in one hash slot. */
  run(firstKey: string, args: string[]): Promise<unknown> {
    return this.bounded((options) => this.send(firstKey, args, options));
  }

  private async send(firstKey: string | undefined, args: string[], options: RedisCommandOptions): Promise<unknown> {
    const { client } = this.connection;
    // While a connect is under way every command waits for it: a cluster client reports itself
    // open before it has discovered its slots.
    if (!this.connecting && !client.isOpen) this.connecting = this.connection.connect().finally(() => (this.connecting = undefined));
    if (this.connecting) await this.connecting;
    return this.connection.isCluster
      ? (client as RedisClusterCommandClient).sendCommand(firstKey, false, args, options)
      : (client as RedisNodeCommandClient).sendCommand(args, options);
  }

  private async bounded<T>(operation: (options: RedisCommandOptions) => Promise<T>): Promise<T> {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Drops the command from node-redis's queue if it has not been written yet; node-redis
        // then rejects it at once, before this rejection, so the error below tells which it was.
        abort.abort();
        setImmediate(() => reject(new RedisCommandTimeoutError(this.timeoutMs, true)));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([operation({ abortSignal: abort.signal }), timedOut]);
    } catch (error) {
      if (this.connection.isCluster) this.refreshSlotMap();
      const dropped = abort.signal.aborted && error?.constructor?.name === 'AbortError';
      throw dropped ? new RedisCommandTimeoutError(this.timeoutMs, false) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * node-redis updates a cluster's slot map only when a node answers MOVED or ASK. A master that
   * dies answers nothing: its slots stay mapped to it, and every command for them times out even
   * after a replica has taken them over. So a failed command or a node's connection error asks for
   * a fresh map, from a master that still answers (node-redis falls back to the root nodes when
   * that fails); while the failover is not over the map is unchanged, and the next failure asks
   * again. Once the map no longer lists the dead node, node-redis drops its connection.
   */
  private refreshSlotMap(): void {
    const client = this.connection.client as RedisClusterCommandClient;
    const slots = client._slots;
    if (this.refreshing || typeof slots?.rediscover !== 'function') return;
    const nodes = client.masters ?? [];
    const startWith = (nodes.find((node) => node.client?.isReady) ?? nodes[0])?.client;
    if (!startWith) return;
    this.refreshing = slots
      .rediscover(startWith)
      .catch(() => undefined)
      .finally(() => (this.refreshing = undefined));
  }
}

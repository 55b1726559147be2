import type { LuaScript } from './lua-script';
import type {
  RedisClusterCommandClient,
  RedisCommandOptions,
  RedisConnection,
  RedisNodeCommandClient,
} from './redis-command-client.interface';

/** The cause of a failed command when Redis did not answer in time. */
export class RedisCommandTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
  }
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

  constructor(
    private readonly connection: RedisConnection,
    private readonly timeoutMs: number,
  ) {}

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
        const error = new RedisCommandTimeoutError(this.timeoutMs);
        abort.abort(error);
        reject(error);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([operation({ abortSignal: abort.signal }), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}

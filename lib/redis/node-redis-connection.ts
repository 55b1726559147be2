import { isNodeRedisAbortError, rediscoverNodeRedisSlots } from './client-compatibility';
import { type DuplicateRedisConnection, RedisCommandDroppedError, type RedisConnection } from './redis-connection';
import type { RedisPubSubClient } from './redis-pub-sub-client.interface';

/** Options node-redis 5 takes with a command; only cancellation is used. */
interface NodeRedisCommandOptions {
  /** Aborting drops the command from the client's queue if it has not been written to the socket yet. */
  abortSignal?: AbortSignal;
}

/** The part of a node-redis 5 client for one server (`createClient`) used here. */
export interface NodeRedisClient {
  sendCommand(args: string[], options?: NodeRedisCommandOptions): Promise<unknown>;
  /** True from `connect()` until the client is closed, reconnects included. */
  readonly isOpen: boolean;
  /** node-redis reports its connection's failures (a refused reconnect, say) as `error`. */
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  off?(event: 'error', listener: (error: unknown) => void): unknown;
}

/** The part of a node-redis 5 cluster client (`createCluster`) used here: commands are routed by their first key. */
export interface NodeRedisCluster {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: NodeRedisCommandOptions,
  ): Promise<unknown>;
  readonly isOpen: boolean;
  getSlotMaster(slot: number): unknown;
  /** node-redis reports a node connection's failures (a reconnect refused, say) as `node-error`. */
  on?(event: 'node-error', listener: (error: unknown) => void): unknown;
  off?(event: 'node-error', listener: (error: unknown) => void): unknown;
}

/** A node-redis client or cluster, as far as its error events go. */
interface ErrorReporting {
  on?(event: string, listener: (error: unknown) => void): unknown;
  off?(event: string, listener: (error: unknown) => void): unknown;
}

/** A node-redis 5 client or cluster, as `@keyv/redis` 5 holds it. */
export class NodeRedisConnection implements RedisConnection {
  readonly isCluster: boolean;
  private connecting?: Promise<unknown>;

  constructor(
    readonly client: NodeRedisClient | NodeRedisCluster,
    /** Connects the client (`@keyv/redis` connects on first use); resolves once it can take commands. */
    private readonly connect: () => Promise<unknown>,
  ) {
    this.isCluster = typeof (client as Partial<NodeRedisCluster>).getSlotMaster === 'function';
  }

  /** node-redis clients have the pub/sub API the wake-ups use. */
  get pubSub(): RedisPubSubClient {
    return this.client as unknown as RedisPubSubClient;
  }

  async send(firstKey: string | undefined, args: readonly string[], signal: AbortSignal): Promise<unknown> {
    const { client } = this;
    // While a connect is under way every command waits for it: a cluster client reports itself
    // open before it has discovered its slots.
    if (!this.connecting && !client.isOpen) this.connecting = this.connect().finally(() => (this.connecting = undefined));
    if (this.connecting) await this.connecting;
    const options = { abortSignal: signal };
    try {
      return await (this.isCluster
        ? (client as NodeRedisCluster).sendCommand(firstKey, false, args as string[], options)
        : (client as NodeRedisClient).sendCommand(args as string[], options));
    } catch (error) {
      throw signal.aborted && isNodeRedisAbortError(error) ? new RedisCommandDroppedError() : error;
    }
  }

  onNodeError(listener: () => void): () => void {
    if (!this.isCluster) return () => undefined;
    const cluster = this.client as NodeRedisCluster;
    cluster.on?.('node-error', listener);
    return () => cluster.off?.('node-error', listener);
  }

  onConnectionError(listener: (error: unknown) => void): () => void {
    const client = this.client as ErrorReporting;
    const event = this.isCluster ? 'node-error' : 'error';
    client.on?.(event, listener);
    return () => client.off?.(event, listener);
  }

  duplicate(): DuplicateRedisConnection | undefined {
    if (this.isCluster) return undefined;
    // node-redis's duplicate is a client like the original, with its options (URL, database, TLS, reconnection).
    const client = this.pubSub.duplicate();
    return { connection: new NodeRedisConnection(client as unknown as NodeRedisClient, () => client.connect()), client };
  }

  refreshSlotMap(): Promise<void> {
    return this.isCluster ? rediscoverNodeRedisSlots(this.client) : Promise.resolve();
  }
}

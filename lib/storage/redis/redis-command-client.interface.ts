/** Options node-redis 5 takes with a command; only cancellation is used. */
export interface RedisCommandOptions {
  /** Aborting drops the command from the client's queue if it has not been written to the socket yet. */
  abortSignal?: AbortSignal;
}

/** The part of a node-redis 5 client for one server (`createClient`) that the native storage uses. */
export interface RedisNodeCommandClient {
  sendCommand(args: string[], options?: RedisCommandOptions): Promise<unknown>;
  /** True from `connect()` until the client is closed, reconnects included. */
  readonly isOpen: boolean;
}

/** The part of a node-redis 5 cluster client (`createCluster`): commands are routed by their first key. */
export interface RedisClusterCommandClient {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
    options?: RedisCommandOptions,
  ): Promise<unknown>;
  readonly isOpen: boolean;
  getSlotMaster(slot: number): unknown;
  /** node-redis reports a node connection's failures (a reconnect refused, say) as `node-error`. */
  on?(event: 'node-error', listener: () => void): unknown;
  off?(event: 'node-error', listener: () => void): unknown;
  /** The masters node-redis routes to, with their connections once made. */
  readonly masters?: readonly { client?: { readonly isReady?: boolean } }[];
  /**
   * node-redis's slot map. Not a documented API: used only to refresh it after a failover, and
   * skipped when a version does not have it.
   */
  readonly _slots?: { rediscover?(startWith: unknown): Promise<void> };
}

/** A Redis (or Valkey) connection the native storage can send commands on. */
export interface RedisConnection {
  readonly client: RedisNodeCommandClient | RedisClusterCommandClient;
  /** True for a cluster client: then every command must keep to the keys of one hash slot. */
  readonly isCluster: boolean;
  /** Connects the client if it is not open yet (`@keyv/redis` connects on first use); resolves once it can take commands. */
  connect(): Promise<unknown>;
}

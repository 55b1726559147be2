import type { RedisPubSubClient } from './redis-pub-sub-client.interface';

/** Why a command was not run: its abort signal fired before it left this process, so it never runs. */
export class RedisCommandDroppedError extends Error {
  constructor() {
    super('The command was dropped from the client queue before it was sent.');
  }
}

/** The lifecycle of a connection the store opened itself (see {@link RedisConnection.duplicate}). */
export type OwnedRedisClient = Pick<RedisPubSubClient, 'connect' | 'isReady' | 'isOpen' | 'destroy'>;

/** A connection of the store's own, beside the application's: commands, and the client to connect and close it with. */
export interface DuplicateRedisConnection {
  connection: RedisConnection;
  /** Not connected until `connect()`; the store that asked for it destroys it. */
  client: OwnedRedisClient;
}

/**
 * A Redis (or Valkey) client as the store uses it, whichever library it comes from: node-redis 5
 * (behind `@keyv/redis`) or iovalkey (behind `@keyv/valkey`), a single server or a cluster.
 */
export interface RedisConnection {
  /** The library's client object: the one the application configured. */
  readonly client: object;
  /** True for a cluster client: then every command must keep to the keys of one hash slot. */
  readonly isCluster: boolean;
  /** The same client for wake-ups: publishing, and duplicating a subscriber connection. */
  readonly pubSub: RedisPubSubClient;
  /**
   * Sends one command (connecting the client first if it is not yet), routed by `firstKey` on a
   * cluster. When `signal` aborts while the command still waits in the client's queue, it is
   * removed from it and the promise rejects with {@link RedisCommandDroppedError}: it never runs.
   */
  send(firstKey: string | undefined, args: readonly string[], signal: AbortSignal): Promise<unknown>;
  /**
   * Calls `listener` when a cluster node's connection fails (its slots may have moved); returns
   * the function that removes it. Nothing is called for a single server.
   */
  onNodeError(listener: () => void): () => void;
  /**
   * Calls `listener` with each error the client reports about its connections (the server's, or
   * any cluster node's: refused, reset, ...); returns the function that removes it.
   */
  onConnectionError(listener: (error: unknown) => void): () => void;
  /**
   * A new connection to the same server with the client's settings, not connected yet; `undefined`
   * for a cluster, where the store keeps to the application's client (a cluster client's duplicate
   * is a second set of connections to every node, with a slot map of its own).
   */
  duplicate(): DuplicateRedisConnection | undefined;
  /** Asks a cluster client for a fresh slot map (after a failover); does nothing where it cannot. */
  refreshSlotMap(): Promise<void>;
}

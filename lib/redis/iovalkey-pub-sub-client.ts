import type { RedisPubSubClient } from './redis-pub-sub-client.interface';

/**
 * The part of an iovalkey (0.3) client, `Redis` or `Cluster`, used here: the client behind
 * `@keyv/valkey`. iovalkey is a fork of ioredis and shares this API with it.
 */
export interface IovalkeyClient {
  /** `wait` (not connected yet), `connecting`, `connect`, `ready`, `close`, `reconnecting`, `end` (closed for good), ... */
  readonly status: string;
  readonly isCluster: boolean;
  call(command: string, ...args: string[]): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  connect(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** The `Redis` client's `duplicate`: a new connection with the same options and these overrides. */
interface IovalkeyRedisDuplicate {
  duplicate(override?: { lazyConnect?: boolean }): IovalkeyClient;
}

/** The `Cluster` client's `duplicate`: the same startup nodes, and these option overrides. */
interface IovalkeyClusterDuplicate {
  duplicate(startupNodes?: unknown[], override?: { lazyConnect?: boolean }): IovalkeyClient;
}

/** A connection of its own with the client's settings (a cluster's: the same startup nodes), not connected until `connect()`. */
export function duplicateIovalkeyClient(client: IovalkeyClient): IovalkeyClient {
  return client.isCluster
    ? (client as unknown as IovalkeyClusterDuplicate).duplicate(undefined, { lazyConnect: true })
    : (client as unknown as IovalkeyRedisDuplicate).duplicate({ lazyConnect: true });
}

/** True for an iovalkey (or ioredis) client or cluster. */
export function isIovalkeyClient(client: unknown): client is IovalkeyClient {
  const candidate = client as Partial<IovalkeyClient> | undefined;
  return typeof candidate?.status === 'string' && typeof candidate.call === 'function' && typeof candidate.publish === 'function';
}

/**
 * An iovalkey client with the node-redis shaped pub/sub API of the wake-ups: iovalkey delivers
 * every channel's messages through one `message` event and reports its state in `status`.
 */
export class IovalkeyPubSubClient implements RedisPubSubClient {
  private readonly listeners = new Map<string, (message: string, channel: string) => void>();
  private routing = false;

  constructor(private readonly client: IovalkeyClient) {}

  get isReady(): boolean {
    return this.client.status === 'ready';
  }

  /** Like node-redis's: from `connect()` until the client is closed for good, reconnects included. */
  get isOpen(): boolean {
    return this.client.status !== 'wait' && this.client.status !== 'end';
  }

  /** A connection of its own, connected by {@link connect} (as node-redis's `duplicate()` is). */
  duplicate(): RedisPubSubClient {
    return new IovalkeyPubSubClient(duplicateIovalkeyClient(this.client));
  }

  connect(): Promise<unknown> {
    return this.client.connect();
  }

  publish(channel: string, message: string): Promise<unknown> {
    return this.client.publish(channel, message);
  }

  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown> {
    if (!this.routing) {
      this.routing = true;
      this.client.on('message', (channel, message) => this.listeners.get(channel as string)?.(message as string, channel as string));
    }
    this.listeners.set(channel, listener);
    return this.client.subscribe(channel);
  }

  unsubscribe(channel: string): Promise<unknown> {
    this.listeners.delete(channel);
    return this.client.unsubscribe(channel);
  }

  on(event: 'ready' | 'error' | 'end' | 'reconnecting', listener: (...args: unknown[]) => void): unknown {
    // iovalkey emits these four under the same names as node-redis.
    return this.client.on(event, listener);
  }

  destroy(): void {
    this.client.disconnect();
  }
}

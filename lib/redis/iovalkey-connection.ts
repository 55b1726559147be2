import { dropFromIovalkeyOfflineQueue, neuterIovalkeyCommand, sendIovalkeyCommand } from './client-compatibility';
import { duplicateIovalkeyClient, type IovalkeyClient, IovalkeyPubSubClient } from './iovalkey-pub-sub-client';
import { type DuplicateRedisConnection, RedisCommandDroppedError, type RedisConnection } from './redis-connection';
import type { RedisPubSubClient } from './redis-pub-sub-client.interface';

/** iovalkey's `Cluster`: its slot map can be refreshed on demand. */
interface IovalkeyCluster {
  refreshSlotsCache(callback: (error?: Error) => void): void;
}

/**
 * An iovalkey (0.3) client or cluster, as `@keyv/valkey` holds it. iovalkey connects on its own
 * and queues commands while it is not connected; it routes a cluster's commands by their keys.
 *
 * Timeouts: a command still in the client's offline queue when its signal aborts is taken out of
 * it and never runs, as on node-redis. Beyond that, iovalkey may send a command again later (a
 * cluster retries after CLUSTERDOWN, TRYAGAIN or a closed connection; a node's connection writes
 * its offline queue on reconnection): an abandoned command is then sent as a PING, so it does not
 * run after the caller gave up. A command already written when its signal aborts may still run,
 * once, as on node-redis; on a cluster it is reported as possibly sent even while it waited in a
 * node's queue.
 */
export class IovalkeyConnection implements RedisConnection {
  readonly isCluster: boolean;
  readonly pubSub: RedisPubSubClient;

  constructor(readonly client: IovalkeyClient) {
    this.isCluster = client.isCluster === true;
    this.pubSub = new IovalkeyPubSubClient(client);
  }

  send(_firstKey: string | undefined, args: readonly string[], signal: AbortSignal): Promise<unknown> {
    if (signal.aborted) return Promise.reject(new RedisCommandDroppedError());
    const { reply, command } = sendIovalkeyCommand(this.client, args);
    if (!command) return reply;
    const abandon = (): void => {
      // Still queued (not connected): out of the queue, and rejected as never sent.
      const dropped = dropFromIovalkeyOfflineQueue(this.client, command);
      // Sent, or queued where it cannot be reached: whatever iovalkey sends of it later is a PING.
      neuterIovalkeyCommand(command);
      if (dropped) command.reject(new RedisCommandDroppedError());
    };
    signal.addEventListener('abort', abandon, { once: true });
    return reply.finally(() => signal.removeEventListener('abort', abandon));
  }

  onNodeError(listener: () => void): () => void {
    if (!this.isCluster) return () => undefined;
    // iovalkey's cluster reports a node's failures as `node error`.
    this.client.on('node error', listener);
    return () => this.client.off('node error', listener);
  }

  onConnectionError(listener: (error: unknown) => void): () => void {
    // A cluster reports a node's failures as `node error`, a single server's client as `error`.
    const event = this.isCluster ? 'node error' : 'error';
    this.client.on(event, listener);
    return () => this.client.off(event, listener);
  }

  duplicate(): DuplicateRedisConnection | undefined {
    if (this.isCluster) return undefined;
    const client = duplicateIovalkeyClient(this.client);
    return { connection: new IovalkeyConnection(client), client: new IovalkeyPubSubClient(client) };
  }

  refreshSlotMap(): Promise<void> {
    if (!this.isCluster) return Promise.resolve();
    return new Promise((resolve) => (this.client as unknown as IovalkeyCluster).refreshSlotsCache(() => resolve()));
  }
}

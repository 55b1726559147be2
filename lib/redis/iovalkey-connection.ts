import { dropFromIovalkeyOfflineQueue, iovalkeyOfflineQueueLength, lastIovalkeyOfflineCommand } from './client-compatibility';
import { type IovalkeyClient, IovalkeyPubSubClient } from './iovalkey-pub-sub-client';
import { RedisCommandDroppedError, type RedisConnection } from './redis-connection';
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
 * it and never runs, as on node-redis. On a cluster that guarantee covers the cluster client's own
 * queue (while it discovers or rediscovers its nodes); a command already handed to a node's
 * connection that is itself reconnecting may still run once that node is back.
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
    const queuedBefore = iovalkeyOfflineQueueLength(this.client);
    const reply = this.client.call(args[0], ...args.slice(1));
    // Queued (not connected): on abort, take it out of the queue, so it never runs.
    const queued = lastIovalkeyOfflineCommand(this.client, queuedBefore);
    if (!queued) return reply;
    const drop = (): void => {
      if (dropFromIovalkeyOfflineQueue(this.client, queued)) queued.command.reject(new RedisCommandDroppedError());
    };
    signal.addEventListener('abort', drop, { once: true });
    return reply.finally(() => signal.removeEventListener('abort', drop));
  }

  onNodeError(listener: () => void): () => void {
    if (!this.isCluster) return () => undefined;
    // iovalkey's cluster reports a node's failures as `node error`.
    this.client.on('node error', listener);
    return () => this.client.off('node error', listener);
  }

  refreshSlotMap(): Promise<void> {
    if (!this.isCluster) return Promise.resolve();
    return new Promise((resolve) => (this.client as unknown as IovalkeyCluster).refreshSlotsCache(() => resolve()));
  }
}

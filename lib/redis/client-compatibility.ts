/*
 * Every place where the store relies on a Redis client library's behaviour that the library does
 * not document as API. Each is checked where it can be, so a version without it degrades (a
 * slower recovery, a weaker timeout guarantee) instead of failing.
 */

/** The node-redis 5 sentinel client, whose command API differs: such a cache stays on the generic path. */
export function isNodeRedisSentinel(client: object): boolean {
  // @keyv/redis 5 hands out a sentinel client (`createSentinel`) like any other; only the sentinel
  // has `getSentinelNode` (node-redis 5.x).
  return (client as { getSentinelNode?: unknown }).getSentinelNode !== undefined;
}

/**
 * True when node-redis rejected a command because its abort signal fired while it was still
 * queued (so it was never written to the socket). node-redis 5 rejects with an `AbortError` of its
 * own that the package does not export (5.0 to 5.12 at least), so it is recognised by name.
 */
export function isNodeRedisAbortError(error: unknown): boolean {
  return (error as { constructor?: { name?: string } } | undefined)?.constructor?.name === 'AbortError';
}

/** What node-redis 5 keeps of a cluster that {@link rediscoverNodeRedisSlots} needs. */
interface NodeRedisClusterInternals {
  readonly masters?: readonly { client?: { readonly isReady?: boolean } }[];
  readonly _slots?: { rediscover?(startWith: unknown): Promise<void> };
}

/**
 * Asks a node-redis cluster client for a fresh slot map, from a master that still answers (node-redis
 * falls back to the root nodes when that fails). node-redis 5 updates the map only on MOVED/ASK and
 * has no public refresh; its private `_slots.rediscover` (5.0 to 5.12 at least) does it. A version
 * without it is left alone: it recovers once a node answers MOVED. Resolves when done, or at once.
 */
export async function rediscoverNodeRedisSlots(cluster: object): Promise<void> {
  const { _slots: slots, masters = [] } = cluster as NodeRedisClusterInternals;
  if (typeof slots?.rediscover !== 'function') return;
  const startWith = (masters.find((node) => node.client?.isReady) ?? masters[0])?.client;
  if (startWith) await slots.rediscover(startWith);
}

/** A command entry of iovalkey's offline queue. */
interface OfflineQueueItem {
  command: { reject(error: Error): void };
}

/** The part of a denque (iovalkey's offline queue) used here. */
interface OfflineQueue {
  readonly length: number;
  peekAt(index: number): OfflineQueueItem | undefined;
  removeOne(index: number): unknown;
}

/**
 * iovalkey (0.3, like ioredis 5) keeps commands issued while it is not connected in a private
 * `offlineQueue` (a denque) and writes them once it reconnects; a command has no way to be
 * cancelled. Taking the command out of that queue is what makes a timed-out command never run.
 * Returns the queued entry of the command just issued (the last one, as queuing is synchronous),
 * or `undefined` when it was written to the socket at once or the queue is not there.
 */
export function lastIovalkeyOfflineCommand(client: object, lengthBefore: number): OfflineQueueItem | undefined {
  const queue = (client as { offlineQueue?: OfflineQueue }).offlineQueue;
  if (!queue || queue.length <= lengthBefore) return undefined;
  return queue.peekAt(queue.length - 1);
}

/** Length of iovalkey's offline queue (see {@link lastIovalkeyOfflineCommand}); 0 when it is not there. */
export function iovalkeyOfflineQueueLength(client: object): number {
  return (client as { offlineQueue?: OfflineQueue }).offlineQueue?.length ?? 0;
}

/** Removes the entry from iovalkey's offline queue; false when it is no longer there (it was sent). */
export function dropFromIovalkeyOfflineQueue(client: object, item: OfflineQueueItem): boolean {
  const queue = (client as { offlineQueue?: OfflineQueue }).offlineQueue;
  if (!queue) return false;
  for (let index = 0; index < queue.length; index++) {
    if (queue.peekAt(index) !== item) continue;
    queue.removeOne(index);
    return true;
  }
  return false;
}

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

/** An iovalkey `Command`: what it writes is read from `name` and `args` when it is written. */
export interface IovalkeyCommand {
  name: string;
  args: unknown[];
  reject(error: Error): void;
}

/** The part of an iovalkey client these functions use. */
interface IovalkeyInternals {
  sendCommand(command: IovalkeyCommand, ...rest: unknown[]): unknown;
  /** iovalkey's offline queue (a denque): commands issued while it is not connected. */
  offlineQueue?: { readonly length: number; peekAt(index: number): { command: unknown } | undefined; removeOne(index: number): unknown };
}

/**
 * Sends `args` through iovalkey's `call` and hands back the `Command` it made. iovalkey (0.3, like
 * ioredis 5) makes the command inside `call` (on `Commander.prototype`) and passes it to
 * `this.sendCommand`, with no way for the caller to reach it; calling `call` with a `this` whose
 * `sendCommand` passes the command on captures it. `command` is undefined where `call` did not
 * go through `sendCommand` (auto-pipelining, which `@keyv/valkey` does not turn on).
 */
export function sendIovalkeyCommand(client: object, args: readonly string[]): { reply: Promise<unknown>; command?: IovalkeyCommand } {
  const internals = client as IovalkeyInternals;
  let command: IovalkeyCommand | undefined;
  const capturing = Object.create(client, {
    sendCommand: {
      value: (sent: IovalkeyCommand, ...rest: unknown[]) => {
        command = sent;
        return internals.sendCommand(sent, ...rest);
      },
    },
  }) as object;
  const call = (Object.getPrototypeOf(client) as { call: (...args: string[]) => Promise<unknown> }).call;
  const reply = call.apply(capturing, args as string[]);
  return { reply, command };
}

/**
 * Takes the command out of iovalkey's offline queue, where it waits while the client is not
 * connected (iovalkey writes that queue once it reconnects, and has no way to cancel a command).
 * False when it is not there: it was written already, or the queue is not where 0.3 keeps it.
 */
export function dropFromIovalkeyOfflineQueue(client: object, command: IovalkeyCommand): boolean {
  const queue = (client as IovalkeyInternals).offlineQueue;
  if (!queue) return false;
  for (let index = 0; index < queue.length; index++) {
    if (queue.peekAt(index)?.command !== command) continue;
    queue.removeOne(index);
    return true;
  }
  return false;
}

/**
 * Makes a command the caller gave up on harmless if iovalkey sends it later anyway: a cluster
 * client sends a command again after CLUSTERDOWN, TRYAGAIN or a closed connection (after its
 * retry delays), and a node's connection writes its own offline queue on reconnection; it then
 * sends a PING instead. Its answer goes nowhere: the caller has moved on.
 */
export function neuterIovalkeyCommand(command: IovalkeyCommand): void {
  command.name = 'ping';
  command.args = [];
}

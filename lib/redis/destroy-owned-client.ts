import type { OwnedRedisClient } from './redis-connection';

/** How long closing waits for a connection of the store's own that is still being made. */
const CLOSE_WAIT_MS = 2_000;

/**
 * Closes a connection the store opened. A client destroyed while it connects finishes connecting
 * and keeps its socket: so the connection under way (`connecting`) is waited for first, bounded,
 * since it may never come while Redis is down.
 */
export async function destroyOwnedClient(client: OwnedRedisClient, connecting: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)))]);
  clearTimeout(timer);
  if (client.isOpen) client.destroy();
}

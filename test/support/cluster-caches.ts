import KeyvRedis, { createCluster } from '@keyv/redis';
import KeyvValkey from '@keyv/valkey';
import { Cluster as IovalkeyCluster } from 'iovalkey';
import { Keyv } from 'keyv';
import type { RedisClientKind } from './caches';

/** A cluster client as the tests look through it: a key's existence, and the master the client maps a slot to. */
export interface ClusterView {
  exists(key: string): Promise<number>;
  masterOf(slot: number): string;
}

/**
 * A cluster client of its own behind `@keyv/redis` (node-redis) or `@keyv/valkey` (iovalkey), as one application instance has;
 * `ignoreErrors` for a test that takes nodes down on purpose.
 */
export function clusterCache(kind: RedisClientKind, urls: readonly string[]) {
  if (kind === 'redis') {
    const client = createCluster({ rootNodes: urls.map((url) => ({ url })) });
    const keyvStore = new KeyvRedis(client);
    const view: ClusterView = { exists: (key) => client.exists(key), masterOf: (slot) => client.getSlotMaster(slot).address };
    const ignoreErrors = () => void client.on('error', () => undefined);
    return {
      keyv: new Keyv({ store: keyvStore, useKeyPrefix: false }),
      view,
      ignoreErrors,
      disconnect: () => keyvStore.disconnect(true).catch(() => undefined),
    };
  }
  const client = new IovalkeyCluster(urls.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })));
  const view: ClusterView = {
    exists: (key) => client.exists(key),
    masterOf: (slot) => (client as unknown as { slots: string[][] }).slots[slot][0],
  };
  const ignoreErrors = () => void client.on('error', () => undefined);
  return {
    keyv: new Keyv({ store: new KeyvValkey(client), useKeyPrefix: false }),
    view,
    ignoreErrors,
    disconnect: async () => client.disconnect(),
  };
}

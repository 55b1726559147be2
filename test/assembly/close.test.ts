import KeyvRedis, { createCluster, createKeyv, Keyv } from '@keyv/redis';
import { Test } from '@nestjs/testing';
import { type Cache, createCache } from 'cache-manager';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { SseEventStoreModule } from '../../lib';
import { createSseEventStore } from '../../lib/testing';
import { REDIS_CONNECT_TIMEOUT_MS, REDIS_URL, uniquePrefix } from '../support/caches';
import { CapturingLogger } from '../support/capturing-logger';

/** Every event an emitter has listeners for, with their number. */
function listenerCounts(emitter: Pick<EventEmitter, 'eventNames' | 'listenerCount'>): Record<string, number> {
  return Object.fromEntries(emitter.eventNames().map((event) => [String(event), emitter.listenerCount(event)]));
}

/** Records the listeners added to and removed from a cache-manager cache. */
function spyOnCacheListeners(cache: Cache): { added: unknown[]; removed: unknown[] } {
  const spy = { added: [] as unknown[], removed: [] as unknown[] };
  const { on, off } = cache;
  cache.on = ((event, listener) => {
    spy.added.push(listener);
    return on.call(cache, event, listener);
  }) as Cache['on'];
  cache.off = ((event, listener) => {
    spy.removed.push(listener);
    return off.call(cache, event, listener);
  }) as Cache['off'];
  return spy;
}

/** A cluster client behind `@keyv/redis` that is never connected: building and closing a store needs no server. */
function unconnectedClusterCache() {
  const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:1' }] });
  return { cluster, cache: createCache({ stores: [new Keyv({ store: new KeyvRedis(cluster) })] }) };
}

describe('close() removes what the store added to the application cache and client', () => {
  it('generic path on Redis: the listeners on the cache and its Keyv store go, the node-redis client is left as it was', async () => {
    const keyv = createKeyv(REDIS_URL, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
    const client = await (keyv.store as KeyvRedis<unknown>).getClient();
    const cache = createCache({ stores: [keyv] });
    try {
      const cacheListeners = spyOnCacheListeners(cache);
      const keyvErrorListeners = keyv.listeners('error').length;
      const clientListeners = listenerCounts(client as unknown as EventEmitter);

      const { store, close } = createSseEventStore({ cache, keyPrefix: uniquePrefix(), storage: 'generic' });
      assert.equal(keyv.listeners('error').length, keyvErrorListeners + 1);
      assert.equal(cacheListeners.added.length, 1);
      const writer = await store.createStream({ sessionId: 's', streamId: 't' });
      const { id } = await writer.write({ data: 1 });
      const reader = await store.getStreamReader(id);
      assert.ok(reader);
      await writer.complete();

      await close();
      assert.equal(keyv.listeners('error').length, keyvErrorListeners);
      assert.deepEqual(cacheListeners.removed, cacheListeners.added);
      assert.deepEqual(listenerCounts(client as unknown as EventEmitter), clientListeners);
    } finally {
      await cache.disconnect();
    }
  });

  // Two node-error listeners: one refreshes the slot map, one keeps the last connection error for timeouts.
  it('native path on a cluster: the node-error listeners go', async () => {
    const { cluster, cache } = unconnectedClusterCache();
    const before = cluster.listenerCount('node-error');
    const { close } = createSseEventStore({ cache, keyPrefix: uniquePrefix(), storage: 'redis', redis: false });
    assert.equal(cluster.listenerCount('node-error'), before + 2);
    await close();
    assert.equal(cluster.listenerCount('node-error'), before);
  });

  it("a module's app.close() closes its store", async () => {
    const { cluster, cache } = unconnectedClusterCache();
    const before = cluster.listenerCount('node-error');
    const moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreModule.forRoot({ cache, keyPrefix: uniquePrefix(), storage: 'redis', redis: false })],
    })
      .setLogger(new CapturingLogger())
      .compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    assert.equal(cluster.listenerCount('node-error'), before + 2);
    await app.close();
    assert.equal(cluster.listenerCount('node-error'), before);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it as nodeIt, type TestContext } from 'node:test';
import { Logger } from '@nestjs/common';
import { createCache } from 'cache-manager';
import calculateSlot from 'cluster-key-slot';
import { type SseEventStore, type SseEventStoreModuleOptions } from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import { McpServerEventBus } from '../../lib/mcp';
import { createSseEventStore } from '../../lib/testing';
import { setTimeout as delay } from 'node:timers/promises';
import { collect, record, waitFor } from '../support/async';
import { REDIS_CLIENT_KINDS, uniquePrefix } from '../support/caches';
import { clusterCache } from '../support/cluster-caches';
import { type RedisClusterProcesses, startRedisCluster } from '../support/redis-cluster';
import { redisRoundTrips, type RoundTripLog } from '../support/round-trips';

Logger.overrideLogger(['error', 'warn']);

const it = (name: string, fn: (t: TestContext) => Promise<void>) => nodeIt(name, { timeout: 60_000 }, fn);
const ids = new EventIdCodec(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength);

// Required, never skipped: without redis-server and redis-cli on the PATH these tests fail.
for (const kind of REDIS_CLIENT_KINDS)
  describe(`native Redis storage on a Redis Cluster (${kind === 'redis' ? 'node-redis' : 'iovalkey'})`, () => {
    let cluster: RedisClusterProcesses;
    before(async () => {
      cluster = await startRedisCluster({ masters: 3 });
    });
    after(() => cluster?.dispose());

    /** A store on a cluster client of its own, as one application instance has. */
    async function instance(t: TestContext, keyPrefix: string, options: Omit<SseEventStoreModuleOptions, 'cache' | 'keyPrefix'> = {}) {
      const { keyv, view, disconnect } = clusterCache(kind, [cluster.urls[0]]);
      const cache = createCache({ stores: [keyv] });
      const recorded = redisRoundTrips(cache);
      const created = createSseEventStore({ ...options, cache: recorded.cache, keyPrefix, storage: 'redis' });
      t.after(async () => {
        await created.close();
        await disconnect();
      });
      return { store: created.store as SseEventStore, trips: recorded.log as RoundTripLog, client: view };
    }

    it('streams of sessions on every node: one script call per session, each within one slot; another instance reads them', async (t) => {
      const keyPrefix = uniquePrefix();
      const writerSide = await instance(t, keyPrefix);
      const sessions = Array.from({ length: 60 }, (_, n) => `session-${n}`);
      const writers = await Promise.all(sessions.map((sessionId) => writerSide.store.createStream({ sessionId, streamId: 'main' })));

      const keys = new RedisStreamKeys(keyPrefix);
      const masters = new Set(sessions.map((sessionId) => writerSide.client.masterOf(calculateSlot(keys.index(sessionId)))));
      assert.equal(masters.size, 3, 'the sessions live on all three masters');

      writerSide.trips.reset();
      const written = await Promise.all(writers.map((writer, n) => writer.write({ data: { n } })));
      const appends = writerSide.trips.trips.filter((trip) => trip.operation === 'append');
      assert.equal(appends.length, sessions.length, 'one call per session (hash tag), all sent together');
      for (const trip of appends)
        assert.equal(new Set(trip.keys.map((key) => calculateSlot(key))).size, 1, `one slot per call: ${trip.keys.join(' ')}`);
      assert.deepEqual(
        written.map((event) => ids.parse(event.id)?.sequence),
        new Array(sessions.length).fill(1),
      );
      await Promise.all(writers.map((writer) => writer.complete()));

      const readerSide = await instance(t, keyPrefix);
      for (const [n, sessionId] of sessions.entries()) {
        const read = await collect((await readerSide.store.getStreamReader(written[n].id.replace(/\.1$/, '.0')))!.events());
        assert.deepEqual(
          read.map((event) => event.data),
          [{ n }],
          sessionId,
        );
      }
    });

    it("a session's streams share a call; deleting the session removes its keys in one command", async (t) => {
      const keyPrefix = uniquePrefix();
      const { store, trips, client } = await instance(t, keyPrefix);
      const writers = await Promise.all(['a', 'b', 'c'].map((streamId) => store.createStream({ sessionId: 'together', streamId })));
      trips.reset();
      await Promise.all(writers.flatMap((writer) => [writer.write({ data: 1 }), writer.write({ data: 2 })]));
      assert.deepEqual(
        trips.trips.map((trip) => trip.operation),
        ['append'],
      );
      await Promise.all(writers.map((writer) => writer.complete()));

      trips.reset();
      await store.deleteStreamsForSession('together');
      // (Plus an EVAL the first time the node holding the session runs the delete script.)
      assert.deepEqual(
        trips.trips.map((trip) => trip.operation).filter((operation) => operation !== 'eval'),
        ['delete', 'unlink'],
      );
      const keys = new RedisStreamKeys(keyPrefix);
      const left = await Promise.all(
        ['a', 'b', 'c']
          .flatMap((streamId) => Object.values(keys.stream({ sessionId: 'together', streamId })))
          .map((key) => client.exists(key)),
      );
      assert.equal(
        left.reduce((sum, exists) => sum + exists, 0),
        3,
        'only the tombstone is left (listed once per stream)',
      );
      assert.equal(await store.getStreamReaderFromStart({ sessionId: 'together', streamId: 'a' }), null);
    });

    it('a reader in another instance receives the events as they are written', async (t) => {
      const keyPrefix = uniquePrefix();
      const writerSide = await instance(t, keyPrefix);
      const readerSide = await instance(t, keyPrefix, { pollingInterval: 50 });
      const address = { sessionId: 'live', streamId: 'main' };
      const writer = await writerSide.store.createStream(address);
      const live = record((await readerSide.store.getStreamReaderFromStart(address))!.events());
      for (let n = 1; n <= 5; n++) {
        await writer.write({ data: { n } });
        await live.waitForCount(n);
      }
      await writer.complete();
      assert.deepEqual(await live.ended, { completed: true });
      assert.deepEqual(
        live.values.map((event) => event.data),
        [1, 2, 3, 4, 5].map((n) => ({ n })),
      );
    });

    it("MCP's server event bus: an event published on one instance reaches both instances' listeners once each", async (t) => {
      const keyPrefix = uniquePrefix();
      const instanceA = await instance(t, keyPrefix);
      const instanceB = await instance(t, keyPrefix);
      // As in an application that serves requests: the cache's clients are connected by then.
      for (const { store } of [instanceA, instanceB]) await store.getStreamReaderFromStart({ sessionId: 'warm-up', streamId: 'none' });
      const a = new McpServerEventBus(instanceA.store);
      const b = new McpServerEventBus(instanceB.store);
      const onA: string[] = [];
      const onB: string[] = [];
      a.subscribe((event) => onA.push(event.kind));
      b.subscribe((event) => onB.push(event.kind));
      await delay(200); // the subscriber connections subscribe to the channel

      a.publish({ kind: 'tools_list_changed' });
      await waitFor(() => onB.length >= 1, 'the event reaches the other instance', 10_000);
      await delay(300);
      assert.deepEqual(onA, ['tools_list_changed']);
      assert.deepEqual(onB, ['tools_list_changed']);
    });
  });

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeStoredEntry, encodeEvent } from '../../lib/encoding/stored-records';
import { SseEventStreamMode } from '../../lib/interfaces/sse-event-stream-mode.enum';
import { findRedisConnection } from '../../lib/redis/find-redis-connection';
import type { RedisConnection } from '../../lib/redis/redis-connection';
import { resolveSseEventStoreOptions } from '../../lib/sse-event-store-options';
import { RedisStreamStorage } from '../../lib/storage/redis/redis-stream-storage';
import { READ_STREAM } from '../../lib/storage/redis/scripts/read-stream.script';
import { SKIPPED_SEQUENCE } from '../../lib/storage/stream-storage.interface';
import { createTestCache, type TestCache, uniquePrefix } from '../support/caches';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';

/*
 * A Redis that no longer holds the store's scripts (restarted, failed over, SCRIPT FLUSH) answers
 * the first EVALSHA of each with NOSCRIPT, and the store sends it again as EVAL. A read sends its
 * state script and the XRANGE of its page together; after a NOSCRIPT the XRANGE has already run
 * when the EVAL does. An append that lands in between (a job's retry right after Redis is back)
 * is then listed by the state but missing from the page: the reader was told its events were
 * gone (410 on a resume) when nothing was lost. Here that append is made to land exactly there.
 */

let server: RedisServerProcess;
let testCache: TestCache;

before(async () => {
  // A server of the test's own: SCRIPT FLUSH there disturbs no other test.
  server = await startRedisServer();
  testCache = await createTestCache('redis', server.url);
});

after(async () => {
  await testCache?.close();
  await server?.dispose();
});

/** The test cache's connection to Redis. */
function redisConnection(): RedisConnection {
  const connection = findRedisConnection(testCache.cache);
  assert.ok(connection, 'the test cache is on Redis');
  return connection;
}

/**
 * The connection, running `beforeReadReload` once, right before the read script is sent again by
 * EVAL; commands sent meanwhile wait for it too, so they keep their order.
 */
function connectionWithHook(connection: RedisConnection, beforeReadReload: () => Promise<unknown>): RedisConnection {
  let hook: (() => Promise<unknown>) | undefined = beforeReadReload;
  let running: Promise<unknown> | undefined;
  return {
    client: connection.client,
    isCluster: connection.isCluster,
    pubSub: connection.pubSub,
    async send(firstKey, args, signal) {
      if (hook && args[0] === 'EVAL' && args[1] === READ_STREAM.lua.source) {
        running = hook();
        hook = undefined;
      }
      if (running) await running;
      return connection.send(firstKey, args, signal);
    },
    onNodeError: (listener) => connection.onNodeError(listener),
    onConnectionError: (listener) => connection.onConnectionError(listener),
    refreshSlotMap: () => connection.refreshSlotMap(),
    // Appends keep to this connection, so its commands keep their order.
    duplicate: () => undefined,
  };
}

const event = (percent: number): string => encodeEvent({ percent }, 'progress', undefined, Date.now());

describe('the native storage on a Redis that lost its scripts', () => {
  it('a read whose script has to be loaded again returns the events its state lists, even one appended meanwhile', async () => {
    const options = resolveSseEventStoreOptions({ keyPrefix: uniquePrefix() });
    const address = { sessionId: 'reloaded', streamId: 'progress' };
    // Another process writes the stream: its appends do not wait for the reader's connection.
    const writing = new RedisStreamStorage(redisConnection(), options);
    const appender = await writing.openStream(address, SseEventStreamMode.Streaming, true);
    let appendedMeanwhile: Promise<number> | undefined;
    const storage = new RedisStreamStorage(
      connectionWithHook(redisConnection(), () => (appendedMeanwhile = appender.append([event(20)]))),
      options,
    );
    try {
      assert.equal(await appender.append([event(0), event(10)]), 1);
      assert.match(await server.command(['SCRIPT', 'FLUSH']), /^\+OK/);

      const result = await storage.read(address, 3, 16);

      assert.equal(await appendedMeanwhile, 3, 'the append landed between the page and the state');
      assert.equal(result.status, 'found');
      if (result.status !== 'found') return;
      assert.equal(result.snapshot.lastSequence, 3);
      assert.equal(result.events.length, 1);
      const [record] = result.events;
      assert.ok(record && record !== SKIPPED_SEQUENCE, `sequence 3, listed by the state, is in the page: ${String(record)}`);
      assert.deepEqual(decodeStoredEntry(record)?.data, { percent: 20 });
    } finally {
      appender.close();
      await writing.close();
      await storage.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { findRedisConnection } from '../../lib/redis/find-redis-connection';
import { RedisCommandDroppedError, type RedisConnection } from '../../lib/redis/redis-connection';
import { waitFor } from '../support/async';
import { createTestCache, REDIS_CLIENT_KINDS, type RedisClientKind } from '../support/caches';
import { startRedisServer } from '../support/redis-server';

/** Sends a command, aborting it after `abortAfterMs`. */
function sendWithin(connection: RedisConnection, args: string[], abortAfterMs: number): Promise<unknown> {
  return connection.send(args[1], args, AbortSignal.timeout(abortAfterMs));
}

/** Retries `GET key` until the client has reconnected; resolves with the value. */
async function getOnceReconnected(connection: RedisConnection, key: string): Promise<unknown> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await sendWithin(connection, ['GET', key], 1_000);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A redis-server of the test's own, and a cache of the client under test on it; both go when the test ends. */
async function ownServerCache(t: TestContext, kind: RedisClientKind) {
  const server = await startRedisServer();
  const testCache = await createTestCache(kind, server.url);
  t.after(async () => {
    await testCache.close();
    await server.dispose();
  });
  return { server, connection: findRedisConnection(testCache.cache) };
}

for (const kind of REDIS_CLIENT_KINDS) {
  describe(`the Redis client seam on ${kind === 'redis' ? 'node-redis (@keyv/redis)' : 'iovalkey (@keyv/valkey)'}`, () => {
    it('finds the client behind the cache and sends commands on it', { timeout: 30_000 }, async (t) => {
      const { connection } = await ownServerCache(t, kind);
      assert.ok(connection, 'a connection is found behind the cache');
      assert.equal(connection.isCluster, false);
      assert.equal(await sendWithin(connection, ['SET', 'seam', 'value'], 5_000), 'OK');
      assert.equal(await sendWithin(connection, ['GET', 'seam'], 5_000), 'value');
    });

    it('a command still queued while the server is away is dropped when its signal aborts, and never runs later', {
      timeout: 60_000,
    }, async (t) => {
      const { server, connection } = await ownServerCache(t, kind);
      assert.ok(connection);
      assert.equal(await sendWithin(connection, ['PING'], 5_000), 'PONG');

      await server.kill();
      await waitFor(() => !connection.pubSub.isReady, 'the client to notice the server is gone');
      // Queued by the client, which is reconnecting, until the signal aborts it.
      await assert.rejects(sendWithin(connection, ['SET', 'dropped', '1'], 300), RedisCommandDroppedError);

      await server.restart();
      assert.equal(await getOnceReconnected(connection, 'dropped'), null, 'the dropped command did not run on reconnection');
    });
  });
}

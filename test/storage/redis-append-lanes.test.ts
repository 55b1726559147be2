import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import type { SseEventStreamWriter } from '../../lib';
import { createSseEventStore } from '../../lib/testing';
import { collect, waitFor } from '../support/async';
import { storeConnectionOf } from '../support/cache-inspection';
import { createTestCache, REDIS_CLIENT_KINDS, uniquePrefix } from '../support/caches';
import { startRedisServer } from '../support/redis-server';

Logger.overrideLogger(['error', 'warn']);

const STREAMS = 20;
const SESSION = 'lanes';

/** `CLIENT LIST` as `{ id, cmd }` per connection. */
async function clientsOf(send: (args: string[]) => Promise<unknown>): Promise<{ id: string; cmd: string }[]> {
  const list = String(await send(['CLIENT', 'LIST']));
  return [...list.matchAll(/^id=(\d+) .*\bcmd=(\S+)/gm)].map(([, id, cmd]) => ({ id, cmd }));
}

/** Every writer writes `count` events, one after the other, all writers at once; resolves with each writer's ids. */
function writeAll(writers: SseEventStreamWriter[], from: number, count: number): Promise<string[][]> {
  return Promise.all(
    writers.map(async (writer) => {
      const ids: string[] = [];
      for (let n = from; n < from + count; n++) ids.push((await writer.write({ data: { n } })).id);
      return ids;
    }),
  );
}

for (const kind of REDIS_CLIENT_KINDS) {
  describe(`appends of many streams at once on ${kind === 'redis' ? 'node-redis (@keyv/redis)' : 'iovalkey (@keyv/valkey)'}`, () => {
    it('share a second connection of the store, fall back to the application one while it cannot connect, and lose nothing', {
      timeout: 60_000,
    }, async (t) => {
      const server = await startRedisServer();
      const testCache = await createTestCache(kind, server.url);
      const created = createSseEventStore({ cache: testCache.cache, keyPrefix: uniquePrefix(), storage: 'redis' });
      let closed = false;
      t.after(async () => {
        if (!closed) await created.close();
        await server.command(['CONFIG', 'SET', 'maxclients', '10000']).catch(() => undefined);
        await testCache.close();
        await server.dispose();
      });
      const { store } = created;
      // The application's connection: commands on it are not refused by maxclients once it is connected.
      const application = storeConnectionOf(testCache.cache);
      assert.ok(application);
      const send = (args: string[]) => application.sendCommand(args);
      const applicationId = String(await send(['CLIENT', 'ID']));
      const appendersOtherThanTheApplication = async () =>
        (await clientsOf(send)).filter(({ id, cmd }) => id !== applicationId && cmd === 'evalsha').map(({ id }) => id);

      // The cache's own connections (@keyv/valkey keeps a second one).
      const connectionIds = async () => (await clientsOf(send)).map(({ id }) => id).sort();
      const ownConnections = await connectionIds();
      const writers = await Promise.all(
        Array.from({ length: STREAMS }, (_, index) => store.createStream({ sessionId: SESSION, streamId: `s${index}` })),
      );
      assert.deepEqual(await appendersOtherThanTheApplication(), [], 'opening streams needs no connection of the store');

      // Until the second connection has carried appends: 20 writers at once are enough to open it.
      const acknowledged: string[][] = writers.map(() => []);
      let written = 0;
      const round = async (count: number) => {
        for (const [index, ids] of (await writeAll(writers, written, count)).entries()) acknowledged[index].push(...ids);
        written += count;
      };
      let lane: string[] = [];
      await waitFor(
        async () => {
          await round(50);
          lane = await appendersOtherThanTheApplication();
          return lane.length > 0;
        },
        'a second connection to carry appends',
        30_000,
      );
      assert.equal(lane.length, 1, `one connection of the store's own: ${lane.join(', ')}`);

      // It goes, and cannot come back: every append goes on the application's connection.
      const { rejected } = await rejectedConnections(send);
      assert.equal(await send(['CONFIG', 'SET', 'maxclients', '1']), 'OK');
      await send(['CLIENT', 'KILL', 'ID', lane[0]]);
      await waitFor(async () => (await rejectedConnections(send)).rejected > rejected, 'the second connection to be refused');
      const before = await evalshaCalls(send);
      await round(50);
      assert.deepEqual(await connectionIds(), ownConnections, 'the application connections alone carried them');
      assert.ok((await evalshaCalls(send)) > before);

      // Let back in, it carries appends again.
      assert.equal(await send(['CONFIG', 'SET', 'maxclients', '10000']), 'OK');
      await waitFor(
        async () => {
          await round(50);
          return (await appendersOtherThanTheApplication()).length === 1;
        },
        'the second connection to be back',
        30_000,
      );

      // Every acknowledged event is there, in order, each once.
      for (const writer of writers) await writer.complete();
      for (let index = 0; index < STREAMS; index++) {
        const reader = await store.getStreamReaderFromStart({ sessionId: SESSION, streamId: `s${index}` });
        assert.ok(reader);
        const events = await collect(reader.events());
        assert.deepEqual(
          events.map((event) => event.id),
          acknowledged[index],
          `stream s${index}`,
        );
        assert.deepEqual(
          events.map((event) => (event.data as { n: number }).n),
          Array.from({ length: written }, (_, n) => n),
        );
      }

      closed = true;
      await created.close();
      await waitFor(
        async () => (await connectionIds()).join() === ownConnections.join(),
        'the connection of the store to be closed at shutdown',
      );
    });

    it('keep to the application connection with redisAppendConnections: 1', { timeout: 60_000 }, async (t) => {
      const server = await startRedisServer();
      const testCache = await createTestCache(kind, server.url);
      const { store, close } = createSseEventStore({
        cache: testCache.cache,
        keyPrefix: uniquePrefix(),
        storage: 'redis',
        redisAppendConnections: 1,
      });
      t.after(async () => {
        await close();
        await testCache.close();
        await server.dispose();
      });
      const application = storeConnectionOf(testCache.cache);
      assert.ok(application);
      const send = (args: string[]) => application.sendCommand(args);
      const connectionIds = async () => (await clientsOf(send)).map(({ id }) => id).sort();
      const ownConnections = await connectionIds();
      const writers = await Promise.all(
        Array.from({ length: STREAMS }, (_, index) => store.createStream({ sessionId: SESSION, streamId: `s${index}` })),
      );
      // With the default, the first of these ticks opens the second connection.
      const acknowledged = await writeAll(writers, 0, 100);
      assert.deepEqual(await connectionIds(), ownConnections, 'no connection of its own was opened');
      for (const [index, writer] of writers.entries()) {
        await writer.complete();
        const reader = await store.getStreamReaderFromStart({ sessionId: SESSION, streamId: `s${index}` });
        assert.ok(reader);
        assert.deepEqual(
          (await collect(reader.events())).map((event) => event.id),
          acknowledged[index],
        );
      }
    });
  });
}

async function rejectedConnections(send: (args: string[]) => Promise<unknown>): Promise<{ rejected: number }> {
  const info = String(await send(['INFO', 'stats']));
  return { rejected: Number(/^rejected_connections:(\d+)/m.exec(info)?.[1]) };
}

async function evalshaCalls(send: (args: string[]) => Promise<unknown>): Promise<number> {
  const info = String(await send(['INFO', 'commandstats']));
  return Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(info)?.[1]);
}

import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type SseEventStore, SseInvalidInputError, type SseStreamAddress, SseStreamPublisher } from '../../lib';
import { encodeEvent } from '../../lib/encoding/stored-records';
import { memoryStreamTableOf } from '../../lib/storage/memory/memory-stream-table';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import { redisClientOf } from '../support/cache-inspection';
import { EventSourceClient } from '../support/event-source-client';
import { CapturingLogger } from '../support/capturing-logger';
import { openStoreBackend, type StoreBackend, type StoreBackendCache } from '../support/store-backends';
import { memoryNativeLayout } from '../support/stored-layout';
import { readThrottled } from '../support/throttled-sse-reader';
import { COMBINATIONS, EdgeApp, freshSession } from './edge-app';

/**
 * SSE is line based: a CR or LF in `event:` or `id:` ends the field, and what follows is read as
 * fields of its own (a forged `id:`, `retry:` or `data:`); clients treat NUL differently. So the
 * store refuses them in a `type` and in a given `id`, with `SseInvalidInputError`, at every entry:
 * the writer, SseStreamPublisher, and the HTTP publish route (400). Nothing forged reaches an SSE
 * client, and a record stored with one anyway (by an older version) still goes out as one line.
 *
 * Runs in the Nest 11 matrix (the oldest 11.0.x too): nothing Nest-12-only here or in edge-app.ts.
 */

/** Each way a field can be forged, as a real injection would try it. */
const FORGED: readonly [label: string, value: string][] = [
  ['CR', 'update\rid: forged-cr'],
  ['LF', 'update\nid: forged-lf'],
  ['CRLF', 'update\r\ndata: forged-crlf'],
  ['NUL', 'update\0forged-nul'],
  ['a lone LF', '\n'],
];

const isInvalidInput = (error: unknown): boolean => error instanceof SseInvalidInputError && error.code === 'SSE_INVALID_INPUT';

for (const backend of ['memory', 'redis-native'] satisfies StoreBackend[]) {
  describe(`forged type and id refused by the writer and SseStreamPublisher (${backend})`, () => {
    let backendCache: StoreBackendCache;
    let store: SseEventStore;
    let close: () => Promise<void>;

    before(async () => {
      Logger.overrideLogger(new CapturingLogger()); // the store's own lines, kept off the test output
      backendCache = await openStoreBackend(backend);
      ({ store, close } = backendCache.openStore());
    });

    after(async () => {
      await close?.();
      await backendCache?.close();
    });

    it('writer.write rejects SseInvalidInputError for CR, LF, CRLF or NUL in `type` or a given `id`, and stores nothing', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      const writer = await store.createStream(address);
      for (const [label, value] of FORGED) {
        await assert.rejects(writer.write({ data: label, type: value }), isInvalidInput, `type with ${label}`);
        await assert.rejects(writer.write({ data: label, id: value }), isInvalidInput, `id with ${label}`);
      }
      // Nothing was stored and no sequence was used: the next event is the first.
      const stored = await writer.write({ data: 'fine', type: 'update' });
      assert.match(stored.id, /\.1$/);
      // A plain given id passes through unchanged (and is not stored).
      assert.deepEqual(await writer.write({ data: 'given', id: 'my-id' }), { data: 'given', id: 'my-id' });
      await writer.complete();
      const reader = await store.getStreamReaderFromStart(address);
      const events = await new Promise<unknown[]>((resolve, reject) => {
        const seen: unknown[] = [];
        reader!.events().subscribe({ next: (event) => seen.push(event), complete: () => resolve(seen), error: reject });
      });
      assert.deepEqual(events, [{ id: stored.id, data: 'fine', type: 'update' }]);
    });

    it('SseStreamPublisher.append rejects the same, and the stream stays usable', async () => {
      const publisher = new SseStreamPublisher(store);
      const address = { sessionId: freshSession(), streamId: 'main' };
      for (const [label, value] of FORGED) {
        await assert.rejects(publisher.append(address, { data: label, type: value }), isInvalidInput, `type with ${label}`);
        await assert.rejects(publisher.append(address, { data: label, id: value }), isInvalidInput, `id with ${label}`);
      }
      const first = await publisher.append(address, { data: 'fine', type: 'update' });
      assert.match(first.id, /\.1$/, 'the refusals used no sequence');
      await publisher.complete(address);
    });
  });
}

for (const { platform, backend } of COMBINATIONS) {
  describe(`forged type and id over HTTP (${platform}, ${backend})`, () => {
    let app: EdgeApp;
    const clients: EventSourceClient[] = [];

    before(async () => {
      app = await EdgeApp.start({ platform, backend, store: { retryInterval: 200, retryJitter: 0 } });
    });

    after(async () => {
      for (const client of clients) client.close();
      await app?.close();
    });

    it('the publish route answers 400 SSE_INVALID_INPUT, and nothing forged reaches an SSE client', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      const legit = [await app.append(address, 'before', 'update')];
      // Clients that follow the stream while the forged events are tried: a real EventSource, and a raw reader.
      const client = new EventSourceClient(app.streamUrl(address), { types: ['update'] });
      clients.push(client);
      const raw = readThrottled(app.streamUrl(address), { bytesPerSecond: Infinity, keepBody: true });
      await client.waitForMessages(1);

      for (const [label, value] of FORGED) {
        for (const event of [
          { data: label, type: value },
          { data: label, id: value },
        ]) {
          const answer = await app.publish(address, event);
          assert.equal(answer.status, 400, `${JSON.stringify(event)}: ${JSON.stringify(answer.body)}`);
          assert.equal(answer.body.code, 'SSE_INVALID_INPUT');
          assert.equal(answer.body.error, 'Bad Request');
        }
      }
      legit.push(await app.append(address, 'after', 'update'));
      assert.match(legit[1], /\.2$/, 'the refusals used no sequence');
      assert.equal(await app.complete(address), 204);

      const read = await raw;
      assert.equal(
        read.body,
        `retry: 200\n\nevent: update\nid: ${legit[0]}\ndata: before\n\nevent: update\nid: ${legit[1]}\ndata: after\n\n`,
      );
      await client.waitForClosed();
      assert.deepEqual(client.messages, [
        { type: 'update', data: 'before', lastEventId: legit[0] },
        { type: 'update', data: 'after', lastEventId: legit[1] },
      ]);
      assert.deepEqual(app.errorsLogged(), []);
    });

    it('an event stored with a forged type anyway (an older version) is sent with it on one line', async () => {
      const address = { sessionId: freshSession(), streamId: 'old' };
      const ids = [await app.append(address, 'one', 'update'), await app.append(address, 'two', 'update')];
      await app.complete(address);
      await forgeStoredType(app, address, 1, 'update\nid: forged\r\ndata: forged\0');

      const read = await readThrottled(app.streamUrl(address), { bytesPerSecond: Infinity, keepBody: true });
      assert.equal(
        read.body,
        `retry: 200\n\nevent: updateid: forgeddata: forged\nid: ${ids[0]}\ndata: one\n\nevent: update\nid: ${ids[1]}\ndata: two\n\n`,
      );
      const client = new EventSourceClient(app.streamUrl(address), { types: ['update', 'updateid: forgeddata: forged'] });
      clients.push(client);
      await client.waitForClosed();
      assert.deepEqual(client.messages, [
        { type: 'updateid: forgeddata: forged', data: 'one', lastEventId: ids[0] },
        { type: 'update', data: 'two', lastEventId: ids[1] },
      ]);
    });
  });
}

/** Rewrites the stored record of event `sequence` with `type`, bypassing the writer's checks. */
async function forgeStoredType(app: EdgeApp, address: SseStreamAddress, sequence: number, type: string): Promise<void> {
  const forge = (json: string): string => JSON.stringify({ ...(JSON.parse(json) as object), t: type });
  if (app.backend === 'memory') {
    const layout = memoryNativeLayout(memoryStreamTableOf(app.cache, app.keyPrefix));
    const stored = layout.stream(address)?.events.entryAt(sequence);
    assert.ok(stored, `event ${sequence} is stored`);
    // Held decoded once it was read: forged from its stored form.
    const json = typeof stored === 'string' ? stored : encodeEvent(stored.data, stored.type, stored.retry, 0);
    layout.overwriteEvent(address, sequence, forge(json));
    return;
  }
  const client = redisClientOf(app.cache)!;
  const key = new RedisStreamKeys(app.keyPrefix).stream(address).events;
  const entries = await client.xRange(key, '-', '+');
  const ttl = await client.pTTL(key);
  await client.del(key);
  for (const entry of entries) {
    const message = Number(entry.id.split('-')[0]) === sequence ? { ...entry.message, e: forge(entry.message.e) } : entry.message;
    await client.xAdd(key, entry.id, message);
  }
  if (ttl > 0) await client.pExpire(key, ttl);
}

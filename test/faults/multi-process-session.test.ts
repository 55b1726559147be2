import assert from 'node:assert/strict';
import { after, before, describe, it as nodeIt, type TestContext } from 'node:test';
import { Logger } from '@nestjs/common';
import { SseSessionDeletedError, type SseEventStorage } from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { redisClientOf } from '../support/cache-inspection';
import { createTestCache, type TestCache, uniquePrefix } from '../support/caches';
import { type CreatedStream, StoreProcess } from '../support/store-process';
import { cacheLayout, redisNativeLayout, type StoredLayout } from '../support/stored-layout';

Logger.overrideLogger(['error', 'warn']);

const it = (name: string, fn: (t: TestContext) => Promise<void>) => nodeIt(name, { timeout: 60_000 }, fn);

const PROCESSES = 4;
const STREAMS_PER_PROCESS = 25;
const EVENTS_PER_STREAM = 3;

const ids = new EventIdCodec(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength);

const PATHS: Record<string, SseEventStorage> = { 'native Redis path': 'redis', 'generic path': 'generic' };

for (const [pathName, storage] of Object.entries(PATHS)) {
  describe(`one session written by ${PROCESSES} processes at once, ${pathName}`, () => {
    const keyPrefix = uniquePrefix();
    const processes: StoreProcess[] = [];
    /** This process's own store: an instance that creates nothing in the sessions. */
    let cache: TestCache;
    let fresh: StandaloneSseEventStore;
    let layout: StoredLayout;

    before(async () => {
      cache = await createTestCache('redis');
      fresh = createSseEventStore({ cache: cache.cache, keyPrefix, storage });
      layout = storage === 'redis' ? redisNativeLayout(cache.cache, keyPrefix) : cacheLayout(cache.cache, keyPrefix);
      for (let index = 0; index < PROCESSES; index++) processes.push(await StoreProcess.start(keyPrefix, storage));
    });

    after(async () => {
      await Promise.all(processes.map((process) => process.stop()));
      await fresh?.close();
      await cache?.close();
    });

    /** How many streams the session's index lists. */
    async function indexed(sessionId: string): Promise<number> {
      if (storage === 'redis') return redisClientOf(cache.cache)!.sCard(layout.indexKey(sessionId));
      const index = await cache.cache.get<string>(layout.indexKey(sessionId));
      return index === undefined ? 0 : (JSON.parse(index) as string[]).length;
    }

    /** Every process creates its streams in the session at the same moment and writes to each. */
    async function createConcurrently(sessionId: string): Promise<CreatedStream[]> {
      const created = await Promise.all(
        processes.map((process, index) =>
          process.create(
            sessionId,
            Array.from({ length: STREAMS_PER_PROCESS }, (_, stream) => `p${index}-s${stream}`),
            EVENTS_PER_STREAM,
          ),
        ),
      );
      return created.flat();
    }

    /** Asserts that no stream of the session can be read or resumed, from any position. */
    async function assertNothingReadable(sessionId: string, streams: CreatedStream[], when: string): Promise<void> {
      for (const { streamId, ids: written } of streams) {
        const address = { sessionId, streamId };
        assert.equal(await fresh.store.getStreamReaderFromStart(address), null, `${streamId} from the start, ${when}`);
        for (const id of [ids.format(address, 0), ...written]) {
          assert.equal(await fresh.store.getStreamReader(id), null, `${streamId} resumed from ${id}, ${when}`);
        }
      }
    }

    for (const deleter of ['one of the writing processes', 'an instance that created nothing'] as const) {
      const writers = storage === 'redis' ? 'a writer in any process is refused' : 'only the deleting process refuses its writers';
      it(`deleted by ${deleter}: no stream can be read or resumed afterwards; ${writers}`, async () => {
        const sessionId = `shared-${deleter === 'one of the writing processes' ? 'writer' : 'fresh'}`;
        const streams = await createConcurrently(sessionId);
        assert.equal(streams.length, PROCESSES * STREAMS_PER_PROCESS);
        for (const stream of streams) assert.equal(stream.ids.length, EVENTS_PER_STREAM);
        const listed = await indexed(sessionId);

        if (deleter === 'one of the writing processes') await processes[0].delete(sessionId);
        else await fresh.store.deleteStreamsForSession(sessionId);

        const keysLeft = await layout.sessionKeys(sessionId);
        const tombstone = layout.tombstoneKey(sessionId);
        assert.ok(keysLeft.includes(tombstone), 'the tombstone is set');
        if (storage === 'redis') {
          // The index is a set: concurrent creates in any process are all listed, so all are removed.
          assert.equal(listed, streams.length, 'every stream is in the index');
          assert.deepEqual(keysLeft, [tombstone], 'nothing but the tombstone is left');
        } else {
          // The index is read, changed and written back: creates in other processes at the same
          // moment overwrite one another's entries. The streams it lost keep their keys (metadata
          // and events) until they expire; every listed one is removed.
          assert.equal(
            keysLeft.length,
            1 + (streams.length - listed) * (1 + EVENTS_PER_STREAM),
            'the streams the index lost, and the tombstone',
          );
        }
        await assertNothingReadable(sessionId, streams, 'after the delete');

        // Writers still open in the processes (the deleting one included) write once more.
        const writes = (await Promise.all(processes.map((process) => process.write(sessionId)))).flat();
        assert.equal(writes.length, streams.length);
        const refused = writes.filter((outcome) => 'failure' in outcome && outcome.failure.name === SseSessionDeletedError.name);
        const accepted = writes.filter((outcome) => 'id' in outcome);
        const ownWriters = deleter === 'one of the writing processes' ? STREAMS_PER_PROCESS : 0;
        if (storage === 'redis') {
          assert.equal(
            refused.length,
            writes.length,
            `every writer is refused: ${JSON.stringify(writes.find((outcome) => !('failure' in outcome)))}`,
          );
          assert.deepEqual(await layout.sessionKeys(sessionId), [tombstone], 'the refused writes left nothing behind');
        } else {
          // Only the deleting process knows its writers are gone; a writer in another process
          // stores its event (it never reads the tombstone on a write), where no reader finds it.
          assert.equal(refused.length, ownWriters, 'the deleting process refuses its own writers');
          assert.equal(accepted.length, writes.length - ownWriters, 'writers in other processes are not refused');
        }
        await assertNothingReadable(sessionId, streams, 'after the writes that followed the delete');
        await assert.rejects(fresh.store.createStream({ sessionId, streamId: 'new' }), SseSessionDeletedError);
        await assert.rejects(processes[1].create(sessionId, ['new'], 0), { name: SseSessionDeletedError.name });

        console.log(
          `[${pathName}, deleted by ${deleter}] ${streams.length} streams created by ${PROCESSES} processes at once, ${listed} of them in the index; ` +
            `keys left after the delete: ${keysLeft.length} (tombstone included); writes after the delete: ${refused.length} refused with SseSessionDeletedError, ${accepted.length} stored; ` +
            `keys left in the end: ${(await layout.sessionKeys(sessionId)).length}`,
        );
      });
    }
  });
}

import assert from 'node:assert/strict';
import { describe, it as nodeIt, type TestContext } from 'node:test';
import { Logger } from '@nestjs/common';
import {
  SseEventPersistenceError,
  SseEventStoreError,
  SseSessionDeletedError,
  SseStoreUnavailableError,
  type SseEventStorage,
} from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { createSseEventStore } from '../../lib/testing';
import { collect } from '../support/async';
import { bounded } from '../support/bounded';
import { type StoreConnection, storeConnectionOf } from '../support/cache-inspection';
import { createTestCache, uniquePrefix } from '../support/caches';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import { cacheLayout, redisNativeLayout } from '../support/stored-layout';

Logger.overrideLogger(['error', 'warn']);

const it = (name: string, fn: (t: TestContext) => Promise<void>) => nodeIt(name, { timeout: 60_000 }, fn);

const OPERATION_TIMEOUT_MS = 300;
/** A call that has not answered after ten operation timeouts hangs. */
const GUARD_MS = 10 * OPERATION_TIMEOUT_MS;
/** Long enough that every call made during the stall times out while Redis is still stalled. */
const STALL_MS = 2_500;

const ids = new EventIdCodec(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength);
const sequenceOf = (id: string): number => ids.parse(id)!.sequence;

/** Starts a stall once it is in effect; `ended` resolves when Redis answers again. */
type Stall = (server: RedisServerProcess, storeConnection: StoreConnection) => Promise<{ ended: Promise<void> }>;

const STALLS: Record<string, Stall> = {
  'CLIENT PAUSE ALL': async (server) => {
    assert.equal(await server.command(['CLIENT', 'PAUSE', String(STALL_MS), 'ALL']), '+OK\r\n');
    // A PING on a fresh connection is held for as long as the pause lasts.
    const ended = server.command(['PING'], STALL_MS + 10_000).then((answer) => assert.equal(answer, '+PONG\r\n'));
    return { ended };
  },
  'DEBUG SLEEP': async (_server, storeConnection) => {
    // Sent on the store's own connection: Redis runs a connection's commands in order, so every
    // command the store sends after it waits until the server wakes up.
    const ended = storeConnection.sendCommand(['DEBUG', 'SLEEP', String(STALL_MS / 1000)]).then((answer) => assert.equal(answer, 'OK'));
    return { ended };
  },
};

const PATHS: Record<string, SseEventStorage> = { 'native Redis path': 'redis', 'generic path': 'generic' };

/** The error and its causes, as one line: what an application's log would show. */
function chainOf(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current !== undefined; current = (current as { cause?: unknown }).cause) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
  }
  return parts.join(' <- ');
}

/** Asserts a typed rejection that says it was a timeout; returns the error. */
function assertTimedOut<T extends SseEventStoreError>(
  outcome: PromiseSettledResult<unknown>,
  type: abstract new (...args: never[]) => T,
  what: string,
): T {
  assert.equal(outcome.status, 'rejected', `${what} resolved during the stall`);
  const error = (outcome as PromiseRejectedResult).reason as unknown;
  assert.ok(error instanceof type, `${what}: expected ${type.name}, got ${chainOf(error)}`);
  assert.match(chainOf(error), new RegExp(`within ${OPERATION_TIMEOUT_MS} ms`), `${what}: the cause names the timeout`);
  return error;
}

describe('a stalled Redis', () => {
  for (const [pathName, storage] of Object.entries(PATHS)) {
    for (const [stallName, stall] of Object.entries(STALLS)) {
      it(`${pathName}, ${stallName}: every call fails typed instead of waiting the stall out; afterwards nothing is half-written and the store works on`, async (t) => {
        // Needed for DEBUG SLEEP (Redis 7 refuses DEBUG by default).
        const server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
        const testCache = await createTestCache('redis', server.url);
        const keyPrefix = uniquePrefix();
        const created = createSseEventStore({ cache: testCache.cache, keyPrefix, storage, operationTimeout: OPERATION_TIMEOUT_MS });
        t.after(async () => {
          await created.close();
          await testCache.close();
          await server.dispose();
        });
        const { store } = created;
        const layout = storage === 'redis' ? redisNativeLayout(testCache.cache, keyPrefix) : cacheLayout(testCache.cache, keyPrefix);
        const guarded = <T>(promise: Promise<T>, what: string): Promise<T> => bounded(promise, what, GUARD_MS);

        const main = { sessionId: 'stalled', streamId: 'main' };
        const writer = await store.createStream(main);
        const before: { id: string; data: { n: number } }[] = [];
        for (let n = 0; n < 5; n++) before.push(await writer.write({ data: { n } }));
        const doomed = { sessionId: 'doomed', streamId: 'main' };
        const doomedWriter = await store.createStream(doomed);
        await doomedWriter.write({ data: 'doomed' });
        await doomedWriter.complete();
        const readerBefore = await store.getStreamReaderFromStart(main);
        assert.ok(readerBefore);
        // Every script the store sends during the stall is then cached in Redis, as on a server that
        // has run for a while (a script sent for the first time answers NOSCRIPT, and the EVAL that
        // would follow is never sent once the call has timed out).
        await store.deleteStreamsForSession('warm-up');

        const { ended } = await stall(server, storeConnectionOf(testCache.cache)!);
        let stallOver = false;
        void ended.then(
          () => (stallOver = true),
          () => undefined, // reported where it is awaited below
        );

        // Three writes in one batch, then two more one after the other: the first batch reaches
        // Redis and waits there; what the writer does after a timed-out write is the question.
        const issued: { n: number; outcome: PromiseSettledResult<{ id: string }> }[] = [];
        const batch = [5, 6, 7].map((n) => guarded(writer.write({ data: { n } }), `write ${n}`));
        const others = Promise.allSettled([
          guarded(store.createStream({ sessionId: 'stalled', streamId: 'late' }), 'createStream'),
          guarded(store.getStreamReader(before[1].id), 'getStreamReader'),
          guarded(store.getStreamReaderFromStart(main), 'getStreamReaderFromStart'),
          guarded(collect(readerBefore.events(), GUARD_MS), 'reading events'),
          guarded(store.deleteStreamsForSession(doomed.sessionId), 'deleteStreamsForSession'),
        ]);
        (await Promise.allSettled(batch)).forEach((outcome, index) => {
          issued.push({ n: 5 + index, outcome });
        });
        for (const n of [8, 9]) {
          const [outcome] = await Promise.allSettled([guarded(writer.write({ data: { n } }), `write ${n}`)]);
          issued.push({ n, outcome });
        }
        const [createOutcome, resumeOutcome, fromStartOutcome, readOutcome, deleteOutcome] = await others;
        assert.equal(stallOver, false, 'every call above answered while Redis was still stalled');

        const writeErrors = issued.map(({ n, outcome }) => assertTimedOut(outcome, SseEventPersistenceError, `write ${n}`));
        assertTimedOut(createOutcome, SseStoreUnavailableError, 'createStream');
        assertTimedOut(resumeOutcome, SseStoreUnavailableError, 'getStreamReader');
        assertTimedOut(fromStartOutcome, SseStoreUnavailableError, 'getStreamReaderFromStart');
        assertTimedOut(readOutcome, SseStoreUnavailableError, 'reading events');
        assertTimedOut(deleteOutcome, SseStoreUnavailableError, 'deleteStreamsForSession');

        await guarded(ended, 'the end of the stall');

        // The same store, not rebuilt: the writer continues after whatever Redis holds.
        const after = await writer.write({ data: { n: 10 } });
        await writer.complete();
        const stored = await collect((await store.getStreamReaderFromStart(main))!.events());
        assert.deepEqual(
          stored.map((event) => sequenceOf(event.id)),
          stored.map((_, index) => index + 1),
          'sequences 1..n, no gap, none twice',
        );
        assert.equal(stored.at(-1)?.id, after.id, 'the write after the stall got the next sequence');
        const numbers = stored.map((event) => (event.data as { n: number }).n);
        for (const event of [...before, after]) {
          assert.deepEqual(stored.find((candidate) => candidate.id === event.id)?.data, event.data, `${event.id} holds what was written`);
        }
        // A timed-out write is not undone: what Redis had received ran once it woke up. Such
        // writes appear whole, once each, in the order they were issued, between the writes
        // acknowledged before and after the stall.
        const surfaced = numbers.slice(before.length, -1);
        assert.deepEqual(numbers.slice(0, before.length), [0, 1, 2, 3, 4]);
        assert.deepEqual(
          surfaced,
          [...surfaced].sort((a, b) => a - b),
          'in the order issued',
        );
        assert.equal(new Set(surfaced).size, surfaced.length, 'none twice');
        for (const n of surfaced) assert.ok(n >= 5 && n <= 9, `event ${n} is one of the writes issued during the stall`);
        assert.ok(surfaced.includes(5), 'the first batch had reached Redis and was stored after all');
        for (const event of stored) assert.deepEqual(Object.keys(event).sort(), ['data', 'id'], 'whole events only');

        // A reader taken before the stall reads everything now; so does a resume from the middle.
        assert.deepEqual(await collect(readerBefore.events()), stored);
        assert.deepEqual(await collect((await store.getStreamReader(before[1].id))!.events()), stored.slice(2));

        // The delete that timed out had reached Redis as well: its first step (the tombstone) ran,
        // its second (removing the keys) was never sent. The session's stream is left in Redis but
        // reads as deleted; deleting again finishes the job.
        const leftBehind = await layout.sessionKeys(doomed.sessionId);
        assert.ok(leftBehind.includes(layout.tombstoneKey(doomed.sessionId)), 'the tombstone is set');
        assert.ok(leftBehind.includes(layout.metadataKey(doomed)), 'the stream is still stored');
        assert.equal(await store.getStreamReaderFromStart(doomed), null);
        await assert.rejects(store.createStream({ ...doomed, streamId: 'again' }), SseSessionDeletedError);
        await store.deleteStreamsForSession(doomed.sessionId);
        assert.deepEqual(await layout.sessionKeys(doomed.sessionId), [layout.tombstoneKey(doomed.sessionId)]);

        // The stream whose createStream timed out can be opened now and starts at sequence 1.
        const late = await store.createStream({ sessionId: 'stalled', streamId: 'late' });
        assert.equal(sequenceOf((await late.write({ data: 'late' })).id), 1);
        await late.complete();

        console.log(
          `[${pathName}, ${stallName}] ${issued.length} writes rejected during the stall (${surfaced.length} of them stored after all: ${JSON.stringify(surfaced)}); ` +
            `${stored.length} events stored, sequences 1..${stored.length}; the timed-out delete left ${leftBehind.length} keys of its session; write error: "${chainOf(writeErrors[0])}"`,
        );
      });
    }
  }
});

import assert from 'node:assert/strict';
import { describe, it as nodeIt, type TestContext } from 'node:test';
import { Logger } from '@nestjs/common';
import {
  type SseEventStore,
  SseEventStreamMode,
  SseEventPersistenceError,
  type SseEventStoreError,
  type SseEventStoreModuleOptions,
  SseHistoryExpiredError,
  SseLimitExceededError,
  SseSessionDeletedError,
  SseStoreUnavailableError,
  SseStreamClosedError,
} from '../../lib';
import { createSseEventStore } from '../../lib/testing';
import { assembleSseEventStore } from '../../lib/assembly/assemble-sse-event-store';
import { resolveSseEventStoreOptions } from '../../lib/sse-event-store-options';
import { memoryStreamTableOf } from '../../lib/storage/memory/memory-stream-table';
import { bounded } from '../support/bounded';
import { uniquePrefix } from '../support/caches';
import { type FaultyBackend, failuresOf, openFaultyBackend } from '../support/faulty-backend';
import { STORE_BACKENDS } from '../support/store-backends';

/*
 * The error contract of the storage layer (see `StreamStorage`), on every storage path: for each
 * operation and each failure, the class it rejects with. Each operation is reached through the
 * store call that makes it: createStream → openStream, write → append, setMode → update,
 * getStreamReader* → read, deleteStreamsForSession → deleteSession.
 */

Logger.overrideLogger(['error']);

const it = (name: string, fn: (t: TestContext) => Promise<void>) => nodeIt(name, { timeout: 60_000 }, fn);

const OPERATION_TIMEOUT_MS = 300;
/** A call that has not answered after ten operation timeouts hangs. */
const GUARD_MS = 10 * OPERATION_TIMEOUT_MS;

type ErrorClass = abstract new (...args: never[]) => SseEventStoreError;

/** The error and its causes, as one line. */
function chainOf(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current !== undefined; current = (current as { cause?: unknown }).cause) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
  }
  return parts.join(' <- ');
}

/** Resolves with what `promise` rejected with; fails when it resolves or hangs. */
async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await bounded(promise, what, GUARD_MS);
  } catch (error) {
    return error;
  }
  assert.fail(`${what} resolved`);
}

async function assertRejects(promise: Promise<unknown>, type: ErrorClass, what: string): Promise<SseEventStoreError> {
  const error = await rejection(promise, what);
  assert.ok(error instanceof type, `${what}: expected ${type.name}, got ${chainOf(error)}`);
  return error;
}

interface Setup {
  backend: FaultyBackend;
  keyPrefix: string;
  /** A store on the backend; every call opens another one on the same data, as another process would. */
  openStore(options?: Omit<SseEventStoreModuleOptions, 'cache' | 'keyPrefix' | 'storage'>): SseEventStore;
  /** True where the storage checks a stream's state on every write (see the contract's note ¹). */
  checksEveryWrite: boolean;
}

async function setup(t: TestContext, storeBackend: (typeof STORE_BACKENDS)[number]): Promise<Setup> {
  const backend = await openFaultyBackend(storeBackend);
  const keyPrefix = uniquePrefix();
  const closers: (() => Promise<void>)[] = [];
  t.after(async () => {
    for (const close of closers) await close();
    await backend.close();
  });
  return {
    backend,
    keyPrefix,
    checksEveryWrite: backend.storage === 'redis' || storeBackend === 'memory',
    openStore(options = {}) {
      const created = createSseEventStore({
        pollingInterval: 50,
        ...options,
        cache: backend.cache,
        keyPrefix,
        storage: backend.storage,
        operationTimeout: OPERATION_TIMEOUT_MS,
      });
      closers.push(created.close);
      return created.store;
    },
  };
}

for (const storeBackend of STORE_BACKENDS) {
  describe(`storage error contract on ${storeBackend}`, () => {
    for (const failure of failuresOf(storeBackend)) {
      const readsFail = failure !== 'refuses-writes';
      const reads = readsFail ? 'read and ' : '';
      it(`backend ${failure}: openStream, ${reads}deleteSession reject with SseStoreUnavailableError, append and update with SseEventPersistenceError`, async (t) => {
        const h = await setup(t, storeBackend);
        const store = h.openStore();
        const address = { sessionId: 'failing', streamId: 'main' };
        const writer = await store.createStream(address);
        const first = await writer.write({ data: 1 });
        await writer.write({ data: 2 });
        await h.backend.fail(failure);

        // One after the other, reads first: on the generic path a failure the cache reports during
        // a call fails that call too, whichever call it came from (see `CheckedCache`).
        if (readsFail) {
          await assertRejects(store.getStreamReader(first.id), SseStoreUnavailableError, 'read (resume)');
          await assertRejects(store.getStreamReaderFromStart(address), SseStoreUnavailableError, 'read (from the start)');
        } else {
          assert.ok(await bounded(store.getStreamReader(first.id), 'read (resume)', GUARD_MS));
          assert.ok(await bounded(store.getStreamReaderFromStart(address), 'read (from the start)', GUARD_MS));
        }
        // Where reads are answered, only the registration write fails: the class is the same.
        await assertRejects(store.createStream({ ...address, streamId: 'another' }), SseStoreUnavailableError, 'openStream');
        await assertRejects(store.deleteStreamsForSession('another-session'), SseStoreUnavailableError, 'deleteSession');
        const appendError = await assertRejects(writer.write({ data: 3 }), SseEventPersistenceError, 'append');
        await assertRejects(writer.setMode(SseEventStreamMode.Polling), SseEventPersistenceError, 'update');
        if (h.checksEveryWrite && failure === 'no-answer') {
          // The native path knows the script left this process: the message says the events may be stored.
          assert.match(appendError.message, /it may or may not have been stored/);
        }
      });
    }

    it('deleted session: openStream rejects with SseSessionDeletedError; read resolves as deleted; deleteSession resolves again; writes of another process reject where the storage can tell', async (t) => {
      const h = await setup(t, storeBackend);
      const [here, elsewhere] = [h.openStore(), h.openStore()];
      const address = { sessionId: 'deleted', streamId: 'main' };
      const remote = await elsewhere.createStream(address);
      await remote.write({ data: 1 });
      await here.deleteStreamsForSession(address.sessionId);

      await assertRejects(here.createStream(address), SseSessionDeletedError, 'openStream of a stream it held');
      await assertRejects(elsewhere.createStream({ ...address, streamId: 'new' }), SseSessionDeletedError, 'openStream of a new stream');
      assert.equal(await here.getStreamReaderFromStart(address), null, 'read: the session is deleted');
      await here.deleteStreamsForSession(address.sessionId);
      if (h.checksEveryWrite) {
        await assertRejects(remote.write({ data: 2 }), SseSessionDeletedError, 'append');
        await assertRejects(remote.setMode(SseEventStreamMode.Polling), SseSessionDeletedError, 'update');
      } else {
        // Unchecked on this path: whatever such a write stores stays unreadable.
        await remote.write({ data: 2 });
        assert.equal(await here.getStreamReaderFromStart(address), null, 'read: still deleted');
      }
    });

    it('completed stream: openStream without reopenCompleted rejects with SseStreamClosedError; read and update resolve; appends of another process reject where the storage can tell', async (t) => {
      const h = await setup(t, storeBackend);
      const [here, elsewhere] = [h.openStore(), h.openStore()];
      const address = { sessionId: 'completed', streamId: 'main' };
      const remote = await elsewhere.createStream(address);
      await remote.write({ data: 1 });
      const local = await here.createStream(address);
      await local.complete();

      await assertRejects(here.createStream({ ...address, reopenCompleted: false }), SseStreamClosedError, 'openStream here');
      await assertRejects(
        h.openStore().createStream({ ...address, reopenCompleted: false }),
        SseStreamClosedError,
        'openStream in a third process',
      );
      assert.ok(await here.getStreamReaderFromStart(address), 'read resolves');
      await remote.setMode(SseEventStreamMode.Polling);
      if (h.checksEveryWrite) {
        await assertRejects(remote.write({ data: 2 }), SseStreamClosedError, 'append');
      } else {
        const outcome = await Promise.allSettled([remote.write({ data: 2 })]);
        if (outcome[0].status === 'rejected') assert.ok(outcome[0].reason instanceof SseStreamClosedError, chainOf(outcome[0].reason));
      }
    });

    it('maxStreamsPerSession reached: openStream of a new stream rejects with SseLimitExceededError', async (t) => {
      const h = await setup(t, storeBackend);
      const store = h.openStore({ maxStreamsPerSession: 1 });
      const held = await store.createStream({ sessionId: 'full', streamId: 'a' });
      await assertRejects(store.createStream({ sessionId: 'full', streamId: 'b' }), SseLimitExceededError, 'openStream');
      await held.complete();
      // The stream it holds opens again.
      await store.createStream({ sessionId: 'full', streamId: 'a' });
    });

    it('an unreadable stored event: read resolves (never a backend error), and a reader from it is told its history expired', async (t) => {
      const h = await setup(t, storeBackend);
      const store = h.openStore();
      const address = { sessionId: 'corrupt', streamId: 'main' };
      const writer = await store.createStream(address);
      const first = await writer.write({ data: 1 });
      await writer.write({ data: 2 });
      await h.backend.corruptEvent(h.keyPrefix, address, 1);

      await assertRejects(store.getStreamReaderFromStart(address), SseHistoryExpiredError, 'read from the corrupt event');
      assert.ok(await store.getStreamReader(first.id), 'read after it');
    });

    const unreachable = failuresOf(storeBackend).includes('unreachable');
    it(`probe resolves while the backend answers${unreachable ? ', and rejects with SseStoreUnavailableError once it is unreachable' : ''}; close resolves`, async (t) => {
      const h = await setup(t, storeBackend);
      const options = resolveSseEventStoreOptions({
        keyPrefix: h.keyPrefix,
        storage: h.backend.storage,
        operationTimeout: OPERATION_TIMEOUT_MS,
      });
      const assembled = assembleSseEventStore(h.backend.cache, {}, options);
      await bounded(assembled.storage.probe(), 'probe', GUARD_MS);
      if (unreachable) {
        await h.backend.fail('unreachable');
        await assertRejects(assembled.storage.probe(), SseStoreUnavailableError, 'probe');
      }
      await bounded(assembled.close(), 'close', GUARD_MS);
      if (storeBackend === 'memory') {
        const table = memoryStreamTableOf(h.backend.cache, h.keyPrefix) as unknown as { sweepTimer?: NodeJS.Timeout };
        assert.equal(table.sweepTimer, undefined, 'the sweep stops with the last storage on its data');
      }
    });

    if (storeBackend === 'memory') {
      it('at maxMemoryBytes, with no other session to evict: openStream rejects with SseStoreUnavailableError, append with SseEventPersistenceError; read, update and deleteSession resolve', async (t) => {
        const h = await setup(t, storeBackend);
        const store = h.openStore({ maxMemoryBytes: 1_500 });
        const address = { sessionId: 'full', streamId: 'main' };
        const writer = await store.createStream(address);
        const first = await writer.write({ data: 'x'.repeat(800) });

        const appendError = await assertRejects(writer.write({ data: 'x'.repeat(100) }), SseEventPersistenceError, 'append');
        assert.match(appendError.message, /refused the write to stream 'main'; it was not stored/);
        assert.match(chainOf(appendError), /option maxMemoryBytes/);
        await assertRejects(store.createStream({ ...address, streamId: 'another' }), SseStoreUnavailableError, 'openStream');
        assert.ok(await store.getStreamReader(first.id), 'read');
        await writer.setMode(SseEventStreamMode.Polling);
        await store.deleteStreamsForSession(address.sessionId);
        assert.equal(await store.getStreamReaderFromStart(address), null, 'read: the session is deleted');
      });
    }
  });
}

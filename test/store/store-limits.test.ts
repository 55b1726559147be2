import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import {
  SseEventStoreError,
  SseHistoryExpiredError,
  SseInvalidInputError,
  SseLimitExceededError,
  SseSessionDeletedError,
  type SseEventStoreModuleOptions,
} from '../../lib';
import { encodeEvent } from '../../lib/encoding/stored-records';
import { collect, waitFor } from '../support/async';
import { openStoreBackend, STORE_BACKENDS, type BackendStore, type StoreBackendCache } from '../support/store-backends';

Logger.overrideLogger(['error', 'warn']);

/** Asserts the rejection's type, and that its message says which limit, and its value. */
function refusedWith<T extends SseEventStoreError>(type: abstract new (...args: never[]) => T, ...mentions: RegExp[]) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    for (const mention of mentions) assert.match(error.message, mention);
    return true;
  };
}

// Every limit, on every storage path: in memory, and Redis both through cache-manager and natively.
for (const backend of STORE_BACKENDS) {
  describe(`limits on ${backend}`, () => {
    let cache: StoreBackendCache;
    const stores: BackendStore[] = [];
    const open = (options: Omit<SseEventStoreModuleOptions, 'cache' | 'keyPrefix' | 'storage'>) => {
      const opened = cache.openStore(options);
      stores.push(opened);
      return opened.store;
    };
    before(async () => (cache = await openStoreBackend(backend)));
    after(async () => {
      for (const opened of stores) await opened.close();
      await cache.close();
    });

    describe('maxEventBytes', () => {
      it('takes an event of exactly the limit, as stored JSON, and refuses one byte more', async () => {
        const limit = 300;
        const store = open({ maxEventBytes: limit });
        const writer = await store.createStream({ sessionId: 'bytes', streamId: 'main' });
        const overhead = Buffer.byteLength(encodeEvent('', undefined, undefined, Date.now()));
        const fits = await writer.write({ data: 'x'.repeat(limit - overhead) });
        await assert.rejects(
          writer.write({ data: 'x'.repeat(limit - overhead + 1) }),
          refusedWith(SseInvalidInputError, /larger than the limit of 300 bytes/, /maxEventBytes/),
        );
        // Bytes, not characters: a 3-byte character in place of an ASCII one tips it over.
        await assert.rejects(
          writer.write({ data: `€${'x'.repeat(limit - overhead - 1)}` }),
          refusedWith(SseInvalidInputError, /maxEventBytes/),
        );
        await writer.complete();
        const stored = await collect((await store.getStreamReaderFromStart({ sessionId: 'bytes', streamId: 'main' }))!.events());
        assert.deepEqual(
          stored.map((event) => event.id),
          [fits.id],
          'refused events were not stored and took no sequence',
        );
      });
    });

    describe('maxIdLength', () => {
      it('takes session and stream ids of exactly the limit, and refuses longer ones everywhere, naming the option', async () => {
        const store = open({ maxIdLength: 12 });
        const longest = { sessionId: 's'.repeat(12), streamId: 't'.repeat(12) };
        const writer = await store.createStream(longest);
        const { id } = await writer.write({ data: 1 });
        assert.ok(await store.getStreamReader(id));
        const tooLong = 'x'.repeat(13);
        const refusal = refusedWith(SseInvalidInputError, /longer than 12 characters/, /maxIdLength/);
        await assert.rejects(store.createStream({ sessionId: tooLong, streamId: 't' }), refusal);
        await assert.rejects(store.createStream({ sessionId: 's', streamId: tooLong }), refusal);
        await assert.rejects(store.getStreamReaderFromStart({ sessionId: tooLong, streamId: 't' }), refusal);
        await assert.rejects(store.deleteStreamsForSession(tooLong), refusal);
        await writer.complete();
      });

      it('answers null, without a throw, for an id that names longer session or stream ids than the limit allows', async () => {
        const small = open({ maxIdLength: 4 });
        const large = open({ maxIdLength: 64 });
        const writer = await large.createStream({ sessionId: 'a-rather-long-session-id', streamId: 'main' });
        const { id } = await writer.write({ data: 1 });
        assert.equal(await small.getStreamReader(id), null);
        await writer.complete();
      });
    });

    describe('maxStreamsPerSession', () => {
      it('refuses a stream beyond the limit with SseLimitExceededError; other sessions and existing streams are not affected', async () => {
        const store = open({ maxStreamsPerSession: 3 });
        const sessionId = 'crowded';
        const writers = [];
        for (const streamId of ['a', 'b', 'c']) writers.push(await store.createStream({ sessionId, streamId }));
        await assert.rejects(store.createStream({ sessionId, streamId: 'd' }), (error: unknown) => {
          assert.ok(error instanceof SseLimitExceededError, `got ${String(error)}`);
          assert.equal(error.code, 'SSE_LIMIT_EXCEEDED');
          assert.equal(error.limit, 'maxStreamsPerSession');
          assert.equal(error.max, 3);
          assert.equal(error.sessionId, sessionId);
          assert.match(error.message, /Stream 'd' was not created: its session already holds 3 streams \(option maxStreamsPerSession\)/);
          return true;
        });
        // The refused stream does not exist, and the refusal freed its writer slot.
        assert.equal(await store.getStreamReaderFromStart({ sessionId, streamId: 'd' }), null);
        await assert.rejects(store.createStream({ sessionId, streamId: 'd' }), SseLimitExceededError);
        // Reopening a stream the session holds is always allowed.
        await writers[0].complete();
        const reopened = await store.createStream({ sessionId, streamId: 'a' });
        await reopened.write({ data: 'still writable' });
        // Another session has its own count.
        await store.createStream({ sessionId: 'roomy', streamId: 'd' });
        for (const writer of [reopened, ...writers.slice(1)]) await writer.complete();
      });

      it('of ten streams created at once beyond the limit, exactly the limit succeed', async () => {
        const store = open({ maxStreamsPerSession: 4 });
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, n) => store.createStream({ sessionId: 'race', streamId: `s${n}` })),
        );
        const created = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        assert.equal(created.length, 4);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof SseLimitExceededError, `got ${String(outcome.reason)}`);
        }
      });

      it('deleting the session frees every stream it held (a later session may use them all)', async () => {
        const store = open({ maxStreamsPerSession: 2 });
        for (const streamId of ['a', 'b']) await (await store.createStream({ sessionId: 'first', streamId })).complete();
        await store.deleteStreamsForSession('first');
        await assert.rejects(
          store.createStream({ sessionId: 'first', streamId: 'c' }),
          SseSessionDeletedError,
          'a deleted session stays deleted',
        );
        for (const streamId of ['a', 'b']) await (await store.createStream({ sessionId: 'second', streamId })).complete();
      });

      it('streams whose metadata expired stop counting', async () => {
        const store = open({
          maxStreamsPerSession: 2,
          metadataSlidingExpiration: 300,
          metadataAbsoluteExpiration: 300,
          eventSlidingExpiration: 300,
          eventAbsoluteExpiration: 300,
        });
        const sessionId = 'expiring';
        for (const streamId of ['a', 'b']) await (await store.createStream({ sessionId, streamId })).complete();
        await assert.rejects(store.createStream({ sessionId, streamId: 'c' }), SseLimitExceededError);
        await waitFor(
          async () =>
            (await store.getStreamReaderFromStart({ sessionId, streamId: 'a' })) === null &&
            (await store.getStreamReaderFromStart({ sessionId, streamId: 'b' })) === null,
          'the streams to expire',
        );
        const writer = await store.createStream({ sessionId, streamId: 'c' });
        await writer.complete();
      });
    });

    describe('maxEventsPerStream (retention)', () => {
      it('keeps about the newest maxEventsPerStream events; resuming before them is SseHistoryExpiredError', async () => {
        const store = open({ maxEventsPerStream: 20 });
        const address = { sessionId: 'retained', streamId: 'main' };
        const writer = await store.createStream(address);
        const written = [];
        for (let n = 0; n < 100; n++) written.push(await writer.write({ data: n }));
        await writer.complete();
        const kept = await collect((await store.getStreamReaderFromStart(address))!.events());
        assert.ok(kept.length >= 20 && kept.length <= 22, `20 events and up to 10% more kept, got ${kept.length}`);
        assert.deepEqual(
          kept.map((event) => event.id),
          written.slice(-kept.length).map((event) => event.id),
        );
        await assert.rejects(store.getStreamReader(written[0].id), (error: unknown) => {
          assert.ok(error instanceof SseHistoryExpiredError, `got ${String(error)}`);
          assert.equal(error.missingSequence, 2);
          assert.equal(error.firstAvailableSequence, 100 - kept.length + 1);
          assert.match(error.message, /no longer holds event 2/);
          return true;
        });
      });
    });
  });
}

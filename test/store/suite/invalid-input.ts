import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { createCache } from 'cache-manager';
import { SseEventStoreConfigurationError, SseInvalidInputError } from '../../../lib';
import { createSseEventStore } from '../../../lib/testing';
import { createTestCache } from '../../support/caches';
import { isError, type StoreSuiteContext } from './store-suite-context';

/** Invalid input and configuration are refused with a clear error. */
export function defineInvalidInputTests(suite: StoreSuiteContext): void {
  const { backend, it, open, sequenceOf, readFromStart } = suite;

  describe('invalid input', () => {
    it('data that JSON cannot hold is refused with SseInvalidInputError, and nothing is stored', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'bad-data', streamId: 'main' };
      const writer = await h.store.createStream(address);
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const unserialisable: [string, unknown][] = [
        ['a BigInt', 10n],
        ['a BigInt inside an object', { n: 10n }],
        ['a circular object', circular],
        ['a function', () => 1],
        ['a symbol', Symbol('data')],
        [
          'a toJSON that throws',
          {
            toJSON: () => {
              throw new Error('no');
            },
          },
        ],
        ['a toJSON that gives nothing', { toJSON: () => undefined }],
      ];
      h.trips.reset();
      for (const [what, data] of unserialisable) {
        await assert.rejects(writer.write({ data }), isError(SseInvalidInputError), what);
      }
      assert.equal(h.trips.count(), 0, 'nothing was sent to the backend');
      const next = await writer.write({ data: 'fine' });
      assert.equal(sequenceOf(h, next.id), 1, 'refused events took no sequence');
      await writer.complete();
      assert.deepEqual(
        (await readFromStart(h, address)).map((event) => event.data),
        ['fine'],
      );
    });

    it('events larger than maxEventBytes are refused with SseInvalidInputError', async (t) => {
      const h = await open(t, { maxEventBytes: 200 });
      const address = { sessionId: 'big-data', streamId: 'main' };
      const writer = await h.store.createStream(address);
      await writer.write({ data: 'x'.repeat(100) });
      await assert.rejects(writer.write({ data: 'x'.repeat(200) }), isError(SseInvalidInputError));
      // Bytes, not characters: 60 three-byte characters are 180 bytes.
      await assert.rejects(writer.write({ data: '€'.repeat(60) }), isError(SseInvalidInputError));
      await assert.rejects(writer.write({ data: 'x', type: 't'.repeat(300) }), isError(SseInvalidInputError));
      await writer.complete();
      assert.equal((await readFromStart(h, address)).length, 1);
    });

    it('events that are not events, and bad type or retry fields, are refused with SseInvalidInputError', async (t) => {
      const h = await open(t);
      const writer = await h.store.createStream({ sessionId: 'bad-events', streamId: 'main' });
      h.trips.reset();
      for (const event of [null, undefined, 'text', 5, true]) {
        await assert.rejects(writer.write(event as never), isError(SseInvalidInputError), String(event));
      }
      for (const type of [5, null, {}, ['a']]) {
        await assert.rejects(writer.write({ data: 1, type: type as never }), isError(SseInvalidInputError), `type ${String(type)}`);
      }
      for (const retry of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', null]) {
        await assert.rejects(writer.write({ data: 1, retry: retry as never }), isError(SseInvalidInputError), `retry ${String(retry)}`);
      }
      await assert.rejects(writer.setMode('sometimes' as never), isError(SseInvalidInputError));
      assert.equal(h.trips.count(), 0);
    });

    it('session and stream ids that are not strings, too long or not well-formed are refused with SseInvalidInputError', async (t) => {
      const h = await open(t, { maxIdLength: 16 });
      await h.store.createStream({ sessionId: 's'.repeat(16), streamId: 't'.repeat(16) });
      h.trips.reset();
      const badIds: unknown[] = ['x'.repeat(17), 5, null, undefined, {}, ['a'], '\ud800 lone surrogate'.slice(0, 10)];
      for (const bad of badIds) {
        const label = `${typeof bad} ${String(bad).slice(0, 20)}`;
        await assert.rejects(
          h.store.createStream({ sessionId: bad as string, streamId: 'ok' }),
          isError(SseInvalidInputError),
          `session ${label}`,
        );
        await assert.rejects(
          h.store.createStream({ sessionId: 'ok', streamId: bad as string }),
          isError(SseInvalidInputError),
          `stream ${label}`,
        );
        await assert.rejects(
          h.store.getStreamReaderFromStart({ sessionId: bad as string, streamId: 'ok' }),
          isError(SseInvalidInputError),
          label,
        );
        await assert.rejects(
          h.store.getStreamReaderFromStart({ sessionId: 'ok', streamId: bad as string }),
          isError(SseInvalidInputError),
          label,
        );
        await assert.rejects(h.store.deleteStreamsForSession(bad as string), isError(SseInvalidInputError), label);
      }
      for (const options of [null, undefined, 'session', 5]) {
        await assert.rejects(h.store.createStream(options as never), isError(SseInvalidInputError), `createStream(${String(options)})`);
        await assert.rejects(
          h.store.getStreamReaderFromStart(options as never),
          isError(SseInvalidInputError),
          `getStreamReaderFromStart(${String(options)})`,
        );
      }
      await assert.rejects(
        h.store.createStream({ sessionId: 'ok', streamId: 'ok', mode: 'sometimes' as never }),
        isError(SseInvalidInputError),
      );
      assert.equal(h.trips.count(), 0, 'refused before any call to the backend');
      // Nothing was reserved by the refused calls.
      await h.store.createStream({ sessionId: 'ok', streamId: 'ok' });
    });

    it('invalid options are refused with SseEventStoreConfigurationError', async (t) => {
      const { cache, close } = await createTestCache(backend);
      t.after(close);
      const invalid: unknown[] = [
        { cache, replayPageSize: 0 },
        { cache, maxEventsPerStream: -1 },
        { cache, pollingInterval: 1.5 },
        { cache, eventSlidingExpiration: Number.NaN },
        { cache, maxEventBytes: '1mb' },
        { cache, operationTimeout: 0 },
        { cache, keyPrefix: '' },
        { cache, keyPrefix: 7 },
        { cache, storage: 'native' },
        { cache, storage: '' },
        { cache: createCache(), storage: 'redis' },
        { cache: {} },
        { cache: 'redis://localhost:6379' },
        null,
        'options',
      ];
      for (const options of invalid) {
        assert.throws(
          () => createSseEventStore(options as never),
          SseEventStoreConfigurationError,
          JSON.stringify(options, (key, value) => (key === 'cache' && typeof value === 'object' ? '[cache]' : value)),
        );
      }
    });
  });
}

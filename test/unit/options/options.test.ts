import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from 'cache-manager';
import { SseEventStoreConfigurationError } from '../../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../../lib/sse-event-store.constants';
import type { SseEventStoreModuleOptions } from '../../../lib/interfaces/sse-event-store-options.interface';
import { resolveSseEventStoreOptions } from '../../../lib/sse-event-store-options';

const NUMERIC_OPTIONS = [
  'eventSlidingExpiration',
  'eventAbsoluteExpiration',
  'metadataSlidingExpiration',
  'metadataAbsoluteExpiration',
  'pollingInterval',
  'maxEventsPerStream',
  'replayPageSize',
  'maxEventBytes',
  'maxIdLength',
  'maxMemoryBytes',
  'operationTimeout',
  'retryInterval',
] as const;

describe('resolveSseEventStoreOptions', () => {
  it('fills in every default, and the defaults are the documented ones', () => {
    assert.deepEqual(resolveSseEventStoreOptions(), DEFAULT_SSE_EVENT_STORE_OPTIONS);
    assert.deepEqual(resolveSseEventStoreOptions({}), DEFAULT_SSE_EVENT_STORE_OPTIONS);
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.eventSlidingExpiration, 30 * 60_000);
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.eventAbsoluteExpiration, 2 * 60 * 60_000);
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.metadataSlidingExpiration, 60 * 60_000);
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.metadataAbsoluteExpiration, 4 * 60 * 60_000);
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.pollingInterval, 1_000);
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.keyPrefix, 'sse');
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxMemoryBytes, 256 * 1024 * 1024);
  });

  it('keeps given values, ignores undefined ones and never returns the cache', () => {
    const cache = createCache();
    const resolved = resolveSseEventStoreOptions({ cache, keyPrefix: 'app', replayPageSize: 10, pollingInterval: undefined });
    assert.equal(resolved.keyPrefix, 'app');
    assert.equal(resolved.replayPageSize, 10);
    assert.equal(resolved.pollingInterval, DEFAULT_SSE_EVENT_STORE_OPTIONS.pollingInterval);
    assert.equal('cache' in resolved, false);
  });

  for (const name of NUMERIC_OPTIONS) {
    for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '100', null, true]) {
      it(`rejects ${name} = ${String(value)} with SseEventStoreConfigurationError`, () => {
        assert.throws(
          () => resolveSseEventStoreOptions({ [name]: value } as unknown as SseEventStoreModuleOptions),
          SseEventStoreConfigurationError,
        );
      });
    }
  }

  for (const value of [-1, 1.5, Number.NaN, 2 ** 31, '100', null]) {
    it(`rejects keepAliveInterval = ${String(value)}; 0 turns keep-alive off`, () => {
      assert.throws(
        () => resolveSseEventStoreOptions({ keepAliveInterval: value } as unknown as SseEventStoreModuleOptions),
        SseEventStoreConfigurationError,
      );
    });
  }

  for (const value of [-0.1, 1.5, Number.NaN, '0.5', null]) {
    it(`rejects retryJitter = ${String(value)}; a fraction from 0 to 1 is accepted`, () => {
      assert.throws(
        () => resolveSseEventStoreOptions({ retryJitter: value } as unknown as SseEventStoreModuleOptions),
        (error: unknown) =>
          error instanceof SseEventStoreConfigurationError && /'retryJitter' must be a number from 0 to 1/.test(error.message),
      );
    });
  }

  it('keeps retryJitter from 0 to 1, 0.5 by default', () => {
    assert.equal(resolveSseEventStoreOptions().retryJitter, 0.5);
    for (const retryJitter of [0, 0.2, 1]) assert.equal(resolveSseEventStoreOptions({ retryJitter }).retryJitter, retryJitter);
  });

  // Configuration read from the environment hands over strings: every numeric option refuses them
  // alike, with a message that quotes the value and names its type.
  for (const name of [...NUMERIC_OPTIONS, 'maxStreamsPerSession', 'keepAliveInterval'] as const) {
    it(`refuses ${name} = '1000' (a string) with a message that quotes it and names its type`, () => {
      assert.throws(
        () => resolveSseEventStoreOptions({ [name]: '1000' } as unknown as SseEventStoreModuleOptions),
        (error: unknown) =>
          error instanceof SseEventStoreConfigurationError &&
          error.message.includes(`option '${name}'`) &&
          error.message.includes('got the string "1000"') &&
          error.message.includes('Number('),
      );
    });
  }

  it('names the type of a refused non-string value too', () => {
    assert.throws(() => resolveSseEventStoreOptions({ maxEventBytes: 1.5 }), /got the number 1\.5\.$/);
    assert.throws(
      () => resolveSseEventStoreOptions({ replayPageSize: true } as unknown as SseEventStoreModuleOptions),
      /got the boolean true\.$/,
    );
    assert.throws(
      () => resolveSseEventStoreOptions({ storage: 'memory' } as unknown as SseEventStoreModuleOptions),
      /got the string "memory"\.$/,
    );
  });

  it('redisAppendConnections is 2 by default, and 1 or 2 only', () => {
    assert.equal(resolveSseEventStoreOptions().redisAppendConnections, 2);
    assert.equal(resolveSseEventStoreOptions({ redisAppendConnections: 1 }).redisAppendConnections, 1);
    for (const [value, got] of [
      [0, 'the number 0'],
      [3, 'the number 3'],
      [1.5, 'the number 1.5'],
      ['2', 'the string "2"'],
    ] as const) {
      assert.throws(
        () => resolveSseEventStoreOptions({ redisAppendConnections: value } as unknown as SseEventStoreModuleOptions),
        (error: unknown) =>
          error instanceof SseEventStoreConfigurationError &&
          error.message.startsWith(`SseEventStoreModule option 'redisAppendConnections' must be 1 or 2, got ${got}.`),
      );
    }
  });

  it('accepts keepAliveInterval = 0 (no keep-alive comments)', () => {
    assert.equal(resolveSseEventStoreOptions({ keepAliveInterval: 0 }).keepAliveInterval, 0);
  });

  for (const keyPrefix of ['', 5, null, {}]) {
    it(`rejects keyPrefix = ${JSON.stringify(keyPrefix)}`, () => {
      assert.throws(
        () => resolveSseEventStoreOptions({ keyPrefix } as unknown as SseEventStoreModuleOptions),
        SseEventStoreConfigurationError,
      );
    });
  }

  for (const options of [null, 'sse', 42, []]) {
    it(`rejects options that are not an object: ${JSON.stringify(options)}`, () => {
      assert.throws(() => resolveSseEventStoreOptions(options as unknown as SseEventStoreModuleOptions), SseEventStoreConfigurationError);
    });
  }

  for (const cache of [null, 'redis://localhost', {}, { mget: () => undefined }]) {
    it(`rejects a cache that is not a cache-manager cache: ${JSON.stringify(cache)}`, () => {
      assert.throws(() => resolveSseEventStoreOptions({ cache } as unknown as SseEventStoreModuleOptions), SseEventStoreConfigurationError);
    });
  }
});

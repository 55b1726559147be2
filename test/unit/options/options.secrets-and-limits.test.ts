import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SseEventStoreConfigurationError } from '../../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../../lib/sse-event-store.constants';
import type { SseEventStoreModuleOptions } from '../../../lib/interfaces/sse-event-store-options.interface';
import { resolveSseEventStoreOptions } from '../../../lib/sse-event-store-options';

const SECRET = 'a-secret-of-exactly-32-bytes-ok!';

function refusal(options: unknown): SseEventStoreConfigurationError {
  try {
    resolveSseEventStoreOptions(options as SseEventStoreModuleOptions);
  } catch (error) {
    assert.ok(error instanceof SseEventStoreConfigurationError, `expected SseEventStoreConfigurationError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${JSON.stringify(options)} was accepted`);
}

describe('options: maxStreamsPerSession', () => {
  it('defaults to 1,000', () => {
    assert.equal(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxStreamsPerSession, 1_000);
    assert.equal(resolveSseEventStoreOptions().maxStreamsPerSession, 1_000);
    assert.equal(resolveSseEventStoreOptions({ maxStreamsPerSession: 3 }).maxStreamsPerSession, 3);
  });

  for (const value of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null]) {
    it(`refuses ${String(value)}, naming the option`, () => {
      assert.match(refusal({ maxStreamsPerSession: value }).message, /'maxStreamsPerSession' must be a positive integer/);
    });
  }
});

describe('options: eventIdSecret', () => {
  it('is absent by default: ids stay unsigned', () => {
    assert.equal('eventIdSecret' in resolveSseEventStoreOptions(), false);
  });

  it('accepts a string or Buffer of at least 32 bytes, and an array of them', () => {
    for (const eventIdSecret of [SECRET, randomBytes(32), [SECRET], [SECRET, randomBytes(64)], '€'.repeat(11)]) {
      assert.deepEqual(resolveSseEventStoreOptions({ eventIdSecret }).eventIdSecret, eventIdSecret);
    }
  });

  const refused: [string, unknown, RegExp][] = [
    ['a string shorter than 32 bytes', SECRET.slice(1), /'eventIdSecret' is too short: at least 32 bytes/],
    ['a Buffer shorter than 32 bytes', randomBytes(31), /'eventIdSecret' is too short/],
    ['the empty string', '', /'eventIdSecret' is too short/],
    ['a short secret among good ones', [SECRET, 'short'], /'eventIdSecret\[1\]' is too short/],
    ['an empty array', [], /'eventIdSecret' must not be an empty array/],
    ['a number', 1234567890123456, /'eventIdSecret' must be a string or a Buffer/],
    ['null', null, /'eventIdSecret' must be a string or a Buffer/],
    ['an object', { secret: SECRET }, /'eventIdSecret' must be a string or a Buffer/],
    ['an array with a non-string', [SECRET, 42], /'eventIdSecret\[1\]' must be a string or a Buffer/],
  ];
  for (const [what, eventIdSecret, message] of refused) {
    it(`refuses ${what}`, () => assert.match(refusal({ eventIdSecret }).message, message));
  }

  it('never shows the secret in its error messages', () => {
    const almost = 'x-private-value-31-bytes-long!!';
    assert.equal(Buffer.byteLength(almost), 31);
    assert.ok(!refusal({ eventIdSecret: almost }).message.includes(almost));
    assert.ok(!refusal({ eventIdSecret: [SECRET, almost] }).message.includes(almost));
  });
});

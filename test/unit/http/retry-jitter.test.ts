import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drawRetryInterval, isRetryJitter } from '../../../lib/http/retry-jitter';

describe('drawRetryInterval', () => {
  it('spans retryInterval × (1 − retryJitter) to retryInterval, whole milliseconds', () => {
    assert.equal(
      drawRetryInterval(3_000, 0.5, () => 0),
      3_000,
    );
    assert.equal(
      drawRetryInterval(3_000, 0.5, () => 0.5),
      2_250,
    );
    assert.equal(
      drawRetryInterval(3_000, 0.5, () => 0.999_999_9),
      1_501,
    );
    assert.equal(
      drawRetryInterval(1_000, 0.1, () => 0.37),
      963,
    );
    assert.ok(Number.isInteger(drawRetryInterval(777, 0.33, () => 0.123)));
  });

  it('retryJitter 0 is always retryInterval; 1 never goes below 1 ms', () => {
    for (const random of [0, 0.5, 0.999_999])
      assert.equal(
        drawRetryInterval(3_000, 0, () => random),
        3_000,
      );
    assert.equal(
      drawRetryInterval(3_000, 1, () => 0.999_999_999),
      1,
    );
  });
});

describe('isRetryJitter', () => {
  it('accepts fractions from 0 to 1', () => {
    for (const value of [0, 0.25, 0.5, 1]) assert.equal(isRetryJitter(value), true, String(value));
  });
  it('refuses anything else', () => {
    for (const value of [-0.1, 1.01, Number.NaN, Number.POSITIVE_INFINITY, '0.5', null, undefined, true]) {
      assert.equal(isRetryJitter(value), false, String(value));
    }
  });
});

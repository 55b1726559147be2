import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { rawGet } from '../support/raw-http';
import { cleanup, COMBINATIONS, EdgeApp, freshSession } from './edge-app';

/**
 * `retry:` is spread over responses (`retryJitter`), so the clients of an instance that goes away
 * do not all reconnect in the same moment: over real HTTP, the responses of one stream carry
 * different values, all between `retryInterval × (1 − retryJitter)` and `retryInterval`. With
 * `retryJitter: 0` every response carries `retryInterval` (the control).
 */

const RESPONSES = 40;

/** The `retry:` of each of `RESPONSES` answers to a completed stream read from its start. */
async function retryValues(app: EdgeApp): Promise<number[]> {
  const address = { sessionId: freshSession(), streamId: 'jitter' };
  await app.append(address, 'only');
  assert.equal(await app.complete(address), 204);
  const values: number[] = [];
  for (let n = 0; n < RESPONSES; n++) {
    const answer = await rawGet(app.streamUrl(address), { accept: 'text/event-stream' });
    assert.equal(answer.status, 200);
    const retry = /^retry: (\d+)\n\n/.exec(answer.body);
    assert.ok(retry, `the response starts with retry: (${JSON.stringify(answer.body.slice(0, 40))})`);
    values.push(Number(retry[1]));
  }
  return values;
}

/** Every value within `min`–`max`, and not all the same. */
function assertSpread(values: number[], min: number, max: number): void {
  for (const value of values) assert.ok(value >= min && value <= max, `retry: ${value} is within ${min}–${max}`);
  assert.ok(new Set(values).size > 1, `the values differ: ${values.join(', ')}`);
}

describe('retry: spread over responses', () => {
  for (const { platform, backend } of COMBINATIONS) {
    it(`defaults: between 1.5 s and 3 s, not all the same (${platform}, ${backend})`, async (t) => {
      const onEnd = cleanup(t);
      const app = await EdgeApp.start({ platform, backend });
      onEnd(() => app.close());
      const { retryInterval, retryJitter } = DEFAULT_SSE_EVENT_STORE_OPTIONS;
      assert.deepEqual([retryInterval, retryJitter], [3_000, 0.5]);

      // 40 draws from 1,501 values: all equal by chance about once in 10^124.
      assertSpread(await retryValues(app), 1_500, 3_000);
    });
  }

  it('retryJitter 0.1 of retryInterval 1000: between 900 and 1000 (express, memory)', async (t) => {
    const onEnd = cleanup(t);
    const app = await EdgeApp.start({ platform: 'express', backend: 'memory', store: { retryInterval: 1_000, retryJitter: 0.1 } });
    onEnd(() => app.close());
    assertSpread(await retryValues(app), 900, 1_000);
  });

  it('control: retryJitter 0 sends retryInterval on every response (fastify, redis)', async (t) => {
    const onEnd = cleanup(t);
    const app = await EdgeApp.start({ platform: 'fastify', backend: 'redis', store: { retryInterval: 1_234, retryJitter: 0 } });
    onEnd(() => app.close());
    assert.deepEqual(
      await retryValues(app),
      Array.from({ length: RESPONSES }, () => 1_234),
    );
  });
});

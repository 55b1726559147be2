import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSampleConfig } from '../../../sample/sample-config';

describe("the sample app's environment", () => {
  it('defaults to port 3000, memory and the library defaults', () => {
    assert.deepEqual(readSampleConfig({}), {
      port: 3000,
      redisUrl: undefined,
      keepAliveInterval: undefined,
      retryInterval: undefined,
      retryJitter: undefined,
      keyPrefix: undefined,
    });
  });

  it('reads every setting', () => {
    const config = readSampleConfig({
      PORT: '0',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SSE_KEEPALIVE_MS: '0',
      SSE_RETRY_MS: '500',
      SSE_RETRY_JITTER: '0.25',
      SSE_KEY_PREFIX: 'tenant-a.sse_1',
    });
    assert.deepEqual(config, {
      port: 0,
      redisUrl: 'redis://127.0.0.1:6379',
      keepAliveInterval: 0,
      retryInterval: 500,
      retryJitter: 0.25,
      keyPrefix: 'tenant-a.sse_1',
    });
  });

  it('refuses at start-up what cannot work, naming the variable', () => {
    const refused: [Record<string, string>, RegExp][] = [
      [{ PORT: '70000' }, /^PORT must be/],
      [{ REDIS_URL: 'localhost:6379' }, /^REDIS_URL must be/],
      [{ SSE_RETRY_MS: '0' }, /^SSE_RETRY_MS must be/],
      [{ SSE_KEEPALIVE_MS: '1.5' }, /^SSE_KEEPALIVE_MS must be/],
      [{ SSE_RETRY_JITTER: '1.5' }, /^SSE_RETRY_JITTER must be/],
      [{ SSE_RETRY_JITTER: '-0.1' }, /^SSE_RETRY_JITTER must be/],
      [{ SSE_RETRY_JITTER: 'half' }, /^SSE_RETRY_JITTER must be/],
      // A key prefix with ':' or braces would change where the store's keys and hash tags are.
      [{ SSE_KEY_PREFIX: 'a:b' }, /^SSE_KEY_PREFIX may hold/],
      [{ SSE_KEY_PREFIX: '{x}' }, /^SSE_KEY_PREFIX may hold/],
    ];
    for (const [env, message] of refused) assert.throws(() => readSampleConfig(env), { message }, JSON.stringify(env));
  });
});

import KeyvRedis, { createKeyv } from '@keyv/redis';
import { createCache } from 'cache-manager';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { REDIS_CONNECT_TIMEOUT_MS } from '../support/caches';
import { rawGet } from '../support/raw-http';
import { EdgeApp, PLATFORMS } from './edge-app';
import { freePort } from '../support/node-app-process';

/**
 * An application whose Redis is down from the start (its URL names a port nothing listens on):
 * it starts, and its requests are answered as during any outage — a publish 503 with the store's
 * code, a stream 200 with only `retry:` — never a 500; the log names the connection refused, once.
 */

const OPERATION_TIMEOUT_MS = 500;

for (const platform of PLATFORMS) {
  describe(`Redis down at start-up (${platform})`, () => {
    it('publishing answers 503 and reading 200 with only retry:, never 500; one warning names ECONNREFUSED', {
      timeout: 30_000,
    }, async (t) => {
      const port = await freePort();
      const keyv = createKeyv(`redis://127.0.0.1:${port}`, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
      const app = await EdgeApp.start({
        platform,
        backend: 'redis',
        cache: createCache({ stores: [keyv] }),
        store: { operationTimeout: OPERATION_TIMEOUT_MS, retryInterval: 700, retryJitter: 0 },
      });
      t.after(async () => {
        await app.close();
        await (keyv.store as KeyvRedis<unknown>).disconnect(true).catch(() => undefined);
      });
      const address = { sessionId: 'down-at-start', streamId: 'main' };

      const published = await app.publish(address, { data: 'one' });
      assert.equal(published.status, 503, JSON.stringify(published.body));
      assert.equal(published.headers.get('retry-after'), '5');
      assert.equal(published.body.code, 'SSE_STORE_UNAVAILABLE');
      assert.equal(published.body.error, 'Service Unavailable');

      const read = await rawGet(app.streamUrl(address), { accept: 'text/event-stream' });
      assert.equal(read.status, 200);
      assert.equal(read.body, 'retry: 700\n\n');

      await delay(OPERATION_TIMEOUT_MS * 2);
      const warnings = app.logger.entries.filter((entry) => entry.level === 'warn');
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(
        String(warnings[0].message),
        new RegExp(`^Redis is not answering the event store \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)`),
      );
      assert.deepEqual(app.errorsLogged(), [], 'no error, no stack: nothing answered 500');
    });
  });
}

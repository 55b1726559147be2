import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseEventStoreConfigurationError } from '../../lib';
import { McpRemoteResumption } from '../../lib/mcp';
import { createSseEventStore } from '../../lib/testing';
import { createTestCache, uniquePrefix } from '../support/caches';

describe('McpRemoteResumption options', () => {
  it('refuses a retryJitter outside 0–1 when it is constructed, and takes 0, 1 or none', async (t) => {
    const cache = await createTestCache('memory');
    const { store, close } = createSseEventStore({ cache: cache.cache, keyPrefix: uniquePrefix() });
    t.after(async () => {
      await close();
      await cache.close();
    });
    for (const retryJitter of [2, -0.1, Number.NaN]) {
      assert.throws(
        () => new McpRemoteResumption(store, { retryJitter }),
        (error: unknown) =>
          error instanceof SseEventStoreConfigurationError && /retryJitter must be a number from 0 to 1/.test(error.message),
        `retryJitter ${retryJitter}`,
      );
    }
    for (const retryJitter of [0, 1, undefined]) assert.ok(new McpRemoteResumption(store, { retryJitter }));
  });
});

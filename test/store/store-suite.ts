import { before, describe } from 'node:test';
import { Logger } from '@nestjs/common';
import { createTestCache } from '../support/caches';
import { defineCacheOutageTests } from './suite/cache-outage';
import { defineClientEventIdTests } from './suite/client-event-ids';
import { defineCompletedStreamTests } from './suite/completed-stream';
import { defineExpiredHistoryTests } from './suite/expired-history';
import { defineExpiryTests } from './suite/expiry';
import { defineInvalidInputTests } from './suite/invalid-input';
import { defineRoundTripTests } from './suite/round-trips';
import { defineSessionDeletionTests } from './suite/session-deletion';
import { createStoreSuiteContext, type StorePath } from './suite/store-suite-context';
import { defineWireDataTests } from './suite/wire-data';
import { defineWriterTests } from './suite/writers';
import { defineWritingAndReadingTests } from './suite/writing-and-reading';

export type { StorePath } from './suite/store-suite-context';

/**
 * The store's behavioural suite. The same tests run on every path: the native in-memory path, an
 * in-memory cache-manager cache on the generic path, Redis through `@keyv/redis` on the generic
 * path, and Redis on the native path. Only
 * tests that look at the stored data itself go through the path's StoredLayout. Each concern's
 * tests are in a file of their own under suite/.
 */
export function defineStoreSuite(path: StorePath): void {
  // The store logs per-stream detail at debug level; keep the test output readable.
  Logger.overrideLogger(['error', 'warn']);
  const suite = createStoreSuiteContext(path);

  describe(`SseEventStore on ${path}`, () => {
    before(async () => {
      // One clear failure up front when the backend is unreachable: the suite fails, it never skips.
      const probe = await createTestCache(suite.backend);
      await probe.close();
    });

    defineWritingAndReadingTests(suite);
    defineWireDataTests(suite);
    defineCompletedStreamTests(suite);
    // The native in-memory path has no cache that could go away.
    if (path !== 'memory-native') defineCacheOutageTests(suite);
    defineWriterTests(suite);
    defineSessionDeletionTests(suite);
    defineExpiredHistoryTests(suite);
    defineClientEventIdTests(suite);
    defineRoundTripTests(suite);
    defineExpiryTests(suite);
    defineInvalidInputTests(suite);
  });
}

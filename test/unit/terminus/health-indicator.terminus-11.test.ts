import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { HealthIndicatorService } from '@nestjs/terminus';
import type { AssembledSseEventStore } from '../../../lib/assembly/assemble-sse-event-store';
import { SseEventStoreHealthIndicator } from '../../../lib/terminus';

/**
 * `@nestjs/terminus` 11, which the peer range takes, has no `degraded` status: the indicator then
 * answers `up`, and says in its details that readers poll. Stand-ins for terminus 11's helper and
 * for a store on Redis whose pub/sub connection is down.
 */

/** terminus 11's `HealthIndicatorService.check(key)`: a session with `up` and `down` only. */
const terminus11 = {
  check: (key: string) => ({
    up: (data: object) => ({ [key]: { status: 'up', ...data } }),
    down: (data: object) => ({ [key]: { status: 'down', ...data } }),
  }),
} as unknown as HealthIndicatorService;

const storeWithPubSubDown = {
  storage: { probe: async () => undefined },
  wakeup: { reachesOtherProcesses: false, onBroadcast: () => () => undefined },
  topology: { storage: 'redis', storageReason: '', wakeup: 'redis-pubsub', wakeupReason: '' },
} as unknown as AssembledSseEventStore;

test('on terminus 11, a store whose readers poll because pub/sub is down is up, with readersWokenBy polling and the message', async () => {
  const indicator = new SseEventStoreHealthIndicator(terminus11, storeWithPubSubDown);
  assert.deepEqual(await indicator.isHealthy(), {
    sseEventStore: {
      status: 'up',
      storage: 'redis',
      wakeup: 'redis-pubsub',
      readersWokenBy: 'polling',
      message: 'Redis pub/sub is not connected: readers poll for new events until it is.',
    },
  });
});

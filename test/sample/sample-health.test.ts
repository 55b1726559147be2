import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isDegraded, isDown, isHealthy, killPubSubUntilDegraded, waitForHealth } from '../support/health-check';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';
import { SampleProcess } from '../support/sample-process';

/**
 * The sample's `GET /health` over real HTTP, the sample a real process on a Redis server of the
 * test's own: shut down and restarted, and its pub/sub connections dropped.
 */

const TEST_TIMEOUT = { timeout: 60_000 };

describe('sample app GET /health, on a Redis server of its own', () => {
  let server: RedisServerProcess;
  let app: SampleProcess;
  let healthUrl: string;

  before(async () => {
    server = await startRedisServer();
    app = await SampleProcess.start({ redisUrl: server.url });
    healthUrl = `${app.url}/health`;
  });

  after(async () => {
    await app?.stop();
    await server?.dispose();
  });

  test('200 while Redis answers, 503 once it is shut down, 200 again once it is back', TEST_TIMEOUT, async () => {
    const up = await waitForHealth(healthUrl, 'healthy answer', isHealthy);
    assert.deepEqual(up.store, { status: 'up', storage: 'redis', wakeup: 'redis-pubsub', readersWokenBy: 'push' });

    await server.shutdown({ save: false });
    const down = await waitForHealth(healthUrl, '503', isDown);
    assert.equal(down.status, 'error');
    assert.equal(down.store.status, 'down');

    await server.restart();
    await waitForHealth(healthUrl, 'healthy answer', isHealthy);
  });

  test('degraded (200) while only the pub/sub connection is dropped, healthy once it reconnects', TEST_TIMEOUT, async () => {
    await waitForHealth(healthUrl, 'healthy answer', isHealthy);
    const degraded = await killPubSubUntilDegraded(healthUrl, server);
    assert.ok(isDegraded(degraded));
    assert.equal(degraded.store.readersWokenBy, 'polling');
    await waitForHealth(healthUrl, 'healthy answer', isHealthy);
  });
});

import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import { SseEventStoreModule, SseInvalidInputError } from '../../lib';
import { SseEventStoreHealthIndicator } from '../../lib/terminus';
import { SseEventStoreTestingModule } from '../../lib/testing';
import { createTestCache, type TestCache, uniquePrefix } from '../support/caches';
import { CapturingLogger } from '../support/capturing-logger';
import { getHealth, isDown, isHealthy, killPubSubUntilDegraded, waitForHealth } from '../support/health-check';
import { type RedisServerProcess, startRedisServer } from '../support/redis-server';

/**
 * The indicator in a real Nest application with `TerminusModule`, asked over HTTP: on the
 * in-memory default, and on a Redis server of the test's own that is shut down, restarted, and
 * whose pub/sub connection is dropped.
 */

const TEST_TIMEOUT = { timeout: 60_000 };

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly store: SseEventStoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.store.isHealthy()]);
  }
}

interface HealthApp {
  app: INestApplication;
  /** `http://127.0.0.1:<port>/health` */
  healthUrl: string;
  indicator: SseEventStoreHealthIndicator;
}

async function startHealthApp(cache?: Cache): Promise<HealthApp> {
  @Module({
    imports: [TerminusModule, SseEventStoreModule.forRoot({ cache, keyPrefix: uniquePrefix() })],
    controllers: [HealthController],
    providers: [SseEventStoreHealthIndicator],
  })
  class HealthAppModule {}

  const moduleRef = await Test.createTestingModule({ imports: [HealthAppModule] })
    .setLogger(new CapturingLogger())
    .compile();
  const app = moduleRef.createNestApplication();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, healthUrl: `http://127.0.0.1:${port}/health`, indicator: app.get(SseEventStoreHealthIndicator) };
}

describe('SseEventStoreHealthIndicator on the in-memory default', () => {
  let health: HealthApp;

  before(async () => {
    health = await startHealthApp();
  });

  after(async () => {
    await health?.app.close();
  });

  test('is up, naming the storage path and the wake-up channel', TEST_TIMEOUT, async () => {
    const answer = await getHealth(health.healthUrl);
    assert.equal(answer.httpStatus, 200);
    assert.equal(answer.status, 'ok');
    assert.deepEqual(answer.store, { status: 'up', storage: 'memory', wakeup: 'local', readersWokenBy: 'push' });
  });

  test('reports under the key it is given', TEST_TIMEOUT, async () => {
    const result = await health.indicator.isHealthy('events', { timeout: 500 });
    assert.deepEqual(result, { events: { status: 'up', storage: 'memory', wakeup: 'local', readersWokenBy: 'push' } });
  });

  test('refuses a timeout that is not a positive integer number of milliseconds, naming it', TEST_TIMEOUT, async () => {
    for (const timeout of [0, -1, 1.5, Number.NaN, 2 ** 31, '1000' as unknown as number]) {
      await assert.rejects(
        health.indicator.isHealthy(undefined, { timeout }),
        (error: unknown) => error instanceof SseInvalidInputError && /option 'timeout' must be a positive integer/.test(error.message),
        `timeout ${String(timeout)}`,
      );
    }
  });
});

describe('SseEventStoreHealthIndicator on SseEventStoreTestingModule', () => {
  test('is up on the testing store, naming its storage path and wake-up channel', TEST_TIMEOUT, async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot({ isGlobal: true }), TerminusModule],
      controllers: [HealthController],
      providers: [SseEventStoreHealthIndicator],
    })
      .setLogger(new CapturingLogger())
      .compile();
    const app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    try {
      const { port } = app.getHttpServer().address() as AddressInfo;
      const answer = await getHealth(`http://127.0.0.1:${port}/health`);
      assert.equal(answer.httpStatus, 200);
      assert.deepEqual(answer.store, { status: 'up', storage: 'memory', wakeup: 'local', readersWokenBy: 'push' });
    } finally {
      await app.close();
    }
  });
});

describe('SseEventStoreHealthIndicator on a Redis server of its own', () => {
  let server: RedisServerProcess;
  let cache: TestCache;
  let health: HealthApp;

  before(async () => {
    server = await startRedisServer();
    cache = await createTestCache('redis', server.url);
    health = await startHealthApp(cache.cache);
  });

  after(async () => {
    await health?.app.close();
    await cache?.close();
    await server?.dispose();
  });

  test('is up while Redis answers, down while it is gone, and up again once it is back', TEST_TIMEOUT, async () => {
    const up = await waitForHealth(health.healthUrl, 'healthy answer', isHealthy);
    assert.deepEqual(up.store, { status: 'up', storage: 'redis', wakeup: 'redis-pubsub', readersWokenBy: 'push' });

    await server.shutdown({ save: false });
    const down = await waitForHealth(health.healthUrl, '503', isDown);
    assert.equal(down.status, 'error');
    assert.equal(down.store.status, 'down');
    assert.equal(down.store.storage, 'redis');
    assert.equal(down.store.wakeup, 'redis-pubsub');
    assert.ok(down.store.message, 'a down answer says why');

    await server.restart();
    const back = await waitForHealth(health.healthUrl, 'healthy answer', isHealthy);
    assert.deepEqual(back.store, up.store);
  });

  test('is degraded, not down, while only the pub/sub connection is gone, and up once it reconnects', TEST_TIMEOUT, async () => {
    await waitForHealth(health.healthUrl, 'healthy answer', isHealthy);
    const degraded = await killPubSubUntilDegraded(health.healthUrl, server);
    assert.equal(degraded.store.status, 'degraded');
    assert.equal(degraded.store.storage, 'redis');
    assert.equal(degraded.store.wakeup, 'redis-pubsub');
    assert.equal(degraded.store.readersWokenBy, 'polling');
    assert.match(degraded.store.message ?? '', /pub\/sub is not connected: readers poll/);

    const back = await waitForHealth(health.healthUrl, 'healthy answer', isHealthy);
    assert.equal(back.store.readersWokenBy, 'push');
  });

  test('counts a storage that answers after the timeout as down', TEST_TIMEOUT, async () => {
    await waitForHealth(health.healthUrl, 'healthy answer', isHealthy);
    // Every client's commands wait while the server is paused, the probe's among them.
    assert.equal(await server.command(['CLIENT', 'PAUSE', '1500', 'ALL']), '+OK\r\n');
    try {
      const result = await health.indicator.isHealthy('store', { timeout: 200 });
      assert.equal(result.store.status, 'down');
      assert.equal(result.store.message, 'The storage did not answer within 200 ms.');
    } finally {
      // A PING on a fresh connection is held until the pause is over.
      assert.equal(await server.command(['PING'], 10_000), '+PONG\r\n');
    }
    await waitForHealth(health.healthUrl, 'healthy answer', isHealthy);
  });
});

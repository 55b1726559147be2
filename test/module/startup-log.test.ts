import KeyvRedis, { createKeyv } from '@keyv/redis';
import KeyvValkey from '@keyv/valkey';
import { CacheModule } from '@nestjs/cache-manager';
import { type DynamicModule, type INestApplication, Module, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Keyv } from 'keyv';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SseEventStoreModule, type SseEventStoreModuleOptions } from '../../lib';
import { delay, waitFor } from '../support/async';
import { REDIS_CONNECT_TIMEOUT_MS, REDIS_URL, uniquePrefix } from '../support/caches';
import { atWarnOrAbove, type CapturedLog, CapturingLogger } from '../support/capturing-logger';
import { freePort } from '../support/node-app-process';
import { clusterCache } from '../support/cluster-caches';
import { type RedisClusterProcesses, startRedisCluster } from '../support/redis-cluster';

/**
 * What the store says at start-up, through Nest's Logger under the context `SseEventStore`: one
 * line naming the cache, the storage path and the wake-up channel with the reason for each, for
 * each way an application sets it up; a warning for a CacheModule the store cannot see; and one
 * warning, without holding the start, when the backend does not answer.
 */

const OPERATION_TIMEOUT_MS = 500;
const STARTUP_LINE = /^Event store on /;

interface Started {
  app: INestApplication;
  logger: CapturingLogger;
  /** What the store logged. */
  lines(): CapturedLog[];
  /** Its one start-up line. */
  startupLine(): string;
}

let started: Started | undefined;
const keyvs: Keyv[] = [];
const valkeyStores: KeyvValkey[] = [];

afterEach(async () => {
  await started?.app.close();
  started = undefined;
  for (const keyv of keyvs.splice(0)) await (keyv.store as KeyvRedis<unknown>).disconnect(true).catch(() => undefined);
  for (const store of valkeyStores.splice(0)) await store.disconnect().catch(() => undefined);
});

/** A Keyv on `@keyv/valkey` with `options`, disconnected after the test. */
function valkeyKeyv(options: { useRedisSets?: boolean } = {}): Keyv {
  const store = new KeyvValkey(REDIS_URL, { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, ...options });
  valkeyStores.push(store);
  return new Keyv({ store });
}

/** A Keyv on Redis at `url`, disconnected after the test. */
function redisKeyv(url = REDIS_URL): Keyv {
  const keyv = createKeyv(url, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
  keyvs.push(keyv);
  return keyv;
}

function globalCache(stores?: Keyv[]): DynamicModule {
  return CacheModule.register({ isGlobal: true, ...(stores ? { stores } : {}) });
}

/** Starts an application with `imports` and the store's module with `options`; resolves once it is initialised. */
async function start(imports: (DynamicModule | Type)[], options: SseEventStoreModuleOptions = {}): Promise<Started> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({
    imports: [...imports, SseEventStoreModule.forRoot({ keyPrefix: uniquePrefix(), operationTimeout: OPERATION_TIMEOUT_MS, ...options })],
  })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication();
  app.useLogger(logger);
  await app.init();
  const lines = () => logger.from('SseEventStore');
  started = {
    app,
    logger,
    lines,
    startupLine() {
      const found = lines().filter((entry) => STARTUP_LINE.test(String(entry.message)));
      assert.equal(found.length, 1, `one start-up line: ${JSON.stringify(lines())}`);
      assert.equal(found[0].level, 'log');
      return String(found[0].message);
    },
  };
  return started;
}

describe('the start-up line', () => {
  it('no CacheModule: an in-memory cache of its own, said to be one, and local wake-ups', async () => {
    const { startupLine, lines } = await start([]);
    assert.equal(
      startupLine(),
      'Event store on an in-memory cache of this process (no CACHE_MANAGER is registered; register CacheModule, for example ' +
        'with @keyv/redis, to share streams between instances). Storage: memory (the cache keeps its entries in this process: native in-memory structures, bounded by maxMemoryBytes). ' +
        'Wake-ups: local (the storage is in this process, so every writer is too).',
    );
    assert.equal(lines().length, 1, 'nothing else is said');
  });

  it(`the application's CacheModule in memory (isGlobal): its CACHE_MANAGER, memory, local`, async () => {
    const { startupLine, lines } = await start([globalCache()]);
    assert.equal(
      startupLine(),
      `Event store on the application's CACHE_MANAGER. Storage: memory (the cache keeps its entries in this process: native in-memory structures, bounded by maxMemoryBytes). ` +
        'Wake-ups: local (the storage is in this process, so every writer is too).',
    );
    assert.equal(lines().length, 1);
  });

  it('a CacheModule on Redis: native commands on one server, and pub/sub on its client', async () => {
    const { startupLine, lines } = await start([globalCache([redisKeyv()])]);
    assert.equal(
      startupLine(),
      `Event store on the application's CACHE_MANAGER. Storage: redis (the cache's store is @keyv/redis or @keyv/valkey on one ` +
        `Redis server: native commands). Wake-ups: redis-pubsub (a subscriber connection duplicated from the cache's Redis client).`,
    );
    // The probe after start-up found Redis answering: nothing more is said.
    await delay(OPERATION_TIMEOUT_MS * 2);
    assert.equal(lines().length, 1, JSON.stringify(lines()));
  });

  it(`storage: 'generic' on Redis: through cache-manager, and still pub/sub`, async () => {
    const { startupLine } = await start([globalCache([redisKeyv()])], { storage: 'generic' });
    assert.equal(
      startupLine(),
      `Event store on the application's CACHE_MANAGER. Storage: cache (option storage: 'generic': through cache-manager, whatever ` +
        `the cache's store). Wake-ups: redis-pubsub (a subscriber connection duplicated from the cache's Redis client).`,
    );
  });

  it('redis: false on Redis: native storage, readers poll', async () => {
    const { startupLine } = await start([globalCache([redisKeyv()])], { redis: false, pollingInterval: 250 });
    assert.match(
      startupLine(),
      /Storage: redis \(the cache's store is @keyv\/redis or @keyv\/valkey on one Redis server: native commands\)\./,
    );
    assert.match(startupLine(), /Wake-ups: polling \(option redis: false; readers poll every 250 ms\)\.$/);
  });

  it('a CacheModule registered without isGlobal in another module: a warning that names it and the fix, and the start-up line says so', async () => {
    @Module({ imports: [CacheModule.register({ stores: [redisKeyv()] })] })
    class NotificationsModule {}

    const { startupLine, lines } = await start([NotificationsModule]);
    const warnings = atWarnOrAbove(lines());
    assert.equal(warnings.length, 1, JSON.stringify(lines()));
    assert.equal(warnings[0].level, 'warn');
    const warning = String(warnings[0].message);
    assert.match(warning, /^A CacheModule is registered in NotificationsModule but is not visible to SseEventStoreModule, /);
    assert.match(warning, /falls back to an in-memory cache of this process/);
    assert.match(warning, /isGlobal: true/);
    assert.match(warning, /inject: \[CACHE_MANAGER\], useFactory: \(cache\) => \(\{ cache \}\)/);
    assert.match(
      startupLine(),
      /^Event store on an in-memory cache of this process \(the CacheModule in NotificationsModule is not visible\)\./,
    );
    assert.equal(
      lines().filter((entry) => /no CACHE_MANAGER is registered/.test(String(entry.message))).length,
      0,
      'it does not claim that none is registered',
    );
  });

  it('a CacheModule registered without isGlobal beside SseEventStoreModule: the module that imports both is named', async () => {
    const { lines } = await start([CacheModule.register()]);
    const warnings = atWarnOrAbove(lines());
    assert.equal(warnings.length, 1, JSON.stringify(lines()));
    // Test.createTestingModule's own root module imports both here.
    assert.match(String(warnings[0].message), /^A CacheModule is registered in RootTestModule but is not visible to SseEventStoreModule, /);
  });
});

describe(`@keyv/valkey's key set on the generic path`, () => {
  const KEY_SET_WARNING = /^The cache's @keyv\/valkey store lists the name of every key it writes in a set /;

  it(`storage: 'generic' on a store that keeps its key set (its default): one warning that names the fix`, async () => {
    const { lines } = await start([globalCache([valkeyKeyv()])], { storage: 'generic' });
    const warnings = atWarnOrAbove(lines());
    assert.equal(warnings.length, 1, JSON.stringify(lines()));
    assert.equal(warnings[0].level, 'warn');
    const warning = String(warnings[0].message);
    assert.match(warning, KEY_SET_WARNING);
    assert.match(warning, /\{ useRedisSets: false \}/);
    assert.match(warning, /option storage at 'auto'/);
  });

  it(`storage: 'generic' on a store created with useRedisSets: false: no warning`, async () => {
    const { startupLine, lines } = await start([globalCache([valkeyKeyv({ useRedisSets: false })])], { storage: 'generic' });
    assert.match(startupLine(), /Storage: cache \(option storage: 'generic'/);
    assert.deepEqual(atWarnOrAbove(lines()), []);
  });

  it('the native path on the same store: no warning, since it writes nothing through the store', async () => {
    const { startupLine, lines } = await start([globalCache([valkeyKeyv()])]);
    assert.match(startupLine(), /Storage: redis \(/);
    assert.deepEqual(atWarnOrAbove(lines()), []);
  });
});

describe('the start-up line on a Redis Cluster', () => {
  let cluster: RedisClusterProcesses;
  const disconnects: (() => Promise<unknown>)[] = [];

  before(async () => {
    cluster = await startRedisCluster({ masters: 3 });
  });

  after(async () => {
    for (const disconnect of disconnects) await disconnect();
    await cluster?.dispose();
  });

  it('native commands on the cluster, and pub/sub on its client', { timeout: 60_000 }, async () => {
    const { keyv, disconnect } = clusterCache('redis', [cluster.urls[0]]);
    disconnects.push(disconnect);
    const { startupLine } = await start([globalCache([keyv])]);
    assert.equal(
      startupLine(),
      `Event store on the application's CACHE_MANAGER. Storage: redis-cluster (the cache's store is @keyv/redis or @keyv/valkey ` +
        `on a Redis Cluster: native commands). Wake-ups: redis-pubsub (a subscriber connection duplicated from the cache's Redis client).`,
    );
    await started?.app.close();
    started = undefined;
  });
});

describe('Redis not answering at start-up', () => {
  it('the application starts, and one warning names the cause', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const { lines } = await start([globalCache([redisKeyv(`redis://127.0.0.1:${port}`)])]);
    // init() resolved: the start was not held. The probe after it fails within operationTimeout.
    await waitFor(() => atWarnOrAbove(lines()).length > 0, 'the warning', 15_000);
    await delay(OPERATION_TIMEOUT_MS * 3);
    const warnings = atWarnOrAbove(lines());
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0].level, 'warn');
    assert.match(
      String(warnings[0].message),
      new RegExp(
        `^Redis is not answering the event store \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\): its operations fail \\(HTTP 503\\)`,
      ),
    );
  });
});

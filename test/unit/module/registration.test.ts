import { Inject, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { firstValueFrom, take, toArray } from 'rxjs';
import { SseEventStore, SseEventStoreModule, type SseEventStoreModuleOptions, SseInvalidInputError } from '../../../lib';
import { SSE_EVENT_STORE_MODULE_OPTIONS } from '../../../lib/sse-event-store.module-definition';

/** Rejected by a store whose `maxEventBytes` is 64, accepted by the default limit. */
const LARGE_EVENT = { data: 'x'.repeat(200) };

/** Writes two events and reads them back: the store that was injected really works. */
async function assertWorkingStore(store: SseEventStore, streamId = 'stream'): Promise<void> {
  assert.ok(store instanceof SseEventStore);
  const writer = await store.createStream({ sessionId: 'session', streamId });
  const first = await writer.write({ data: 'one' });
  await writer.write({ data: { n: 2 } });
  await writer.complete();
  const reader = await store.getStreamReaderFromStart({ sessionId: 'session', streamId });
  assert.ok(reader);
  const events = await firstValueFrom(reader.events().pipe(toArray()));
  assert.deepEqual(
    events.map((event) => event.data),
    ['one', { n: 2 }],
  );
  assert.equal(events[0].id, first.id);
}

/** Asserts that the store enforces `maxEventBytes: 64`, i.e. that the configured options reached it. */
async function assertSmallEventLimit(store: SseEventStore): Promise<void> {
  const writer = await store.createStream({ sessionId: 'session', streamId: 'limits' });
  await assert.rejects(writer.write(LARGE_EVENT), SseInvalidInputError);
  await writer.write({ data: 'small' });
  await writer.complete();
}

/** Options an application might read from its configuration. */
const STORE_SETTINGS = Symbol('STORE_SETTINGS');

@Module({
  providers: [{ provide: STORE_SETTINGS, useValue: { maxEventBytes: 64 } }],
  exports: [STORE_SETTINGS],
})
class SettingsModule {}

@Injectable()
class StoreOptionsFactory {
  static instances = 0;

  constructor() {
    StoreOptionsFactory.instances++;
  }

  createSseEventStoreOptions(): SseEventStoreModuleOptions {
    return { maxEventBytes: 64 };
  }
}

@Module({ providers: [StoreOptionsFactory], exports: [StoreOptionsFactory] })
class StoreOptionsFactoryModule {}

/** A service in a module that does not import SseEventStoreModule. */
@Injectable()
class FeatureService {
  constructor(readonly store: SseEventStore) {}
}

@Module({ providers: [FeatureService], exports: [FeatureService] })
class FeatureModule {}

describe('SseEventStoreModule registration', () => {
  let moduleRef: TestingModule | undefined;

  beforeEach(() => {
    StoreOptionsFactory.instances = 0;
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('forRoot() provides a working store under the SseEventStore token', async () => {
    moduleRef = await Test.createTestingModule({ imports: [SseEventStoreModule.forRoot()] }).compile();
    const store = moduleRef.get(SseEventStore);
    await assertWorkingStore(store);
    const writer = await store.createStream({ sessionId: 'session', streamId: 'default-limit' });
    await writer.write(LARGE_EVENT); // the default limit (1 MiB) takes it
    await writer.complete();
  });

  it('forRoot({}) is the same as forRoot()', async () => {
    moduleRef = await Test.createTestingModule({ imports: [SseEventStoreModule.forRoot({})] }).compile();
    await assertWorkingStore(moduleRef.get(SseEventStore));
    assert.deepEqual(moduleRef.get(SSE_EVENT_STORE_MODULE_OPTIONS), {});
  });

  it('forRoot(options) configures the store', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreModule.forRoot({ maxEventBytes: 64 })],
    }).compile();
    await assertSmallEventLimit(moduleRef.get(SseEventStore));
    assert.deepEqual(moduleRef.get(SSE_EVENT_STORE_MODULE_OPTIONS), { maxEventBytes: 64 });
  });

  it('forRootAsync({ imports, inject, useFactory }) builds the options from injected providers', async () => {
    let factoryCalls = 0;
    moduleRef = await Test.createTestingModule({
      imports: [
        SseEventStoreModule.forRootAsync({
          imports: [SettingsModule],
          inject: [STORE_SETTINGS],
          useFactory: async (settings: { maxEventBytes: number }) => {
            factoryCalls++;
            return { maxEventBytes: settings.maxEventBytes };
          },
        }),
      ],
    }).compile();
    const store = moduleRef.get(SseEventStore);
    await assertSmallEventLimit(store);
    await assertWorkingStore(store);
    assert.equal(factoryCalls, 1);
  });

  it('forRootAsync({ useClass }) instantiates the options factory itself', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreModule.forRootAsync({ useClass: StoreOptionsFactory })],
    }).compile();
    await assertSmallEventLimit(moduleRef.get(SseEventStore));
    assert.equal(StoreOptionsFactory.instances, 1);
  });

  it('forRootAsync({ imports, useExisting }) uses an options factory provided elsewhere', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        StoreOptionsFactoryModule,
        SseEventStoreModule.forRootAsync({ imports: [StoreOptionsFactoryModule], useExisting: StoreOptionsFactory }),
      ],
    }).compile();
    const store = moduleRef.get(SseEventStore);
    await assertSmallEventLimit(store);
    // useExisting reuses the application's instance instead of creating another one.
    assert.equal(StoreOptionsFactory.instances, 1);
    const options = moduleRef.get<SseEventStoreModuleOptions>(SSE_EVENT_STORE_MODULE_OPTIONS, { strict: false });
    assert.deepEqual(options, { maxEventBytes: 64 });
  });

  it('without isGlobal, a module that does not import SseEventStoreModule cannot inject the store', async () => {
    await assert.rejects(
      Test.createTestingModule({ imports: [SseEventStoreModule.forRoot(), FeatureModule] }).compile(),
      (error: Error) => /SseEventStore/.test(error.message) && /FeatureService/.test(error.message),
    );
  });

  it('forRoot({ isGlobal: true }) makes the store injectable in modules that do not import it', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreModule.forRoot({ isGlobal: true }), FeatureModule],
    }).compile();
    const { store } = moduleRef.get(FeatureService);
    assert.equal(store, moduleRef.get(SseEventStore));
    await assertWorkingStore(store);
  });

  it('forRootAsync({ isGlobal: true }) makes the store injectable in modules that do not import it', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [FeatureModule, SseEventStoreModule.forRootAsync({ isGlobal: true, useFactory: () => ({ maxEventBytes: 64 }) })],
    }).compile();
    const { store } = moduleRef.get(FeatureService);
    assert.equal(store, moduleRef.get(SseEventStore));
    await assertSmallEventLimit(store);
  });

  it('gives every module that imports it the same store instance', async () => {
    @Injectable()
    class OtherFeatureService {
      constructor(@Inject(SseEventStore) readonly store: SseEventStore) {}
    }
    const storeModule = SseEventStoreModule.forRoot();
    @Module({ imports: [storeModule], providers: [FeatureService], exports: [FeatureService] })
    class FirstFeatureModule {}
    @Module({ imports: [storeModule], providers: [OtherFeatureService], exports: [OtherFeatureService] })
    class SecondFeatureModule {}

    moduleRef = await Test.createTestingModule({ imports: [FirstFeatureModule, SecondFeatureModule] }).compile();
    const first = moduleRef.get(FeatureService).store;
    const second = moduleRef.get(OtherFeatureService).store;
    assert.equal(first, second);
    // A stream written through one importer is readable through the other.
    const writer = await first.createStream({ sessionId: 'shared', streamId: 'stream' });
    const { id } = await writer.write({ data: 'hello' });
    await writer.write({ data: 'again' });
    await writer.complete();
    const reader = await second.getStreamReader(id);
    assert.ok(reader);
    const events = await firstValueFrom(reader.events().pipe(take(1), toArray()));
    assert.deepEqual(
      events.map((event) => event.data),
      ['again'],
    );
  });
});

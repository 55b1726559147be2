// The public types of forRootAsync: what compiles (and what must not) is checked by the build of
// this file; the tests check that every way of supplying the options registers a configured store.
import { Inject, Injectable, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { firstValueFrom, toArray } from 'rxjs';
import {
  SseEventStore,
  SseEventStoreModule,
  type SseEventStoreModuleAsyncOptions,
  type SseEventStoreModuleOptions,
  type SseEventStoreOptionsFactory,
} from '../../../lib';
import type { ResolvedSseEventStoreOptions } from '../../../lib/interfaces/sse-event-store-options.interface';
import { SSE_EVENT_STORE_RESOLVED_OPTIONS } from '../../../lib/sse-event-store.constants';

/** The application's own settings, from which the store's options are built. */
interface AppSettings {
  ssePrefix: string;
}

const APP_SETTINGS = Symbol('APP_SETTINGS');

@Module({
  providers: [{ provide: APP_SETTINGS, useValue: { ssePrefix: 'from-settings' } satisfies AppSettings }],
  exports: [APP_SETTINGS],
})
class AppSettingsModule {}

/** An options factory with a dependency of its own, as `useClass` and `useExisting` take it. */
@Injectable()
class SseStoreConfig implements SseEventStoreOptionsFactory {
  constructor(@Inject(APP_SETTINGS) private readonly settings: AppSettings) {}

  createSseEventStoreOptions(): SseEventStoreModuleOptions {
    return { keyPrefix: `${this.settings.ssePrefix}-class`, pollingInterval: 250 };
  }
}

@Module({ imports: [AppSettingsModule], providers: [SseStoreConfig], exports: [SseStoreConfig] })
class SseStoreConfigModule {}

/** A factory may build the options asynchronously. */
class AsyncSseStoreConfig implements SseEventStoreOptionsFactory {
  async createSseEventStoreOptions(): Promise<SseEventStoreModuleOptions> {
    return { keyPrefix: 'async-class' };
  }
}

const byClass = {
  imports: [AppSettingsModule],
  useClass: SseStoreConfig,
} satisfies SseEventStoreModuleAsyncOptions;

const byFactory: SseEventStoreModuleAsyncOptions = {
  imports: [AppSettingsModule],
  inject: [APP_SETTINGS],
  useFactory: (settings: AppSettings) => ({ keyPrefix: `${settings.ssePrefix}-factory` }),
  isGlobal: false,
};

const byExisting: SseEventStoreModuleAsyncOptions = {
  imports: [SseStoreConfigModule],
  useExisting: SseStoreConfig,
};

// forRootAsync takes exactly the exported type.
export const forRootAsyncTakes: SseEventStoreModuleAsyncOptions = {} as Parameters<typeof SseEventStoreModule.forRootAsync>[0];
export const exportedTypeIsTaken: Parameters<typeof SseEventStoreModule.forRootAsync>[0] = {} as SseEventStoreModuleAsyncOptions;

export const refusedAtCompileTime = (): unknown[] => [
  SseEventStoreModule.forRootAsync({
    // @ts-expect-error an options factory must have createSseEventStoreOptions()
    useClass: class {
      createOptions = (): SseEventStoreModuleOptions => ({});
    },
  }),
  // @ts-expect-error useExisting names an options factory too
  SseEventStoreModule.forRootAsync({ useExisting: AppSettingsModule }),
  // @ts-expect-error what useFactory returns is checked against the module options
  SseEventStoreModule.forRootAsync({ useFactory: () => ({ maxEventBytes: '64' }) }),
  {
    // @ts-expect-error so is what an options factory returns
    useClass: class {
      createSseEventStoreOptions = () => ({ storage: 'memory' });
    },
  } satisfies SseEventStoreModuleAsyncOptions,
];

/** The store the module registered, and the options it resolved. */
function registeredStore(moduleRef: TestingModule): { store: SseEventStore; options: ResolvedSseEventStoreOptions } {
  const store = moduleRef.get(SseEventStore);
  assert.ok(store instanceof SseEventStore);
  return { store, options: moduleRef.get<ResolvedSseEventStoreOptions>(SSE_EVENT_STORE_RESOLVED_OPTIONS) };
}

/** A write read back through the registered store. */
async function assertRoundTrip(store: SseEventStore): Promise<void> {
  const writer = await store.createStream({ sessionId: 'async-options', streamId: 'check' });
  const { id } = await writer.write({ data: 'configured' });
  await writer.complete();
  const reader = await store.getStreamReaderFromStart({ sessionId: 'async-options', streamId: 'check' });
  assert.ok(reader);
  assert.deepEqual(await firstValueFrom(reader.events().pipe(toArray())), [{ id, data: 'configured' }]);
}

describe('SseEventStoreModule.forRootAsync with the exported option types', () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('useClass: a class implementing SseEventStoreOptionsFactory, with its own dependencies', async () => {
    moduleRef = await Test.createTestingModule({ imports: [SseEventStoreModule.forRootAsync(byClass)] }).compile();
    const { store, options } = registeredStore(moduleRef);
    assert.equal(options.keyPrefix, 'from-settings-class');
    assert.equal(options.pollingInterval, 250);
    await assertRoundTrip(store);
  });

  it('useClass: an options factory that resolves asynchronously', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreModule.forRootAsync({ useClass: AsyncSseStoreConfig })],
    }).compile();
    const { store, options } = registeredStore(moduleRef);
    assert.equal(options.keyPrefix, 'async-class');
    await assertRoundTrip(store);
  });

  it('useFactory with inject: the factory gets the injected providers', async () => {
    moduleRef = await Test.createTestingModule({ imports: [SseEventStoreModule.forRootAsync(byFactory)] }).compile();
    const { store, options } = registeredStore(moduleRef);
    assert.equal(options.keyPrefix, 'from-settings-factory');
    await assertRoundTrip(store);
  });

  it('useExisting: the options factory another module provides', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseStoreConfigModule, SseEventStoreModule.forRootAsync(byExisting)],
    }).compile();
    const { store, options } = registeredStore(moduleRef);
    assert.equal(options.keyPrefix, 'from-settings-class');
    await assertRoundTrip(store);
  });
});

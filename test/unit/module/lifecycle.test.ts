import { Test, type TestingModule } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  type SseEventStoreModuleOptions,
  SseEventStore,
  SseEventStoreConfigurationError,
  SseEventStoreModule,
  type SseEventStreamReader,
} from '../../../lib';
import { CapturingLogger } from '../../support/capturing-logger';

/** Compiles a testing module with a silent logger (Nest logs the start-up failure as an error). */
function compile(imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>): Promise<TestingModule> {
  return Test.createTestingModule({ imports }).setLogger(new CapturingLogger()).compile();
}

/** Subscribes to a reader and exposes what it emitted and how it ended. */
function observe(reader: SseEventStreamReader) {
  const received: unknown[] = [];
  let firstEvent!: () => void;
  const gotFirstEvent = new Promise<void>((resolve) => (firstEvent = resolve));
  const ended = new Promise<'complete' | 'error'>((resolve) => {
    reader.events().subscribe({
      next: (event) => {
        received.push(event.data);
        firstEvent();
      },
      complete: () => resolve('complete'),
      error: () => resolve('error'),
    });
  });
  return { received, gotFirstEvent, ended };
}

const INVALID_OPTIONS: [string, SseEventStoreModuleOptions][] = [
  ['pollingInterval: 0', { pollingInterval: 0 }],
  ['maxEventsPerStream: -1', { maxEventsPerStream: -1 }],
  ['eventSlidingExpiration: 1.5', { eventSlidingExpiration: 1.5 }],
  ["keyPrefix: ''", { keyPrefix: '' }],
];

describe('SseEventStoreModule lifecycle', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  for (const [label, options] of INVALID_OPTIONS) {
    it(`forRoot({ ${label} }) fails at start-up with SseEventStoreConfigurationError`, async () => {
      await assert.rejects(compile([SseEventStoreModule.forRoot(options)]), SseEventStoreConfigurationError);
    });
  }

  it('forRootAsync with a factory that returns invalid options fails at start-up', async () => {
    await assert.rejects(
      compile([SseEventStoreModule.forRootAsync({ useFactory: async () => ({ replayPageSize: 0 }) })]),
      (error: unknown) => error instanceof SseEventStoreConfigurationError && /replayPageSize/.test(error.message),
    );
  });

  it('valid options of every kind are accepted', async () => {
    const moduleRef = await compile([
      SseEventStoreModule.forRoot({
        keyPrefix: 'custom',
        eventSlidingExpiration: 1_000,
        eventAbsoluteExpiration: 2_000,
        metadataSlidingExpiration: 3_000,
        metadataAbsoluteExpiration: 4_000,
        pollingInterval: 50,
        maxEventsPerStream: 10,
        replayPageSize: 2,
        maxEventBytes: 100,
        maxIdLength: 20,
      }),
    ]);
    assert.ok(moduleRef.get(SseEventStore) instanceof SseEventStore);
    await moduleRef.close();
  });

  it('app.close() completes the readers that are still waiting for events', { timeout: 10_000 }, async () => {
    const moduleRef = await compile([SseEventStoreModule.forRoot()]);
    app = moduleRef.createNestApplication();
    await app.init();
    const store = app.get(SseEventStore);
    const writer = await store.createStream({ sessionId: 'session', streamId: 'stream' });
    await writer.write({ data: 'before shutdown' });

    const fromStart = await store.getStreamReaderFromStart({ sessionId: 'session', streamId: 'stream' });
    assert.ok(fromStart);
    const waiting = observe(fromStart);
    await waiting.gotFirstEvent; // it has caught up and now waits for the (never completed) stream

    const closing = app.close();
    app = undefined;
    await closing;
    assert.equal(await waiting.ended, 'complete');
    assert.deepEqual(waiting.received, ['before shutdown']);
  });

  it('a reader subscribed after app.close() completes at once', { timeout: 10_000 }, async () => {
    const moduleRef = await compile([SseEventStoreModule.forRoot()]);
    const store = moduleRef.get(SseEventStore);
    const writer = await store.createStream({ sessionId: 'session', streamId: 'stream' });
    await writer.write({ data: 'stored' });
    const reader = await store.getStreamReaderFromStart({ sessionId: 'session', streamId: 'stream' });
    assert.ok(reader);
    await moduleRef.close();
    const late = observe(reader);
    assert.equal(await late.ended, 'complete');
    assert.deepEqual(late.received, []);
  });
});

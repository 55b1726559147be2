import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import request from 'supertest';
import { SseEventStore, SseEventStoreConfigurationError, SseEventStreamMode } from '../../../lib';
import { RecordingSseEventStore, SseEventStoreTestingModule } from '../../../lib/testing';
import { CapturingLogger } from '../../support/capturing-logger';
import { NotificationsController, NotificationsModule, NotificationsService } from './notifications.app';

describe('SseEventStoreTestingModule', () => {
  let moduleRef: TestingModule | undefined;
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('provides a real in-memory store that records what the code under test wrote', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot()],
      providers: [NotificationsService],
    }).compile();
    const store = moduleRef.get(RecordingSseEventStore);
    assert.equal(moduleRef.get(SseEventStore), store, 'SseEventStore and RecordingSseEventStore are one instance');

    const ids = await moduleRef.get(NotificationsService).publish('user-1', ['hello', 'bye']);

    assert.deepEqual(store.writtenEvents('user-1', 'notifications'), [
      { sessionId: 'user-1', streamId: 'notifications', id: ids[0], data: { text: 'hello' }, type: 'notification' },
      { sessionId: 'user-1', streamId: 'notifications', id: ids[1], data: { text: 'bye' }, type: 'notification' },
    ]);
    assert.deepEqual(store.streams(), [
      { sessionId: 'user-1', streamId: 'notifications', mode: SseEventStreamMode.Streaming, completed: true },
    ]);
  });

  it('serves the stream over HTTP like the production store', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot({ isGlobal: true }), NotificationsModule],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    const ids = await app.get(NotificationsService).publish('user-1', ['one', 'two', 'three']);

    const all = await request(app.getHttpServer()).get('/users/user-1/notifications').expect(200);
    assert.match(all.headers['content-type'], /^text\/event-stream/);
    assert.equal(all.text.match(/^data: /gm)?.length, 3);
    assert.ok(all.text.includes(`id: ${ids[0]}\n`));

    const resumed = await request(app.getHttpServer()).get('/users/user-1/notifications').set('Last-Event-ID', ids[1]).expect(200);
    assert.deepEqual(resumed.text.match(/^data: .*$/gm), ['data: {"text":"three"}']);

    await request(app.getHttpServer()).get('/users/user-2/notifications').expect(404);
  });

  it('isGlobal: true lets modules that do not import it inject the store', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot({ isGlobal: true }), NotificationsModule],
    }).compile();
    await moduleRef.get(NotificationsService).publish('user-1', ['hi']);
    assert.equal(moduleRef.get(RecordingSseEventStore).writtenEvents().length, 1);
  });

  it('without isGlobal, it must be imported where the store is injected', async () => {
    await assert.rejects(
      Test.createTestingModule({ imports: [SseEventStoreTestingModule.forRoot(), NotificationsModule] })
        .setLogger(new CapturingLogger())
        .compile(),
      /SseEventStore/,
    );
  });

  it('gives every testing module a fresh store', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot()],
      providers: [NotificationsService],
    }).compile();
    const other = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot()],
      providers: [NotificationsService],
    }).compile();
    try {
      const [id] = await moduleRef.get(NotificationsService).publish('user-1', ['a', 'b']);
      assert.ok(await moduleRef.get(SseEventStore).getStreamReader(id));
      assert.equal(await other.get(SseEventStore).getStreamReader(id), null);
      assert.deepEqual(other.get(RecordingSseEventStore).writtenEvents(), []);
    } finally {
      await other.close();
    }
  });

  it('applies the store options, and rejects invalid ones at compile()', async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot({ maxEventBytes: 64 })],
      providers: [NotificationsService],
    }).compile();
    await assert.rejects(moduleRef.get(NotificationsService).publish('user-1', ['x'.repeat(100)]), /larger than the limit/);

    await assert.rejects(
      Test.createTestingModule({ imports: [SseEventStoreTestingModule.forRoot({ pollingInterval: -5 })] })
        .setLogger(new CapturingLogger())
        .compile(),
      SseEventStoreConfigurationError,
    );
  });

  it('closing the application ends open readers', { timeout: 10_000 }, async () => {
    moduleRef = await Test.createTestingModule({
      imports: [SseEventStoreTestingModule.forRoot()],
      controllers: [NotificationsController],
    }).compile();
    const store = moduleRef.get(SseEventStore);
    const writer = await store.createStream({ sessionId: 'user-1', streamId: 'notifications' });
    await writer.write({ data: 'first' });
    const reader = await store.getStreamReaderFromStart({ sessionId: 'user-1', streamId: 'notifications' });
    assert.ok(reader);
    let gotFirst!: () => void;
    const first = new Promise<void>((resolve) => (gotFirst = resolve));
    const completed = new Promise<void>((resolve) => reader.events().subscribe({ next: () => gotFirst(), complete: resolve }));
    await first;
    const closing = moduleRef.close();
    moduleRef = undefined;
    await closing;
    await completed;
  });
});

import type { INestApplication } from '@nestjs/common';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Test } from '@nestjs/testing';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Observable, of } from 'rxjs';
import request from 'supertest';
import {
  type SseCreateStreamOptions,
  type SseEventInput,
  SseEventStore,
  type SseEventStreamReader,
  type SseEventStreamWriter,
  type SseStoredEvent,
  type SseStreamAddress,
} from '../../../lib';
import { RecordingSseEventStore } from '../../../lib/testing';
import { CapturingLogger } from '../../support/capturing-logger';
import { AppModule, NotificationsService } from './notifications.app';

/** The events of an SSE response body. */
function parseSse(body: string): Pick<EventSourceMessage, 'event' | 'id' | 'data'>[] {
  const events: Pick<EventSourceMessage, 'event' | 'id' | 'data'>[] = [];
  const parser = createParser({ onEvent: ({ event, id, data }) => events.push({ event, id, data }) });
  parser.feed(body);
  return events;
}

/**
 * A hand-made fake, as a test suite might write one: it implements the abstract class, keeps
 * written events in an array and serves whatever the test put in `replay`.
 */
class FakeSseEventStore extends SseEventStore {
  readonly written: (SseEventInput & SseStreamAddress)[] = [];
  readonly deleted: string[] = [];
  replay: SseStoredEvent[] = [];

  async createStream({ sessionId, streamId }: SseCreateStreamOptions): Promise<SseEventStreamWriter> {
    const written = this.written;
    return {
      sessionId,
      streamId,
      async write<T extends SseEventInput>(event: T): Promise<T & { id: string }> {
        written.push({ ...event, sessionId, streamId });
        return { ...event, id: `fake-${written.length}` };
      },
      setMode: async () => undefined,
      complete: async () => undefined,
      [Symbol.asyncDispose]: async () => undefined,
    };
  }

  async getStreamReader(): Promise<SseEventStreamReader | null> {
    return null; // every Last-Event-ID is unknown to this fake
  }

  async getStreamReaderFromStart(address: SseStreamAddress): Promise<SseEventStreamReader | null> {
    const events: Observable<SseStoredEvent> = of(...this.replay);
    return { ...address, events: () => events };
  }

  async deleteStreamsForSession(sessionId: string): Promise<void> {
    this.deleted.push(sessionId);
  }
}

describe('overrideProvider(SseEventStore) in an application that imports SseEventStoreModule', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function startWith(store: SseEventStore): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(SseEventStore)
      .useValue(store)
      .setLogger(new CapturingLogger())
      .compile();
    app = moduleRef.createNestApplication();
    await app.init();
    return app;
  }

  it('with a RecordingSseEventStore: the application runs on a real store, and the test sees what it wrote', async () => {
    const store = new RecordingSseEventStore();
    const running = await startWith(store);
    assert.equal(running.get(SseEventStore), store);

    const ids = await running.get(NotificationsService).publish('user-1', ['hello']);
    await running.get(NotificationsService).forget('user-2');

    assert.deepEqual(
      store.writtenEvents('user-1', 'notifications').map(({ id, data }) => ({ id, data })),
      [{ id: ids[0], data: { text: 'hello' } }],
    );
    assert.deepEqual(store.deletedSessions(), ['user-2']);
    const response = await request(running.getHttpServer()).get('/users/user-1/notifications').expect(200);
    assert.deepEqual(parseSse(response.text), [{ event: 'notification', id: ids[0], data: '{"text":"hello"}' }]);
  });

  it('app.close() reaches the RecordingSseEventStore given with useValue and ends its readers', { timeout: 10_000 }, async () => {
    const store = new RecordingSseEventStore();
    const running = await startWith(store);
    const writer = await store.createStream({ sessionId: 'user-1', streamId: 'open' });
    await writer.write({ data: 'x' });
    const reader = await store.getStreamReaderFromStart({ sessionId: 'user-1', streamId: 'open' });
    assert.ok(reader);
    let gotFirst!: () => void;
    const first = new Promise<void>((resolve) => (gotFirst = resolve));
    const completed = new Promise<void>((resolve) => reader.events().subscribe({ next: () => gotFirst(), complete: resolve }));
    await first;
    app = undefined;
    await running.close();
    await completed;
  });

  it('with a hand-made fake: the service writes to it and the controller serves from it', async () => {
    const fake = new FakeSseEventStore();
    fake.replay = [
      { id: 'r-1', data: 'first', type: 'notification' },
      { id: 'r-2', data: 'second', type: 'notification' },
    ];
    const running = await startWith(fake);
    assert.equal(running.get(SseEventStore), fake);

    assert.deepEqual(await running.get(NotificationsService).publish('user-1', ['a', 'b']), ['fake-1', 'fake-2']);
    assert.deepEqual(fake.written, [
      { sessionId: 'user-1', streamId: 'notifications', data: { text: 'a' }, type: 'notification' },
      { sessionId: 'user-1', streamId: 'notifications', data: { text: 'b' }, type: 'notification' },
    ]);

    const response = await request(running.getHttpServer()).get('/users/user-1/notifications').expect(200);
    assert.deepEqual(parseSse(response.text), [
      { event: 'notification', id: 'r-1', data: 'first' },
      { event: 'notification', id: 'r-2', data: 'second' },
    ]);
    // The fake knows no Last-Event-ID, so the controller answers 404 before any event.
    await request(running.getHttpServer()).get('/users/user-1/notifications').set('Last-Event-ID', 'r-1').expect(404);
  });
});

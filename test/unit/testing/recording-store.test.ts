import { Logger } from '@nestjs/common';
import assert from 'node:assert/strict';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import { firstValueFrom, of, toArray } from 'rxjs';
import {
  type SseCreateStreamOptions,
  SseEventStore,
  type SseEventStreamReader,
  type SseEventStreamWriter,
  SseEventStreamMode,
  SseInvalidInputError,
  SseStreamWriterConflictError,
} from '../../../lib';
import { createSseEventStore, RecordingSseEventStore, type StandaloneSseEventStore } from '../../../lib/testing';
import { CapturingLogger } from '../../support/capturing-logger';

const address = { sessionId: 'session', streamId: 'stream' };

async function readAll(reader: SseEventStreamReader | null): Promise<{ id: string; data: unknown }[]> {
  assert.ok(reader);
  const events = await firstValueFrom(reader.events().pipe(toArray()));
  return events.map(({ id, data }) => ({ id, data }));
}

describe('RecordingSseEventStore', () => {
  let inner: StandaloneSseEventStore;
  let store: RecordingSseEventStore;

  before(() => {
    Logger.overrideLogger(new CapturingLogger()); // no Nest application here to configure logging
  });

  beforeEach(() => {
    inner = createSseEventStore();
    store = new RecordingSseEventStore(inner.store);
  });

  afterEach(() => {
    inner.close();
  });

  it('is an SseEventStore', () => {
    assert.ok(store instanceof SseEventStore);
  });

  it('records the events the store stored, with the ids it assigned', async () => {
    const writer = await store.createStream(address);
    const first = await writer.write({ data: { n: 1 } });
    const second = await writer.write({ data: 'two', type: 'text', retry: 5_000 });
    assert.deepEqual(store.writtenEvents(address.sessionId, address.streamId), [
      { ...address, id: first.id, data: { n: 1 } },
      { ...address, id: second.id, data: 'two', type: 'text', retry: 5_000 },
    ]);
  });

  it('hands everything on to the real store: what it recorded is what readers get', async () => {
    const writer = await store.createStream(address);
    await Promise.all([1, 2, 3].map((n) => writer.write({ data: { n } }))); // concurrent writes
    await writer.complete();

    const replayed = await readAll(await store.getStreamReaderFromStart(address));
    const recorded = store.writtenEvents(address.sessionId, address.streamId).map(({ id, data }) => ({ id, data }));
    assert.deepEqual(recorded, replayed);
    assert.deepEqual(
      replayed.map((event) => event.data),
      [{ n: 1 }, { n: 2 }, { n: 3 }],
    );
    // The real store, not the recording, serves resumption.
    assert.deepEqual(await readAll(await store.getStreamReader(recorded[0].id)), replayed.slice(1));
    assert.deepEqual(await readAll(await inner.store.getStreamReader(recorded[0].id)), replayed.slice(1));
  });

  it('records streams with their latest mode and completion', async () => {
    const polling = await store.createStream({ sessionId: 'session', streamId: 'polling', mode: SseEventStreamMode.Polling });
    const streaming = await store.createStream(address);
    await streaming.setMode(SseEventStreamMode.Polling);
    await streaming.setMode(SseEventStreamMode.Streaming);
    await polling.complete();

    assert.deepEqual(store.streams(), [
      { sessionId: 'session', streamId: 'polling', mode: SseEventStreamMode.Polling, completed: true },
      { ...address, mode: SseEventStreamMode.Streaming, completed: false },
    ]);
    assert.deepEqual(store.modeChanges(address.sessionId, address.streamId), [SseEventStreamMode.Polling, SseEventStreamMode.Streaming]);
    assert.deepEqual(store.modeChanges('session', 'polling'), []);
  });

  it('records one completion per writer, through complete() or await using', async () => {
    {
      await using writer = await store.createStream(address);
      await writer.write({ data: 1 });
      await writer.complete();
      await writer.complete();
    } // disposed here: complete() once more
    assert.equal(store.activity().filter((activity) => activity.kind === 'stream-completed').length, 1);

    // A new writer reopens the stream; disposing it completes it again.
    {
      await using writer = await store.createStream(address);
      assert.equal(store.streams()[0].completed, false);
      await writer.write({ data: 2 });
    }
    assert.deepEqual(store.streams(), [{ ...address, mode: SseEventStreamMode.Streaming, completed: true }]);
    assert.deepEqual(
      store.activity().map((activity) => activity.kind),
      ['stream-created', 'event-written', 'stream-completed', 'stream-created', 'event-written', 'stream-completed'],
    );
  });

  it('does not record what the store refused or did not store', async () => {
    const writer = await store.createStream(address);
    await assert.rejects(store.createStream(address), SseStreamWriterConflictError);
    await assert.rejects(writer.write({ data: 1n }), SseInvalidInputError); // not JSON
    const preset = await writer.write({ data: 'relayed', id: 'an-id-from-elsewhere' }); // returned as is, not stored
    assert.equal(preset.id, 'an-id-from-elsewhere');
    await assert.rejects(store.createStream({ sessionId: 'session', streamId: 42 as unknown as string }), SseInvalidInputError);

    assert.deepEqual(store.writtenEvents(), []);
    assert.deepEqual(
      store.activity().map((activity) => activity.kind),
      ['stream-created'],
    );
  });

  it('filters written events by session and stream', async () => {
    for (const [sessionId, streamId] of [
      ['a', 'x'],
      ['a', 'y'],
      ['b', 'x'],
    ]) {
      const writer = await store.createStream({ sessionId, streamId });
      await writer.write({ data: `${sessionId}/${streamId}` });
    }
    assert.deepEqual(
      store.writtenEvents().map((event) => event.data),
      ['a/x', 'a/y', 'b/x'],
    );
    assert.deepEqual(
      store.writtenEvents('a').map((event) => event.data),
      ['a/x', 'a/y'],
    );
    assert.deepEqual(
      store.writtenEvents('a', 'y').map((event) => event.data),
      ['a/y'],
    );
    assert.deepEqual(store.writtenEvents('b', 'y'), []);
  });

  it('records deleted sessions, and the deletion really happens', async () => {
    const writer = await store.createStream(address);
    const { id } = await writer.write({ data: 1 });
    await store.deleteStreamsForSession('session');
    await store.deleteStreamsForSession('never-used');
    assert.deepEqual(store.deletedSessions(), ['session', 'never-used']);
    assert.equal(await store.getStreamReader(id), null);
  });

  it('reset() forgets the records but not the stored events', async () => {
    const writer = await store.createStream(address);
    const { id } = await writer.write({ data: 'kept' });
    await writer.write({ data: 'also kept' });
    store.reset();
    assert.deepEqual(store.activity(), []);
    assert.deepEqual(store.streams(), []);
    assert.deepEqual(store.writtenEvents(), []);

    await writer.write({ data: 'after reset' });
    assert.deepEqual(
      store.writtenEvents().map((event) => event.data),
      ['after reset'],
    );
    await writer.complete();
    assert.deepEqual(
      (await readAll(await store.getStreamReader(id))).map((event) => event.data),
      ['also kept', 'after reset'],
    );
  });

  it('onModuleDestroy() ends the readers of the wrapped store', { timeout: 10_000 }, async () => {
    const writer = await store.createStream(address);
    await writer.write({ data: 'first' });
    const reader = await store.getStreamReaderFromStart(address);
    assert.ok(reader);
    const received: unknown[] = [];
    let gotFirst!: () => void;
    const first = new Promise<void>((resolve) => (gotFirst = resolve));
    const ended = new Promise<void>((resolve) =>
      reader.events().subscribe({
        next: (event) => {
          received.push(event.data);
          gotFirst();
        },
        complete: resolve,
      }),
    );
    await first; // caught up: now it waits for events that never come
    await store.onModuleDestroy();
    await ended;
    assert.deepEqual(received, ['first']);
  });

  it('without an argument, runs on a real store of its own', async () => {
    const own = new RecordingSseEventStore();
    try {
      const writer = await own.createStream(address);
      const { id } = await writer.write({ data: 'mine' });
      await writer.complete();
      assert.deepEqual(await readAll(await own.getStreamReaderFromStart(address)), [{ id, data: 'mine' }]);
      assert.equal(await store.getStreamReaderFromStart(address), null, 'separate from other stores');
    } finally {
      await own.onModuleDestroy();
    }
  });

  it('decorates any SseEventStore, passing calls and results through unchanged', async () => {
    const calls: string[] = [];
    const reader: SseEventStreamReader = { ...address, events: () => of({ id: 'r-1', data: 'from the fake' }) };
    class MinimalStore extends SseEventStore {
      async createStream(options: SseCreateStreamOptions): Promise<SseEventStreamWriter> {
        calls.push(`createStream ${options.streamId}`);
        return {
          ...address,
          write: async (event) => ({ ...event, id: `fake-${calls.push('write')}` }),
          setMode: async () => void calls.push('setMode'),
          complete: async () => void calls.push('complete'),
          [Symbol.asyncDispose]: async () => void calls.push('dispose'),
        };
      }
      async getStreamReader(lastEventId: string): Promise<SseEventStreamReader | null> {
        calls.push(`getStreamReader ${lastEventId}`);
        return reader;
      }
      async getStreamReaderFromStart(): Promise<SseEventStreamReader | null> {
        calls.push('getStreamReaderFromStart');
        return null;
      }
      async deleteStreamsForSession(sessionId: string): Promise<void> {
        calls.push(`deleteStreamsForSession ${sessionId}`);
      }
    }
    const recording = new RecordingSseEventStore(new MinimalStore());
    const writer = await recording.createStream(address);
    assert.deepEqual(await writer.write({ data: 'x' }), { data: 'x', id: 'fake-2' });
    await writer.setMode(SseEventStreamMode.Polling);
    await writer.complete();
    assert.equal(await recording.getStreamReader('some-id'), reader);
    assert.equal(await recording.getStreamReaderFromStart(address), null);
    await recording.deleteStreamsForSession('session');

    assert.deepEqual(calls, [
      'createStream stream',
      'write',
      'setMode',
      'complete',
      'getStreamReader some-id',
      'getStreamReaderFromStart',
      'deleteStreamsForSession session',
    ]);
    assert.deepEqual(store.writtenEvents(), []);
    assert.deepEqual(recording.writtenEvents(), [{ ...address, id: 'fake-2', data: 'x' }]);
    assert.deepEqual(recording.streams(), [{ ...address, mode: SseEventStreamMode.Polling, completed: true }]);
  });
});

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { SseEventInput, SseStoredEvent } from '../../../lib';
import { encodeSseEvent } from '../../../lib/http/sse-wire-format';
import { collect, record } from '../../support/async';
import type { StoreSuiteContext } from './store-suite-context';

/** Every kind of data and field an event can carry, with the text its SSE `data:` field carries. */
const EVENTS: [SseEventInput, string][] = [
  [
    { data: { jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } } },
    '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}',
  ],
  [{ data: [1, 'two', null, { three: 3 }] }, '[1,"two",null,{"three":3}]'],
  [{ data: {} }, '{}'],
  [{ data: { text: 'line one\nline two', w: 1, d: ',"w":2}' } }, '{"text":"line one\\nline two","w":1,"d":",\\"w\\":2}"}'],
  [{ data: 'plain text' }, 'plain text'],
  [{ data: 'two\nlines' }, 'two\nlines'],
  [{ data: '{"looks":"like json"}' }, '{"looks":"like json"}'],
  [{ data: '' }, ''],
  [{ data: 42.5 }, '42.5'],
  [{ data: false }, 'false'],
  [{ data: null }, 'null'],
  [{ data: undefined }, 'null'],
  [{ data: { typed: true }, type: 'progress' }, '{"typed":true}'],
  [{ data: { retried: true }, retry: 1500 }, '{"retried":true}'],
  [{ data: 'both', type: 'message', retry: 10 }, 'both'],
];

/** `SseReadOptions.wireData`: data as the text an SSE endpoint sends, the same bytes as the decoded value gives. */
export function defineWireDataTests(suite: StoreSuiteContext): void {
  const { it, open } = suite;

  /** The events as read with and without `wireData`: the data is the expected text, and the SSE text is the same. */
  function assertWireData(wire: SseStoredEvent[], decoded: SseStoredEvent[]): void {
    assert.deepEqual(
      wire.map((event) => event.data),
      EVENTS.map(([, text]) => text),
    );
    assert.deepEqual(wire.map(encodeSseEvent), decoded.map(encodeSseEvent));
    assert.deepEqual(
      wire.map(({ id, type, retry }) => ({ id, type, retry })),
      decoded.map(({ id, type, retry }) => ({ id, type, retry })),
    );
  }

  describe('wire data (the text an SSE endpoint sends)', () => {
    it('a replay delivers each event as the text of its data field, sent as the decoded value would be', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'wire', streamId: 'replay' };
      const writer = await h.store.createStream(address);
      for (const [event] of EVENTS) await writer.write(event);
      await writer.complete();
      const reader = await h.store.getStreamReaderFromStart(address);
      assert.ok(reader);
      // Twice each, in both orders: a storage that keeps what a read decoded must give the same text.
      const wire = await collect(reader.events({ wireData: true }));
      const decoded = await collect(reader.events());
      assertWireData(wire, decoded);
      assertWireData(await collect(reader.events({ wireData: true })), decoded);
    });

    it('a live reader delivers each new event as the text of its data field', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'wire', streamId: 'live' };
      const writer = await h.store.createStream(address);
      const reader = await h.store.getStreamReaderFromStart(address);
      assert.ok(reader);
      const wire = record(reader.events({ wireData: true }));
      const decoded = record(reader.events());
      for (const [index, [event]] of EVENTS.entries()) {
        await writer.write(event);
        await wire.waitForCount(index + 1);
      }
      await writer.complete();
      assert.deepEqual(await wire.ended, { completed: true });
      assert.deepEqual(await decoded.ended, { completed: true });
      assertWireData(wire.values, decoded.values);
    });
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { encodeSseEvent, encodeSseRetry, SSE_KEEP_ALIVE_COMMENT } from '../../../lib/http/sse-wire-format';
import type { SseStoredEvent } from '../../../lib';

/** Parses text as an EventSource would, with a real SSE parser. */
function parse(text: string): { events: EventSourceMessage[]; retry?: number } {
  const events: EventSourceMessage[] = [];
  let retry: number | undefined;
  const parser = createParser({ onEvent: (event) => events.push(event), onRetry: (interval) => (retry = interval) });
  parser.feed(text);
  return { events, retry };
}

describe('SSE wire format', () => {
  it('writes type, id, retry and data fields', () => {
    const event: SseStoredEvent = { id: 'czE.bmV3cw.1', type: 'update', retry: 500, data: { text: 'hello' } };
    assert.equal(encodeSseEvent(event), 'event: update\nid: czE.bmV3cw.1\nretry: 500\ndata: {"text":"hello"}\n\n');
  });

  it('sends multi-line data as one data line per line, which clients join with LF', () => {
    for (const data of ['a\nb', 'a\r\nb', 'a\rb', '\n', '', 'trailing\n']) {
      const { events } = parse(encodeSseEvent({ id: '1', data }));
      assert.equal(events.length, 1, JSON.stringify(data));
      assert.equal(events[0].data, data.replace(/\r\n|\r/g, '\n'), JSON.stringify(data));
      assert.equal(events[0].id, '1');
    }
  });

  it('never lets a type or id with line breaks (stored before they were refused) forge fields', () => {
    const text = encodeSseEvent({ id: '7\nretry: 1', type: 'x\r\nid: forged\ndata: forged', data: 'real' });
    const { events, retry } = parse(text);
    assert.equal(retry, undefined);
    assert.deepEqual(
      events.map((event) => [event.event, event.id, event.data]),
      [['xid: forgeddata: forged', '7retry: 1', 'real']],
    );
  });

  it('keep-alive comments and retry lines dispatch no event', () => {
    const { events, retry } = parse(encodeSseRetry(2_000) + SSE_KEEP_ALIVE_COMMENT + SSE_KEEP_ALIVE_COMMENT);
    assert.deepEqual(events, []);
    assert.equal(retry, 2_000);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { complete, publish, type PublishedEvent, request, streamUrl } from '../support/sample-client';
import { SampleProcess } from '../support/sample-process';
import { type SseMessage, SseConnection } from '../support/sse-client';

/** The sample app as a real process on the in-memory default, driven over HTTP. */

const TEST_TIMEOUT = { timeout: 30_000 };

function asMessage(event: PublishedEvent): SseMessage {
  return { id: event.id, event: event.type, data: event.data };
}

function newSessionId(): string {
  return `http-${randomUUID()}`;
}

/** A refusal: an HTTP error status with Nest's JSON error body, and nothing of an event stream. */
function assertRefusedBeforeAnyEvent(connection: SseConnection, what: string): void {
  assert.ok(connection.status >= 400 && connection.status < 500, `${what}: expected a 4xx status, got ${connection.status}`);
  assert.doesNotMatch(connection.contentType ?? '', /text\/event-stream/, `${what}: answered as an event stream`);
  assert.doesNotMatch(connection.body, /^(id|data|event):/m, `${what}: the body holds SSE fields`);
  assert.equal(connection.messages.length, 0, what);
  assert.equal((JSON.parse(connection.body) as { statusCode: number }).statusCode, connection.status, what);
}

describe('sample app over HTTP, in-memory store', () => {
  let app: SampleProcess;

  before(async () => {
    app = await SampleProcess.start();
  });

  after(async () => {
    await app?.stop();
  });

  test('publishes events (201 { id }) and streams them from the start with their id, data and type', TEST_TIMEOUT, async () => {
    // Ids with spaces, non-ASCII characters and a slash travel URL-encoded.
    const sessionId = `sample session ✓ ${randomUUID()}`;
    const streamId = 'news/today';
    const payloads: { data: unknown; type?: string }[] = [
      { data: { text: 'hello', count: 1 }, type: 'update' },
      { data: 'a plain string' },
      { data: 42 },
      { data: null },
      { data: [1, 'two', { three: 3 }] },
      { data: false },
      { data: 'line one\nline two' },
      { data: '' },
      { data: { nested: { deeper: ['ünïcödé', '🙂'] } }, type: 'alert' },
    ];
    const published: PublishedEvent[] = [];
    for (const { data, type } of payloads) published.push(await publish(app.url, sessionId, streamId, data, type));
    assert.equal(new Set(published.map((event) => event.id)).size, published.length, 'every event gets its own id');

    const reader = await SseConnection.open(streamUrl(app.url, sessionId, streamId, 'events'));
    try {
      assert.equal(reader.status, 200);
      assert.match(reader.contentType ?? '', /^text\/event-stream/);
      assert.deepEqual(await reader.waitForMessages(published.length), published.map(asMessage));
      assert.equal(reader.open, true, 'a stream that is not complete stays open');

      const live = await publish(app.url, sessionId, streamId, { text: 'live' }, 'update');
      assert.deepEqual((await reader.waitForMessages(published.length + 1)).at(-1), asMessage(live));

      await complete(app.url, sessionId, streamId);
      assert.deepEqual(
        await reader.untilCompleted(),
        [...published, live].map(asMessage),
        'completion ends the stream after the last event',
      );
    } finally {
      reader.close();
    }
  });

  test('refuses a publish body without data, with a type that is not a string, or that is not JSON', TEST_TIMEOUT, async () => {
    const sessionId = newSessionId();
    const url = streamUrl(app.url, sessionId, 'refused', 'events');
    const invalid: [string, string, string?][] = [
      ['no data', '{}'],
      ['only a type', '{"type":"update"}'],
      ['a numeric type', '{"data":1,"type":5}'],
      ['a null type', '{"data":1,"type":null}'],
      ['an object type', '{"data":1,"type":{"name":"update"}}'],
      ['a type with a line break', '{"data":1,"type":"up\\ndate"}'],
      ['an array body', '[{"data":1}]'],
      ['malformed JSON', '{"data":'],
      ['a form-encoded body', 'data=1', 'application/x-www-form-urlencoded'],
      ['a text body', 'data', 'text/plain'],
    ];
    for (const [what, body, contentType] of invalid) {
      const answer = await request('POST', url, body, contentType);
      assert.equal(answer.status, 400, `${what}: ${answer.body}`);
    }
    // Each refused first event on a stream of its own: none of them creates its stream.
    const created: string[] = [];
    for (const [index, [what, body, contentType]] of invalid.entries()) {
      const own = streamUrl(app.url, sessionId, `refused-${index}`, 'events');
      assert.equal((await request('POST', own, body, contentType)).status, 400, what);
      const reader = await SseConnection.open(own);
      if (reader.status !== 404) created.push(`${what} (GET answered ${reader.status})`);
    }
    assert.deepEqual(created, [], 'no refused request created its stream');
    const reader = await SseConnection.open(url);
    assert.equal(reader.status, 404, 'no refused request created the stream');
  });

  test('resumes right after the Last-Event-ID header or the lastEventId query parameter', TEST_TIMEOUT, async () => {
    const sessionId = newSessionId();
    const streamId = 'resumable';
    const url = streamUrl(app.url, sessionId, streamId, 'events');
    const published: PublishedEvent[] = [];
    for (let n = 1; n <= 5; n++) published.push(await publish(app.url, sessionId, streamId, { n }, n % 2 ? 'odd' : undefined));

    const byHeader = await SseConnection.open(url, { lastEventId: published[1].id });
    const byQuery = await SseConnection.open(`${url}?lastEventId=${encodeURIComponent(published[3].id)}`);
    let last: PublishedEvent;
    try {
      assert.equal(byHeader.status, 200);
      assert.equal(byQuery.status, 200);
      // Both stay open, so an event published now reaches them live.
      last = await publish(app.url, sessionId, streamId, { n: 6 });
      await complete(app.url, sessionId, streamId);
      assert.deepEqual(await byHeader.untilCompleted(), [...published.slice(2), last].map(asMessage));
      assert.deepEqual(await byQuery.untilCompleted(), [published[4], last].map(asMessage));
    } finally {
      byHeader.close();
      byQuery.close();
    }

    // A client that has the last event of a completed stream is told to stop: 204, as EventSource expects.
    const atTheEnd = await SseConnection.open(url, { lastEventId: last.id });
    assert.equal(atTheEnd.status, 204, 'a client with the last event of a completed stream gets 204 No Content');
    assert.equal(atTheEnd.body, '');
    assert.equal(atTheEnd.messages.length, 0);
    const atTheEndByQuery = await SseConnection.open(`${url}?lastEventId=${encodeURIComponent(last.id)}`);
    assert.equal(atTheEndByQuery.status, 204, 'the same through the lastEventId query parameter');
    // An earlier position of the completed stream still replays what follows it, then ends.
    const beforeTheEnd = await SseConnection.open(url, { lastEventId: published[4].id });
    assert.equal(beforeTheEnd.status, 200);
    assert.deepEqual(await beforeTheEnd.untilCompleted(), [last].map(asMessage));

    // A completed stream takes no more events.
    const late = await request('POST', url, '{"data":"too late"}');
    assert.equal(late.status, 409, `publishing after completion: ${late.body}`);
    assert.equal((JSON.parse(late.body) as { statusCode: number }).statusCode, 409);
    assert.equal((await SseConnection.open(url, { lastEventId: last.id })).status, 204, 'the refused event was not stored');
  });

  test('refuses positions it cannot resume with a 4xx status before any event', TEST_TIMEOUT, async () => {
    const sessionId = newSessionId();
    const otherSessionId = newSessionId();
    const first = await publish(app.url, sessionId, 'main', 'first');
    const sibling = await publish(app.url, sessionId, 'sibling', 'in another stream');
    const foreign = await publish(app.url, otherSessionId, 'main', 'in another session');
    const url = streamUrl(app.url, sessionId, 'main', 'events');

    const refusals: [string, () => Promise<SseConnection>][] = [
      ['an id that is not an event id', () => SseConnection.open(url, { lastEventId: 'not-an-event-id' })],
      ['a malformed id in the query', () => SseConnection.open(`${url}?lastEventId=not-an-event-id`)],
      ['an id of another session', () => SseConnection.open(url, { lastEventId: foreign.id })],
      ['an id of another session in the query', () => SseConnection.open(`${url}?lastEventId=${encodeURIComponent(foreign.id)}`)],
      ['an id of another stream of the session', () => SseConnection.open(url, { lastEventId: sibling.id })],
      ['an unknown stream', () => SseConnection.open(streamUrl(app.url, sessionId, 'never-written', 'events'))],
      [
        'a valid id on an unknown stream',
        () => SseConnection.open(streamUrl(app.url, sessionId, 'never-written', 'events'), { lastEventId: first.id }),
      ],
    ];
    for (const [what, open] of refusals) assertRefusedBeforeAnyEvent(await open(), what);

    const resumable = await SseConnection.open(url, { lastEventId: first.id });
    resumable.close();
    assert.equal(resumable.status, 200, 'the same stream still resumes from its own id');
  });

  test('DELETE /sessions/:sessionId makes none of its ids resumable and ends its readers', TEST_TIMEOUT, async () => {
    const sessionId = newSessionId();
    const news = [await publish(app.url, sessionId, 'news', 1), await publish(app.url, sessionId, 'news', 2)];
    const chat = await publish(app.url, sessionId, 'chat', 'hi');
    const keptSessionId = newSessionId();
    const kept = await publish(app.url, keptSessionId, 'news', 'kept');

    const liveReader = await SseConnection.open(streamUrl(app.url, sessionId, 'news', 'events'));
    await liveReader.waitForMessages(2);

    const answer = await request('DELETE', `${app.url}/sessions/${encodeURIComponent(sessionId)}`);
    assert.ok(answer.status >= 200 && answer.status < 300, `DELETE answered ${answer.status}`);
    assert.notEqual((await liveReader.ended).reason, 'failed', 'an open reader of the deleted session ends');

    for (const [what, streamId, lastEventId] of [
      ['the first news id', 'news', news[0].id],
      ['the last news id', 'news', news[1].id],
      ['the chat id', 'chat', chat.id],
      ['the news stream from its start', 'news', undefined],
    ] as const) {
      assertRefusedBeforeAnyEvent(await SseConnection.open(streamUrl(app.url, sessionId, streamId, 'events'), { lastEventId }), what);
    }
    const publishAfterDelete = await request('POST', streamUrl(app.url, sessionId, 'news', 'events'), '{"data":3}');
    assert.ok(publishAfterDelete.status >= 400 && publishAfterDelete.status < 500, `publishing answered ${publishAfterDelete.status}`);

    const other = await SseConnection.open(streamUrl(app.url, keptSessionId, 'news', 'events'));
    try {
      assert.deepEqual(await other.waitForMessages(1), [asMessage(kept)], 'other sessions are untouched');
    } finally {
      other.close();
    }
  });

  test('concurrent first events of a new stream all land in it, once each', TEST_TIMEOUT, async () => {
    const sessionId = newSessionId();
    const streamId = 'busy';
    const published = await Promise.all(Array.from({ length: 30 }, (_, n) => publish(app.url, sessionId, streamId, { n })));
    assert.equal(new Set(published.map((event) => event.id)).size, published.length);
    await complete(app.url, sessionId, streamId);

    const reader = await SseConnection.open(streamUrl(app.url, sessionId, streamId, 'events'));
    const received = await reader.untilCompleted();
    const publishedById = new Map(published.map((event) => [event.id, asMessage(event)]));
    assert.equal(received.length, published.length);
    for (const message of received) assert.deepEqual(message, publishedById.get(message.id!));
  });

  test('completing a stream this process never wrote to creates it, completed and empty', TEST_TIMEOUT, async () => {
    const sessionId = newSessionId();
    await complete(app.url, sessionId, 'empty');
    // Read from its start, a completed empty stream has nothing to send: 204, not 404.
    const reader = await SseConnection.open(streamUrl(app.url, sessionId, 'empty', 'events'));
    assert.equal(reader.status, 204);
    assert.equal(reader.body, '');
    const late = await request('POST', streamUrl(app.url, sessionId, 'empty', 'events'), '{"data":1}');
    assert.equal(late.status, 409, `publishing to the completed stream: ${late.body}`);
  });

  test('GET / serves the demo page', TEST_TIMEOUT, async () => {
    const answer = await request('GET', `${app.url}/`);
    assert.equal(answer.status, 200);
    assert.match(answer.contentType ?? '', /^text\/html/);
    assert.match(answer.body, /<title>[^<]+<\/title>/);
    assert.match(answer.body, /new EventSource\(/);
  });
});

describe('sample app shutdown', () => {
  test('SIGTERM stops the app while a reader is connected', TEST_TIMEOUT, async () => {
    const app = await SampleProcess.start();
    try {
      const sessionId = newSessionId();
      await publish(app.url, sessionId, 'open', 'waiting');
      const reader = await SseConnection.open(streamUrl(app.url, sessionId, 'open', 'events'));
      await reader.waitForMessages(1);

      const exit = await app.kill('SIGTERM');
      assert.ok(exit.code === 0 || exit.signal === 'SIGTERM', `exited with code ${exit.code}, signal ${exit.signal}`);
      // Shutdown ends the open responses before the server closes: the response ends (its chunked
      // body complete), it does not break off, so the client reconnects with its last id.
      const end = await reader.ended;
      assert.equal(reader.open, false);
      assert.deepEqual(end, { reason: 'completed' }, 'the response ended cleanly instead of breaking off');
      assert.equal(reader.messages.length, 1);
    } finally {
      await app.stop();
    }
  });
});

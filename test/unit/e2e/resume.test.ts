import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { completeStream, type Platform, postEvent, type RunningApp, startApp, streamUrl } from './resumable-streams.app';
import { SseTestConnection } from './sse-test-client';

/** Connections opened by a test; all are closed after it, whatever happened. */
const open = new Set<SseTestConnection>();

async function connect(url: string, lastEventId?: string): Promise<SseTestConnection> {
  const connection = await SseTestConnection.open(url, lastEventId);
  open.add(connection);
  return connection;
}

/** Reads `count` events; fails if the connection ends first. */
async function take(connection: SseTestConnection, count: number): Promise<{ id: string; data: unknown }[]> {
  const events: { id: string; data: unknown }[] = [];
  while (events.length < count) {
    const event = await connection.next();
    assert.ok(event, `the connection ended after ${events.length} of ${count} events`);
    assert.ok(event.id, 'every event carries an id');
    events.push({ id: event.id, data: JSON.parse(event.data) });
  }
  return events;
}

/** Reads until the server ends the response. */
async function drain(connection: SseTestConnection): Promise<{ id: string; data: unknown }[]> {
  const events: { id: string; data: unknown }[] = [];
  for (let event = await connection.next(); event; event = await connection.next()) {
    assert.ok(event.id, 'every event carries an id');
    events.push({ id: event.id, data: JSON.parse(event.data) });
  }
  assert.equal(await connection.ended, 'server-ended');
  return events;
}

function assertEventStream(connection: SseTestConnection): void {
  assert.equal(connection.status, 200);
  assert.ok(connection.isEventStream, `content-type was ${connection.headers['content-type']}`);
}

for (const platform of ['express', 'fastify'] satisfies Platform[]) {
  describe(`resuming over HTTP (${platform})`, () => {
    let running: RunningApp;

    before(async () => {
      running = await startApp(platform);
    });

    afterEach(() => {
      for (const connection of open) connection.close();
      open.clear();
    });

    after(async () => {
      await running?.app.close();
    });

    it('a client that disconnects mid-stream and resumes with Last-Event-ID gets every event once, in order', {
      timeout: 30_000,
    }, async () => {
      const { baseUrl } = running;
      const url = streamUrl(baseUrl, 'session-a', 'job-1');
      const written: string[] = [];
      const write = async (n: number) => written.push(await postEvent(baseUrl, 'session-a', 'job-1', { n }));
      const received: { id: string; data: unknown }[] = [];

      for (let n = 1; n <= 5; n++) await write(n); // stored before anyone listens

      // First connection: replays 1-5, then receives 6 and 7 live, then the client goes away.
      const first = await connect(url);
      assertEventStream(first);
      received.push(...(await take(first, 5)));
      for (let n = 6; n <= 8; n++) await write(n);
      received.push(...(await take(first, 2)));
      first.close(); // event 8 may be on the wire already; this client never sees it

      for (let n = 9; n <= 12; n++) await write(n); // written while the client is away

      // Second connection: resumes after 7, replays 8-12, receives 13-15 live, ends on completion.
      const second = await connect(url, received.at(-1)!.id);
      assertEventStream(second);
      received.push(...(await take(second, 5)));
      for (let n = 13; n <= 15; n++) await write(n);
      await completeStream(baseUrl, 'session-a', 'job-1');
      received.push(...(await drain(second)));

      assert.deepEqual(
        received.map((event) => event.data),
        Array.from({ length: 15 }, (_, index) => ({ n: index + 1 })),
      );
      assert.deepEqual(
        received.map((event) => event.id),
        written,
        'each event arrives under the id its write returned',
      );

      // Resuming after the last event of a completed stream: an empty 200 response that ends.
      // (Nest 12 sends the SSE headers first; Nest 11 ends an SSE response that had nothing to
      // send without them — either way the client gets no event and the response ends.)
      const third = await connect(url, written.at(-1));
      assert.equal(third.status, 200);
      assert.deepEqual(await drain(third), []);
    });

    it('a client that keeps reconnecting while events are written receives each exactly once', { timeout: 60_000 }, async () => {
      const { baseUrl } = running;
      const url = streamUrl(baseUrl, 'session-b', 'tokens');
      const total = 60;
      await postEvent(baseUrl, 'session-b', 'tokens', { n: 1 }); // the stream exists before the first GET

      // The writer runs concurrently with the reader and knows nothing about its connections.
      const producer = (async () => {
        for (let n = 2; n <= total; n++) await postEvent(baseUrl, 'session-b', 'tokens', { n });
        await completeStream(baseUrl, 'session-b', 'tokens');
      })();

      const received: unknown[] = [];
      let lastEventId: string | undefined;
      let connections = 0;
      for (;;) {
        const connection = await connect(url, lastEventId);
        connections++;
        assertEventStream(connection);
        let onThisConnection = 0;
        let event = await connection.next();
        for (; event; event = await connection.next()) {
          assert.ok(event.id);
          received.push(JSON.parse(event.data));
          assert.ok(received.length <= total, 'more events arrived than were written');
          lastEventId = event.id;
          if (++onThisConnection === 7) break; // disconnect after every 7th event
        }
        if (!event) {
          assert.equal(await connection.ended, 'server-ended');
          break;
        }
        connection.close();
        open.delete(connection);
      }
      await producer;

      assert.deepEqual(
        received,
        Array.from({ length: total }, (_, index) => ({ n: index + 1 })),
      );
      assert.ok(connections >= Math.floor(total / 7), `reconnected ${connections} times`);
    });

    it('streams of different sessions stay apart over HTTP', { timeout: 30_000 }, async () => {
      const { baseUrl } = running;
      await postEvent(baseUrl, 'alice', 'inbox', { to: 'alice' });
      await postEvent(baseUrl, 'bob', 'inbox', { to: 'bob' });
      await completeStream(baseUrl, 'alice', 'inbox');
      await completeStream(baseUrl, 'bob', 'inbox');

      const alice = await connect(streamUrl(baseUrl, 'alice', 'inbox'));
      const bob = await connect(streamUrl(baseUrl, 'bob', 'inbox'));
      assert.deepEqual(
        (await drain(alice)).map((event) => event.data),
        [{ to: 'alice' }],
      );
      assert.deepEqual(
        (await drain(bob)).map((event) => event.data),
        [{ to: 'bob' }],
      );
    });

    it('did not log any error while serving', () => {
      assert.deepEqual(
        running.logger.entries.filter((entry) => entry.level === 'error' || entry.level === 'fatal'),
        [],
      );
    });
  });
}

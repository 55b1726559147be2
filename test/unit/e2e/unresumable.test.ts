import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { completeStream, type Platform, postEvent, type RunningApp, startApp, streamUrl } from './resumable-streams.app';
import { SseTestConnection } from './sse-test-client';

/** Retention small enough that a short stream loses its oldest events. */
const MAX_EVENTS_PER_STREAM = 5;

const open = new Set<SseTestConnection>();

async function connect(url: string, lastEventId?: string): Promise<SseTestConnection> {
  const connection = await SseTestConnection.open(url, lastEventId);
  open.add(connection);
  return connection;
}

/**
 * Asserts a plain HTTP error: the status, a JSON body from Nest's exception filter, and no
 * event stream (no SSE content type, no event in the body).
 */
async function assertHttpError(connection: SseTestConnection, status: number): Promise<void> {
  assert.equal(connection.status, status);
  assert.ok(!connection.isEventStream, `content-type was ${connection.headers['content-type']}`);
  assert.match(connection.headers['content-type'] ?? '', /^application\/json\b/);
  const body = await connection.text();
  assert.equal(await connection.ended, 'server-ended');
  assert.equal((JSON.parse(body) as { statusCode: number }).statusCode, status);
  assert.equal(await connection.next(), undefined, 'no event was sent');
}

for (const platform of ['express', 'fastify'] satisfies Platform[]) {
  describe(`positions that cannot be resumed (${platform})`, () => {
    let running: RunningApp;
    /** Ids of the stream session-1/stream-1: twenty events, trimmed to the newest ones, completed. */
    let ids: string[];

    before(async () => {
      running = await startApp(platform, { maxEventsPerStream: MAX_EVENTS_PER_STREAM });
      ids = [];
      for (let n = 1; n <= 20; n++) ids.push(await postEvent(running.baseUrl, 'session-1', 'stream-1', { n }));
      await completeStream(running.baseUrl, 'session-1', 'stream-1');
      await postEvent(running.baseUrl, 'session-1', 'stream-2', { other: true });
    });

    afterEach(() => {
      for (const connection of open) connection.close();
      open.clear();
    });

    after(async () => {
      await running?.app.close();
    });

    const url = () => streamUrl(running.baseUrl, 'session-1', 'stream-1');

    it('the newest id resumes normally (the endpoint works)', async () => {
      const connection = await connect(url(), ids.at(-2));
      assert.equal(connection.status, 200);
      assert.ok(connection.isEventStream);
      const event = await connection.next();
      assert.deepEqual(JSON.parse(event!.data), { n: 20 });
      assert.equal(event!.id, ids.at(-1));
    });

    it('an id whose events were trimmed gives 410 Gone', async () => {
      await assertHttpError(await connect(url(), ids[0]), 410);
    });

    it('an id that is not one of the store’s gives 404', async () => {
      await assertHttpError(await connect(url(), 'not-an-event-id'), 404);
    });

    it('an id of another session gives 404', async () => {
      await postEvent(running.baseUrl, 'session-2', 'stream-1', { n: 1 });
      const foreign = await postEvent(running.baseUrl, 'session-2', 'stream-1', { n: 2 });
      await assertHttpError(await connect(url(), foreign), 404);
    });

    it('a made-up sequence beyond the last event gives 404', async () => {
      const beyond = ids.at(-1)!.replace(/\d+$/, (sequence) => String(Number(sequence) + 100));
      assert.notEqual(beyond, ids.at(-1));
      await assertHttpError(await connect(url(), beyond), 404);
    });

    it('an id of another stream of the session gives 400', async () => {
      const other = await postEvent(running.baseUrl, 'session-1', 'stream-2', { other: 2 });
      await assertHttpError(await connect(url(), other), 400);
    });

    it('a stream that does not exist gives 404 to a client without Last-Event-ID', async () => {
      await assertHttpError(await connect(streamUrl(running.baseUrl, 'session-1', 'unknown'), undefined), 404);
    });
  });
}

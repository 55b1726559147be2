import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { COMBINATIONS, EdgeApp, freshSession } from './edge-app';

/**
 * `SseEventStoreExceptionFilter` (APP_FILTER) on the publish route: the store's client-caused
 * errors are answered 400/409/410/429 with Nest's body plus the error's `code`, never 500, and
 * logged without a stack. (503 with Retry-After: store-unavailable.test.ts; forged fields:
 * forged-fields.test.ts.)
 */

const MAX_EVENT_BYTES = 1_024;
const MAX_ID_LENGTH = 64;

for (const { platform, backend } of COMBINATIONS) {
  describe(`publishing errors through SseEventStoreExceptionFilter (${platform}, ${backend})`, () => {
    let app: EdgeApp;

    before(async () => {
      app = await EdgeApp.start({
        platform,
        backend,
        store: { maxStreamsPerSession: 1, maxEventBytes: MAX_EVENT_BYTES, maxIdLength: MAX_ID_LENGTH },
      });
    });

    after(async () => {
      await app?.close();
    });

    /** Publishes and checks the refusal: status, Nest's body with the store's code, no Retry-After. */
    async function assertRefused(
      address: { sessionId: string; streamId: string },
      event: Record<string, unknown>,
      status: number,
      code: string,
      error: string,
    ) {
      const answer = await app.publish(address, event);
      assert.equal(answer.status, status, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body).sort(), ['code', 'error', 'message', 'statusCode']);
      assert.equal(answer.body.statusCode, status);
      assert.equal(answer.body.code, code);
      assert.equal(answer.body.error, error);
      assert.equal(typeof answer.body.message, 'string');
      assert.equal(answer.headers.get('retry-after'), null);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json\b/);
    }

    it('invalid input gives 400 SSE_INVALID_INPUT: an event over maxEventBytes, a type that is not a string, an over-long stream id', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      await app.append(address, 'fits');
      await assertRefused(address, { data: 'x'.repeat(MAX_EVENT_BYTES) }, 400, 'SSE_INVALID_INPUT', 'Bad Request');
      await assertRefused(address, { data: 1, type: 42 }, 400, 'SSE_INVALID_INPUT', 'Bad Request');
      await assertRefused(
        { sessionId: address.sessionId, streamId: 'x'.repeat(MAX_ID_LENGTH + 1) },
        { data: 1 },
        400,
        'SSE_INVALID_INPUT',
        'Bad Request',
      );
      // The stream is still writable afterwards.
      assert.equal(typeof (await app.append(address, 'still fits')), 'string');
    });

    it('an append after complete() gives 409 SSE_STREAM_CLOSED; completing again is fine', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      await app.append(address, 1);
      assert.equal(await app.complete(address), 204);
      await assertRefused(address, { data: 2 }, 409, 'SSE_STREAM_CLOSED', 'Conflict');
      assert.equal(await app.complete(address), 204, 'idempotent');
      await assertRefused(address, { data: 3 }, 409, 'SSE_STREAM_CLOSED', 'Conflict');
    });

    it('one stream more than maxStreamsPerSession gives 429 SSE_LIMIT_EXCEEDED', async () => {
      const sessionId = freshSession();
      await app.append({ sessionId, streamId: 'first' }, 1);
      await assertRefused({ sessionId, streamId: 'second' }, { data: 1 }, 429, 'SSE_LIMIT_EXCEEDED', 'Too Many Requests');
      // The session's own stream still takes events.
      assert.equal(typeof (await app.append({ sessionId, streamId: 'first' }, 2)), 'string');
    });

    it('publishing to a deleted session gives 410 SSE_SESSION_DELETED', async () => {
      const address = { sessionId: freshSession(), streamId: 'main' };
      await app.append(address, 1);
      assert.equal(await app.deleteSession(address.sessionId), 204);
      await assertRefused(address, { data: 2 }, 410, 'SSE_SESSION_DELETED', 'Gone');
    });

    it('none of it was logged as an error or with a stack; the refusals are debug lines', () => {
      assert.deepEqual(app.errorsLogged(), []);
      const answered = app.logger.entries.filter((entry) => /^Answered \d{3}: /.test(String(entry.message)));
      assert.ok(answered.length >= 7, `${answered.length} refusals logged`);
      assert.ok(
        answered.every((entry) => entry.level === 'debug'),
        JSON.stringify(answered),
      );
    });
  });
}

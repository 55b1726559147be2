import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Platform, postEvent, type RunningApp, startApp, streamUrl } from './resumable-streams.app';
import { SseTestConnection } from './sse-test-client';

for (const platform of ['express', 'fastify'] satisfies Platform[]) {
  describe(`application shutdown (${platform})`, () => {
    let running: RunningApp | undefined;
    let connection: SseTestConnection | undefined;

    afterEach(async () => {
      connection?.close();
      await running?.app.close();
      running = undefined;
    });

    it('app.close() ends the open SSE responses, so the server can stop', { timeout: 30_000 }, async () => {
      running = await startApp(platform);
      const id = await postEvent(running.baseUrl, 'session', 'live', { n: 1 });
      connection = await SseTestConnection.open(streamUrl(running.baseUrl, 'session', 'live'));
      const first = await connection.next();
      assert.equal(first?.id, id); // the client is connected and waits for more

      const app = running.app;
      running = undefined;
      await app.close();
      assert.equal(await connection.ended, 'server-ended');
      assert.equal(await connection.next(), undefined);
    });
  });
}

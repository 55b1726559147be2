import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { SseEventStore } from '../../lib';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { AppModule } from '../../sample/app.module';
import { CapturingLogger } from '../support/capturing-logger';
import { PROTOCOL_2025_11_25, deleteMcpSession, hasResponseTo, initializeSession, mcpRequest, toolCall } from '../support/mcp-http';
import { SpyingSseEventStore } from '../support/spying-sse-event-store';

/**
 * The sample's MCP sessions, in process, on a store the test can look into: when a session ends
 * its streams are deleted from the store, whether by DELETE or because the application shuts down.
 */

interface RunningSample {
  app: NestExpressApplication;
  endpoint: string;
  spy: SpyingSseEventStore;
  store: StandaloneSseEventStore;
}

async function startSample(): Promise<RunningSample> {
  const store = createSseEventStore();
  const spy = new SpyingSseEventStore(store.store);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ port: 0 })] })
    .overrideProvider(SseEventStore)
    .useValue(spy)
    .setLogger(new CapturingLogger())
    .compile();
  // As the sample's main.ts configures it.
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, forceCloseConnections: true });
  app.useBodyParser('json');
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, endpoint: `http://127.0.0.1:${port}/mcp`, spy, store };
}

/** Opens a session and runs a short countdown in it; resolves with the session id and an event id of that call. */
async function sessionWithEvents(endpoint: string): Promise<{ sessionId: string; eventId: string }> {
  const { sessionId } = await initializeSession(endpoint, PROTOCOL_2025_11_25);
  const call = await mcpRequest(endpoint, {
    sessionId,
    protocolVersion: PROTOCOL_2025_11_25,
    message: toolCall(1, 'countdown', { count: 2, intervalMs: 0 }),
    until: hasResponseTo(1),
  });
  const eventId = call.events[1]?.id;
  assert.ok(eventId);
  return { sessionId, eventId };
}

describe('the end of a sample MCP session', () => {
  const running: RunningSample[] = [];

  afterEach(async () => {
    for (const sample of running.splice(0)) {
      await sample.app.close();
      sample.store.close();
    }
  });

  test("DELETE deletes the session's streams from the store, and only that session's", { timeout: 30_000 }, async () => {
    const sample = await startSample();
    running.push(sample);
    const ended = await sessionWithEvents(sample.endpoint);
    const other = await sessionWithEvents(sample.endpoint);
    assert.ok(
      sample.spy.opened.some(({ sessionId }) => sessionId === ended.sessionId),
      'the events are stored under the MCP session id',
    );
    assert.ok(await sample.store.store.getStreamReader(ended.eventId, { sessionId: ended.sessionId }), 'resumable before the DELETE');

    assert.equal(await deleteMcpSession(sample.endpoint, ended.sessionId), 200);
    assert.deepEqual(sample.spy.deletedSessions, [ended.sessionId]);
    assert.equal(await sample.store.store.getStreamReader(ended.eventId, { sessionId: ended.sessionId }), null);
    assert.ok(
      await sample.store.store.getStreamReader(other.eventId, { sessionId: other.sessionId }),
      'the other session keeps its streams',
    );
  });

  test("an application shutdown closes every session's transport, which deletes its streams", { timeout: 30_000 }, async () => {
    const sample = await startSample();
    const sessions = [await sessionWithEvents(sample.endpoint), await sessionWithEvents(sample.endpoint)];
    await sample.app.close();
    try {
      assert.deepEqual([...sample.spy.deletedSessions].sort(), sessions.map(({ sessionId }) => sessionId).sort());
      for (const { sessionId, eventId } of sessions) {
        assert.equal(await sample.store.store.getStreamReader(eventId, { sessionId }), null);
      }
    } finally {
      sample.store.close();
    }
  });
});

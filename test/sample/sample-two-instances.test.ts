import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { REDIS_URL } from '../support/caches';
import { complete, deleteSession, publish, type PublishedEvent, streamUrl } from '../support/sample-client';
import { SampleProcess } from '../support/sample-process';
import { type SseMessage, SseConnection } from '../support/sse-client';

/**
 * Two sample processes sharing one Redis, as two instances behind a load balancer. Redis is
 * required: without it the instances do not start and the suite fails.
 */

function asMessage(event: PublishedEvent): SseMessage {
  return { id: event.id, event: event.type, data: event.data };
}

describe('two sample instances sharing Redis', () => {
  let instanceA: SampleProcess;
  let instanceB: SampleProcess;
  const sessionIds: string[] = [];

  before(async () => {
    [instanceA, instanceB] = await Promise.all([
      SampleProcess.start({ redisUrl: REDIS_URL }),
      SampleProcess.start({ redisUrl: REDIS_URL }),
    ]);
  });

  after(async () => {
    // Leaves nothing behind in the shared Redis.
    if (instanceA) await Promise.allSettled(sessionIds.map((sessionId) => deleteSession(instanceA.url, sessionId)));
    await Promise.all([instanceA?.stop(), instanceB?.stop()]);
  });

  test('a reader on B follows events published on A, and resumes on A with Last-Event-ID after B is killed', {
    timeout: 60_000,
  }, async () => {
    const sessionId = `two-instances-${randomUUID()}`;
    sessionIds.push(sessionId);
    const streamId = 'feed';
    const published: PublishedEvent[] = [];
    const publishOnA = async (n: number): Promise<void> => {
      published.push(await publish(instanceA.url, sessionId, streamId, { n, from: 'A' }, n % 3 === 0 ? 'tick' : undefined));
    };

    await publishOnA(1);
    const readerOnB = await SseConnection.open(streamUrl(instanceB.url, sessionId, streamId, 'events'));
    let resumedOnA: SseConnection | undefined;
    try {
      assert.equal(readerOnB.status, 200);
      assert.deepEqual(await readerOnB.waitForMessages(1), published.map(asMessage));

      // Live: each event published on A reaches the open reader on B.
      for (let n = 2; n <= 5; n++) {
        await publishOnA(n);
        assert.deepEqual(await readerOnB.waitForMessages(n), published.map(asMessage));
      }

      // B dies while its reader is in the middle of a burst of events.
      for (let n = 6; n <= 10; n++) await publishOnA(n);
      await readerOnB.waitForMessages(6);
      const exit = await instanceB.kill('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');
      const endOnB = await readerOnB.ended;
      assert.equal(endOnB.reason, 'failed', 'the connection to B broke');

      // Publishing goes on through A while the client is away.
      for (let n = 11; n <= 15; n++) await publishOnA(n);

      // The client reconnects to A with the last id it got from B.
      const lastSeen = readerOnB.messages.at(-1)!.id!;
      resumedOnA = await SseConnection.open(streamUrl(instanceA.url, sessionId, streamId, 'events'), { lastEventId: lastSeen });
      assert.equal(resumedOnA.status, 200);
      for (let n = 16; n <= 20; n++) await publishOnA(n);
      await complete(instanceA.url, sessionId, streamId);
      await resumedOnA.untilCompleted();

      const everything = [...readerOnB.messages, ...resumedOnA.messages];
      assert.deepEqual(everything, published.map(asMessage), 'every event exactly once, in order');
    } finally {
      readerOnB.close();
      resumedOnA?.close();
    }
  });

  test('an id handed out by one instance resumes on the other', { timeout: 30_000 }, async () => {
    const sessionId = `two-instances-${randomUUID()}`;
    sessionIds.push(sessionId);
    const published: PublishedEvent[] = [];
    for (let n = 1; n <= 4; n++) published.push(await publish(instanceA.url, sessionId, 'handover', n));
    await complete(instanceA.url, sessionId, 'handover');

    const restarted = await SampleProcess.start({ redisUrl: REDIS_URL });
    try {
      const reader = await SseConnection.open(streamUrl(restarted.url, sessionId, 'handover', 'events'), {
        lastEventId: published[1].id,
      });
      assert.equal(reader.status, 200);
      assert.deepEqual(await reader.untilCompleted(), published.slice(2).map(asMessage));

      const otherSession = await SseConnection.open(streamUrl(restarted.url, `two-instances-${randomUUID()}`, 'handover', 'events'), {
        lastEventId: published[1].id,
      });
      assert.ok(otherSession.status >= 400 && otherSession.status < 500, 'the id stays bound to its session on every instance');
    } finally {
      await restarted.stop();
    }
  });
});

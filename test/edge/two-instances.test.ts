import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseStreamClosedError } from '../../lib';
import { waitFor } from '../support/async';
import { EventSourceClient } from '../support/event-source-client';
import { readThrottled } from '../support/throttled-sse-reader';
import { cleanup, EdgeApp, freshSession, type Platform } from './edge-app';

/**
 * Two instances of the application on one Redis (native path; two Nest apps with the same key
 * prefix): B appends, which opens B's writer; A completes the stream. The completion is final for
 * both: B's next append is refused (SseStreamClosedError, 409 over HTTP) by Redis although B still
 * holds its writer, and readers connected to B end after A's completion with exactly the events
 * whose appends were acknowledged before it.
 */

const RETRY = 200;

for (const [platformA, platformB] of [
  ['express', 'fastify'],
  ['fastify', 'express'],
] satisfies [Platform, Platform][]) {
  describe(`two instances on one Redis (A on ${platformA}, B on ${platformB})`, () => {
    it('A completes a stream B writes: B is refused, B’s readers end with exactly the acknowledged events', {
      timeout: 60_000,
    }, async (t) => {
      const onEnd = cleanup(t);
      const a = await EdgeApp.start({ platform: platformA, backend: 'redis', store: { retryInterval: RETRY, retryJitter: 0 } });
      onEnd(() => a.close());
      const b = await EdgeApp.start({
        platform: platformB,
        backend: 'redis',
        store: { retryInterval: RETRY, retryJitter: 0, keyPrefix: a.keyPrefix },
      });
      onEnd(() => b.close());
      const address = { sessionId: freshSession(), streamId: 'shared' };
      const acknowledged: [id: string, data: string][] = [];
      const appendOnB = async (data: string): Promise<number> => {
        const answer = await b.publish(address, { data });
        if (answer.status === 201) acknowledged.push([answer.body.id as string, data]);
        else assert.deepEqual([answer.status, answer.body.code], [409, 'SSE_STREAM_CLOSED'], JSON.stringify(answer.body));
        return answer.status;
      };

      assert.equal(await appendOnB('b-1'), 201); // opens B's writer
      // Readers on B (an EventSource and a raw one) and a raw one on A.
      const client = new EventSourceClient(b.streamUrl(address));
      onEnd(() => client.close());
      const rawOnB = readThrottled(b.streamUrl(address), { bytesPerSecond: Infinity, keepBody: true });
      const rawOnA = readThrottled(a.streamUrl(address), { bytesPerSecond: Infinity, keepBody: true });
      await client.waitForMessages(1);
      await waitFor(() => b.streamRequests(address).length === 2 && a.streamRequests(address).length === 1, 'every reader connected');

      // B keeps appending while A completes the stream after B's third event.
      const statuses: number[] = [];
      let completion: Promise<number> | undefined;
      for (let n = 2; n <= 12; n++) {
        if (n === 4) completion = a.complete(address);
        statuses.push(await appendOnB(`b-${n}`));
      }
      assert.equal(await completion, 204, 'A completed the stream');
      const firstRefused = statuses.indexOf(409);
      assert.ok(firstRefused >= 0, `B was refused after A's completion: ${statuses.join(',')}`);
      assert.ok(
        statuses.slice(firstRefused).every((status) => status === 409),
        `nothing was accepted after the first refusal (the stream never reopened): ${statuses.join(',')}`,
      );
      // Refused by Redis while B still holds its writer, and by B's store once it let go of it.
      assert.equal(await appendOnB('b-late'), 409);
      await assert.rejects(b.publisher.append(address, { data: 'direct' }), SseStreamClosedError);
      await assert.rejects(a.publisher.append(address, { data: 'on A' }), SseStreamClosedError);

      const expectedBody = `retry: ${RETRY}\n\n${acknowledged.map(([id, data]) => `id: ${id}\ndata: ${data}\n\n`).join('')}`;
      for (const [where, raw] of [
        ['B', rawOnB],
        ['A', rawOnA],
      ] as const) {
        const read = await raw;
        assert.equal(read.end, 'ended', `the reader on ${where} ended`);
        assert.equal(read.body, expectedBody, `the reader on ${where} got exactly the acknowledged events`);
      }
      await client.waitForClosed();
      assert.deepEqual(
        client.messages.map((message) => [message.lastEventId, message.data]),
        acknowledged,
      );
      const resumed = b.streamRequests(address).at(-1)!;
      assert.deepEqual([resumed.status, resumed.lastEventIds], [204, [acknowledged.at(-1)![0]]], 'its resumption on B was answered 204');
      console.log(
        `[A ${platformA}, B ${platformB}] B's appends: ${statuses.join(',')} (then 409); ${acknowledged.length} events acknowledged, ` +
          'all delivered on both instances, then 204',
      );
      assert.deepEqual([...a.errorsLogged(), ...b.errorsLogged()], []);
    });
  });
}

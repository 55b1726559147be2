import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSoakReport } from '../../bench/soak/soak-report';
import { runSoak } from '../../bench/soak/soak-run';
import { REDIS_URL } from '../support/caches';

/**
 * The short form of the soak (`npm run soak` runs 1,000 clients for 60 s): two sample processes
 * sharing Redis, 200 resuming SSE clients, one instance killed with SIGKILL midway and started
 * again. Needs Redis; no timing assertions (the latencies are printed, not checked). The rate is
 * low enough for a busy 2-core machine: what is checked is exactness, not speed.
 */
test('200 clients on two instances, one killed and restarted: every client ends with every event once, in order', {
  timeout: 240_000,
}, async (t) => {
  const result = await runSoak({
    clients: 200,
    streams: 20,
    durationSeconds: 15,
    rate: 100,
    killAtSeconds: 5,
    restartDelayMs: 500,
    retryMs: 300,
    drainTimeoutMs: 60_000,
    clientProcesses: 2,
    idleClients: 0,
    redisUrl: REDIS_URL,
  });
  t.diagnostic(`\n${formatSoakReport(result)}`);

  assert.deepEqual(result.publishFailures, [], 'every publish request was acknowledged');
  assert.deepEqual(result.clientFailures, [], 'every client reached the end of its stream');
  for (const ids of result.publishedIds) assert.ok(ids.length > 10, 'every stream was published to throughout the run');

  // Compared here directly rather than through the run's own counts.
  const inexact = result.clients.filter((client) => {
    const ids = result.publishedIds[client.stream];
    return client.receivedIds.length !== ids.length || client.receivedIds.some((id, at) => id !== ids[at]);
  });
  assert.deepEqual(
    inexact.map((client) => client.index),
    [],
    'every client received exactly the acknowledged events of its stream, each once, in order',
  );
  assert.deepEqual(
    { lost: result.lost, duplicated: result.duplicated, reordered: result.reordered, unexpected: result.unexpected },
    { lost: 0, duplicated: 0, reordered: 0, unexpected: 0 },
  );
  assert.equal(result.held, result.expected);

  // The kill was felt, and the clients came back both ways.
  assert.ok(result.broken >= 1, 'connections to the killed instance broke');
  assert.ok(result.resumedOnSurvivor >= 1, 'clients resumed on the instance that stayed up');
  assert.ok(result.resumedOnRestarted >= 1, 'clients resumed on the restarted instance');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSoakReport } from '../../bench/soak/soak-report';
import { runSoak } from '../../bench/soak/soak-run';
import { REDIS_URL } from '../support/caches';

/**
 * The soak's idle-client mode in small (`npm run soak -- --idle-clients 10000` runs it in full):
 * idle clients on streams of their own beside the active ones, through the kill and the end of
 * the run. Checks that it runs, that every idle client ends with its stream's one event, and that
 * the RSS per idle connection is reported for both instances (its size is a figure, not checked).
 */
test('idle clients beside the active ones: each ends with its one event, and their RSS cost is reported', {
  timeout: 180_000,
}, async (t) => {
  const idleClients = 300;
  const result = await runSoak({
    clients: 40,
    streams: 10,
    durationSeconds: 8,
    rate: 50,
    killAtSeconds: 3,
    restartDelayMs: 500,
    retryMs: 300,
    drainTimeoutMs: 60_000,
    clientProcesses: 2,
    idleClients,
    redisUrl: REDIS_URL,
  });
  t.diagnostic(`\n${formatSoakReport(result)}`);

  assert.deepEqual(result.publishFailures, []);
  assert.deepEqual(result.clientFailures, [], 'every client, idle or not, reached the end of its stream');
  assert.equal(result.clients.length, 40 + idleClients);
  assert.equal(result.held, result.expected, 'every client holds exactly the events of its stream');
  const idle = result.clients.filter((client) => client.stream >= 10);
  assert.equal(idle.length, idleClients);
  for (const client of idle) {
    assert.deepEqual(client.receivedIds, result.publishedIds[client.stream], `idle client ${client.index} holds its stream's event`);
    assert.equal(client.receivedIds.length, 1);
  }
  // Half the idle clients were on the killed instance: they came back too.
  assert.ok(result.broken >= idleClients / 2, 'the idle connections to the killed instance broke');

  assert.equal(result.idle?.clients, idleClients);
  assert.equal(result.idle.perConnectionKiB.length, 2);
  for (const value of [...result.idle.rssBeforeMiB, ...result.idle.rssAfterMiB, ...result.idle.perConnectionKiB]) {
    assert.ok(Number.isFinite(value), 'every RSS figure was read');
  }
});

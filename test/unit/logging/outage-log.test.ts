import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCause, OutageLog } from '../../../lib/logging/outage-log';

/** An OutageLog on a clock the test moves, writing to arrays. */
function outageLog() {
  const lines: [level: 'warn' | 'log', message: string][] = [];
  let now = 1_000;
  const log = new OutageLog(
    { warn: (message: string) => lines.push(['warn', message]), log: (message: string) => lines.push(['log', message]) },
    { started: (cause) => `down: ${cause}`, ended: (duration, failures) => `up after ${duration}, ${failures} failed` },
    () => now,
  );
  return { log, lines, advance: (ms: number) => (now += ms) };
}

const refused = (): Error => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6399'), { code: 'ECONNREFUSED' });

test('an outage is one warning when it starts and one line when it ends, with its duration and the failures counted', () => {
  const { log, lines, advance } = outageLog();
  log.succeeded();
  assert.deepEqual(lines, [], 'a success outside an outage says nothing');
  log.failed(new Error('first'));
  assert.equal(log.isOut, true);
  for (let n = 0; n < 99; n++) {
    advance(200);
    log.failed(refused());
  }
  advance(250);
  log.succeeded();
  log.succeeded();
  assert.equal(log.isOut, false);
  assert.deepEqual(lines, [
    ['warn', 'down: first'],
    ['log', 'up after 20.1 s, 100 failed'],
  ]);
});

test('a failure of an operation that started before the outage ended does not start another', () => {
  const { log, lines } = outageLog();
  log.failed(new Error('down'));
  const markDuringOutage = log.mark;
  log.succeeded();
  log.failed(new Error('sent during the outage, timed out after it'), markDuringOutage);
  assert.equal(log.isOut, false);
  log.failed(new Error('again'));
  assert.deepEqual(
    lines.map(([level]) => level),
    ['warn', 'log', 'warn'],
  );
  assert.equal(lines[2][1], 'down: again');
});

test('the cause named is the system error of the chain, else the innermost error', () => {
  const timeout = new Error('Redis did not answer within 500 ms', { cause: refused() });
  assert.equal(describeCause(new Error('Redis could not be read.', { cause: timeout })), 'connect ECONNREFUSED 127.0.0.1:6399');
  // Node's error for a host with several addresses: an AggregateError with the code and no message.
  const aggregate = Object.assign(new AggregateError([refused()], ''), { code: 'ECONNREFUSED' });
  assert.equal(describeCause(new Error('wrapper', { cause: aggregate })), 'connect ECONNREFUSED 127.0.0.1:6399');
  assert.equal(describeCause(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
  assert.equal(describeCause(new Error('outer', { cause: new Error('no answer within 500 ms') })), 'no answer within 500 ms');
  assert.equal(describeCause('a string'), 'a string');
  assert.equal(describeCause(undefined), 'no cause given');
  const circular = new Error('loops');
  circular.cause = circular;
  assert.equal(describeCause(circular), 'loops');
});

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { encodeEvent } from '../../../lib/encoding/stored-records';
import { ChangeSignal } from '../../../lib/stream/change-signal';
import { AppendedEvents } from '../../../lib/encoding/appended-events';

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

test('a notification that came before the wait is not lost', async () => {
  const signal = new ChangeSignal();
  signal.notify();
  assert.equal(await settled(signal.wait(undefined)), true);
});

test('reset forgets earlier notifications', async () => {
  const signal = new ChangeSignal();
  signal.notify();
  signal.reset();
  const waiting = signal.wait(undefined);
  assert.equal(await settled(waiting), false);
  signal.notify();
  assert.equal(await settled(waiting), true);
});

test('a wait without a timeout only ends on a notification', async () => {
  const signal = new ChangeSignal();
  const waiting = signal.wait(undefined);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(await settled(waiting), false);
  signal.notify();
  assert.equal(await settled(waiting), true);
});

test('a wait with a timeout ends when the poll is due', async () => {
  const signal = new ChangeSignal();
  await signal.wait(5);
});

const appended = (first: number, count: number) =>
  new AppendedEvents(
    first,
    Array.from({ length: count }, (_, index) => encodeEvent(`event ${first + index}`, undefined, undefined, 0)),
  );

test('the events notified since the last look are handed over in order when nothing else changed', async () => {
  const signal = new ChangeSignal();
  const first = appended(1, 2);
  const second = appended(3, 1);
  signal.notify(first);
  signal.notify(second);
  await signal.wait(undefined);
  assert.deepEqual(signal.takeAppends(), [first, second]);
  assert.equal(await settled(signal.wait(undefined)), false, 'taking them resets the signal');
});

test('a notification without events makes the reader read, whatever came with the others', () => {
  for (const order of ['before', 'after'] as const) {
    const signal = new ChangeSignal();
    if (order === 'after') signal.notify(appended(1, 1));
    signal.notify();
    if (order === 'before') signal.notify(appended(1, 1));
    assert.equal(signal.takeAppends(), undefined, `plain notification ${order} the events`);
  }
});

test('a wait that timed out, with nothing notified, makes the reader read', async () => {
  const signal = new ChangeSignal();
  await signal.wait(1);
  assert.equal(signal.takeAppends(), undefined);
});

test('a reader that falls far behind reads instead of keeping every append', () => {
  const signal = new ChangeSignal();
  for (let sequence = 1; sequence <= 1_000; sequence++) signal.notify(appended(sequence, 1));
  assert.equal(signal.takeAppends(), undefined);
});

test('reset forgets the events notified before it', () => {
  const signal = new ChangeSignal();
  signal.notify(appended(1, 1));
  signal.reset();
  const later = appended(2, 1);
  signal.notify(later);
  assert.deepEqual(signal.takeAppends(), [later]);
});

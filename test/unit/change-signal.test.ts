import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ChangeSignal } from '../../lib/stream/change-signal';

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

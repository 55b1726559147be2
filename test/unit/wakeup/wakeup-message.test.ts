import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { encodeEvent } from '../../../lib/encoding/stored-records';
import { AppendedEvents, MAX_PUSHED_CHARS } from '../../../lib/encoding/appended-events';
import { decodeWakeupMessage, encodeWakeupMessage, isFromOrigin } from '../../../lib/encoding/wakeup-message';

const ORIGIN = '6f1c2c44-7a43-4b9e-9d55-0f7f1f1b7f0e';

test('the events of an append travel with the wake-up and come out as stored', () => {
  const payloads = [
    encodeEvent({ text: 'line one\nline two', emoji: '🚀' }, 'message', 500, 1),
    encodeEvent('plain', undefined, undefined, 2),
    encodeEvent(null, undefined, undefined, 3),
  ];
  const decoded = decodeWakeupMessage(encodeWakeupMessage(ORIGIN, new AppendedEvents(41, payloads)));
  assert.equal(decoded.origin, ORIGIN);
  assert.equal(decoded.appended?.firstSequence, 41);
  assert.equal(decoded.appended?.lastSequence, 43);
  assert.deepEqual(decoded.appended?.record(41), { data: { text: 'line one\nline two', emoji: '🚀' }, type: 'message', retry: 500 });
  assert.deepEqual(decoded.appended?.record(42), { data: 'plain' });
  assert.deepEqual(decoded.appended?.record(43), { data: null });
  assert.equal(decoded.appended?.record(40), undefined);
  assert.equal(decoded.appended?.record(44), undefined);
});

test('a plain wake-up carries only its origin', () => {
  assert.equal(encodeWakeupMessage(ORIGIN), ORIGIN);
  assert.deepEqual(decodeWakeupMessage(ORIGIN), { origin: ORIGIN });
});

test('an append too large to travel wakes readers without its events', () => {
  const large = encodeEvent('x'.repeat(MAX_PUSHED_CHARS), undefined, undefined, 0);
  assert.equal(encodeWakeupMessage(ORIGIN, new AppendedEvents(1, [large])), ORIGIN);
});

test('a message that cannot be read is a plain wake-up, so readers read the stream', () => {
  for (const message of [`${ORIGIN}\n`, `${ORIGIN}\nnot-a-number\n{}`, `${ORIGIN}\n0\n{}`, `${ORIGIN}\n-3\n{}`, `${ORIGIN}\n1.5\n{}`]) {
    assert.deepEqual(decodeWakeupMessage(message), { origin: ORIGIN }, JSON.stringify(message));
  }
  const unreadable = decodeWakeupMessage(`${ORIGIN}\n7\nnot json`);
  assert.equal(unreadable.appended?.record(7), undefined, 'an event that cannot be decoded is not delivered from the message');
});

test("a process's own wake-ups are recognised before decoding, with or without events", () => {
  const withEvents = encodeWakeupMessage(ORIGIN, new AppendedEvents(3, [encodeEvent('three', undefined, undefined, 0)]));
  assert.equal(isFromOrigin(ORIGIN, ORIGIN), true);
  assert.equal(isFromOrigin(withEvents, ORIGIN), true);
  assert.equal(isFromOrigin(`${ORIGIN}0`, ORIGIN), false, 'a longer origin that starts the same is another sender');
  assert.equal(isFromOrigin(withEvents.replace(ORIGIN, 'another-instance'), ORIGIN), false);
});

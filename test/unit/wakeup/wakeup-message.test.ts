import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
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

test("an append's wake-up carries its writer's time, with or without its events", () => {
  const writtenAt = 1_765_000_000_123;
  const small = new AppendedEvents(5, [encodeEvent('five', undefined, undefined, 0)]);
  const withEvents = encodeWakeupMessage(ORIGIN, small, writtenAt);
  assert.equal(withEvents.split('\n')[0], `${ORIGIN}@${writtenAt}`);
  const decoded = decodeWakeupMessage(withEvents);
  assert.equal(decoded.origin, ORIGIN);
  assert.equal(decoded.writtenAt, writtenAt);
  assert.deepEqual(decoded.appended?.record(5), { data: 'five' });

  const large = new AppendedEvents(1, [encodeEvent('x'.repeat(MAX_PUSHED_CHARS), undefined, undefined, 0)]);
  assert.deepEqual(decodeWakeupMessage(encodeWakeupMessage(ORIGIN, large, writtenAt)), { origin: ORIGIN, writtenAt });
  assert.equal(isFromOrigin(withEvents, ORIGIN), true, 'the own echo is recognised with its time');
  assert.equal(isFromOrigin(`${ORIGIN}@${writtenAt}`, ORIGIN), true);
});

test('a wake-up without a time (another version, or not an append) decodes as before, with no time', () => {
  const message = `${ORIGIN}\n3\n${encodeEvent('three', undefined, undefined, 0)}`;
  const decoded = decodeWakeupMessage(message);
  assert.equal(decoded.writtenAt, undefined);
  assert.deepEqual(decoded.appended?.record(3), { data: 'three' });
});

test('a time that cannot be read is left out, and the rest of the message is read as usual', () => {
  const event = encodeEvent('e', undefined, undefined, 0);
  for (const time of ['', 'abc', '-5', '1e12', ' 12', '12 ', '1.5', '0x10', '9'.repeat(16), '12@34', 'Infinity', '١٢٣']) {
    const decoded = decodeWakeupMessage(`${ORIGIN}@${time}\n2\n${event}`);
    assert.equal(decoded.writtenAt, undefined, JSON.stringify(time));
    assert.equal(decoded.origin, ORIGIN);
    assert.deepEqual(decoded.appended?.record(2), { data: 'e' }, JSON.stringify(time));
  }
});

test('no message, however malformed, makes decoding throw or yields a time that is not a whole number of ms', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: 'binary' }),
        fc
          .array(fc.oneof(fc.constantFrom('@', '\n', ORIGIN, '1', '-', '9007199254740993'), fc.string()), { maxLength: 8 })
          .map((parts) => parts.join('')),
      ),
      (message) => {
        const decoded = decodeWakeupMessage(message);
        if (decoded.writtenAt !== undefined) {
          assert.ok(Number.isSafeInteger(decoded.writtenAt) && decoded.writtenAt >= 0, String(decoded.writtenAt));
        }
        decoded.appended?.record(decoded.appended.firstSequence);
      },
    ),
    { numRuns: 2_000 },
  );
});

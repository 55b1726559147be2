import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeStoredEvent,
  encodeEvent,
  parseStored,
  type StoredEvent,
  storedWireData,
  toEventRecord,
} from '../../../lib/encoding/stored-records';

/** What a reader got before `decodeStoredEvent`: the whole record parsed, then its fields picked. */
function decodedWhole(raw: unknown): unknown {
  const stored = parseStored<StoredEvent>(raw);
  return stored && toEventRecord(stored);
}

const event = fc.record({
  data: fc.jsonValue(),
  type: fc.option(fc.string(), { nil: undefined }),
  retry: fc.option(fc.nat(), { nil: undefined }),
  writtenAt: fc.nat(),
});

test('every event as stored decodes to its data, type and retry, as the whole record parsed does', () => {
  fc.assert(
    fc.property(event, ({ data, type, retry, writtenAt }) => {
      const raw = encodeEvent(data, type, retry, writtenAt);
      const decoded = decodeStoredEvent(raw);
      assert.deepEqual(decoded, decodedWhole(raw));
      assert.deepEqual(decoded?.data, JSON.parse(JSON.stringify(data)));
    }),
  );
});

test('any other text decodes as the whole record parsed does: the same record, or unreadable (undefined)', () => {
  const stored = event.map(({ data, type, retry, writtenAt }) => encodeEvent(data, type, retry, writtenAt));
  // A stored event cut short, or with a few characters put in anywhere: the decoder must not read past the damage.
  const damaged = fc.tuple(stored, fc.nat(), fc.string({ maxLength: 3 }), fc.nat({ max: 3 })).map(([raw, at, inserted, removed]) => {
    const position = at % (raw.length + 1);
    return raw.slice(0, position) + inserted + raw.slice(position + removed);
  });
  fc.assert(
    fc.property(
      fc.oneof(
        damaged,
        fc.string(),
        fc.jsonValue().map((value) => JSON.stringify(value)),
      ),
      (raw) => {
        assert.deepEqual(decodeStoredEvent(raw), decodedWhole(raw));
      },
    ),
    { numRuns: 2_000 },
  );
});

test('records that look like the stored layout but are not decode like the whole record', () => {
  const cases = [
    // The field name inside the data, as a key and inside a string.
    '{"d":{"a":1,"w":2},"w":3}',
    '{"d":",\\"w\\":4}","w":5}',
    '{"d":[1,"w",{"w":0}],"w":7}',
    // Another field between the data and "w": the data alone is not what lies between them.
    '{"d":1,"x":2,"w":3}',
    '{"d":1,"t":"message","w":3}',
    '{"d":1,"d":2,"w":3}',
    // Not JSON: a leading zero, a sign, a fraction, nothing after the field, no closing brace.
    '{"d":1,"w":03}',
    '{"d":1,"w":-3}',
    '{"d":1,"w":3.5}',
    '{"d":1,"w":}',
    '{"d":1,"w":3',
    '{"d":,"w":3}',
    '{"d":1 2,"w":3}',
    // Valid ones around the edges.
    '{"d":1,"w":0}',
    '{"d": 1 ,"w":3}',
    '{"d":null,"w":3}',
    '{"d":"x","w":3,"t":"message","r":10}',
  ];
  for (const raw of cases) assert.deepEqual(decodeStoredEvent(raw), decodedWhole(raw), raw);
  assert.deepEqual(decodeStoredEvent('{"d":{"a":1,"w":2},"w":3}'), { data: { a: 1, w: 2 } });
  assert.deepEqual(decodeStoredEvent('{"d":1,"x":2,"w":3}'), { data: 1 });
  assert.equal(decodeStoredEvent('{"d":1,"w":03}'), undefined);
});

test("the wire text of an event stored without type and retry is its data's JSON; other events have none", () => {
  fc.assert(
    fc.property(event, ({ data, type, retry, writtenAt }) => {
      const raw = encodeEvent(data, type, retry, writtenAt);
      const value = decodeStoredEvent(raw)?.data;
      const expected = type === undefined && retry === undefined && typeof value !== 'string' ? JSON.stringify(value) : undefined;
      assert.equal(storedWireData(raw), expected);
    }),
  );
  assert.equal(storedWireData('{"d":{"a":1,"w":2},"w":3}'), '{"a":1,"w":2}');
  assert.equal(storedWireData('{"d":"text","w":3}'), undefined, 'a string is sent as it is, not as its JSON');
  assert.equal(storedWireData('{"d":1,"w":3,"t":"message"}'), undefined);
  assert.equal(storedWireData('{"x":1}'), undefined);
});

test('what is not text is unreadable', () => {
  for (const raw of [undefined, null, 7, { d: 1, w: 2 }, Buffer.from('{"d":1,"w":2}')]) assert.equal(decodeStoredEvent(raw), undefined);
});

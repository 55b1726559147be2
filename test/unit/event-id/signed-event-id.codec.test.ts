import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createEventIdFormat } from '../../../lib/event-id/create-event-id-format';
import { EventIdCodec, encodeIdPart } from '../../../lib/event-id/event-id.codec';
import { SignedEventIdCodec } from '../../../lib/event-id/signed-event-id.codec';

const CURRENT = 'current-secret-0123456789abcdef-xyz';
const PREVIOUS = randomBytes(32);
const codec = new SignedEventIdCodec([CURRENT], 1024);
const address = { sessionId: 'session-1234', streamId: 'stream-5678' };
const SIGNED_ID = /^[A-Za-z0-9_-]+\.(?:0|[1-9][0-9]*)\.[A-Za-z0-9_-]{22}$/;

/** The id with one character replaced by another base64url character. */
function withCharacter(id: string, index: number, replacement: string): string {
  return id.slice(0, index) + replacement + id.slice(index + 1);
}

describe('SignedEventIdCodec', () => {
  describe('format', () => {
    it('is token.sequence.mac, with only characters safe in headers and keys', () => {
      const id = codec.format(address, 42);
      assert.match(id, SIGNED_ID);
      assert.equal(id.split('.')[1], '42');
    });

    it('hides the session and stream ids: neither their text nor their plain base64url encoding appears', () => {
      const sessionId = 'user-8f3a2c@example.com';
      const streamId = 'notifications';
      const id = codec.format({ sessionId, streamId }, 1);
      for (const part of [sessionId, streamId, 'user', 'example', 'notif']) assert.ok(!id.includes(part), `'${part}' is visible in ${id}`);
      for (const part of [encodeIdPart(sessionId), encodeIdPart(streamId)]) {
        assert.ok(!id.includes(part.slice(0, 8)), `the plain encoding '${part}' is visible in ${id}`);
      }
      const token = Buffer.from(id.split('.')[0], 'base64url');
      assert.ok(!token.includes(Buffer.from(sessionId)), 'the session bytes are not in the token');
    });

    it('gives every id of a stream the same token, computed once per stream', () => {
      const ids = codec.forStream(address);
      const tokens = new Set([1, 2, 3, 1000].map((sequence) => ids(sequence).split('.')[0]));
      assert.equal(tokens.size, 1);
      assert.equal(ids(7), codec.format(address, 7));
      assert.equal(new SignedEventIdCodec([CURRENT], 1024).format(address, 7), ids(7), 'deterministic across instances');
    });

    it('gives streams of one session unrelated tokens, so ids do not reveal that they share a session', () => {
      const a = codec.format({ sessionId: 'same-session', streamId: 'a' }, 1).split('.')[0];
      const b = codec.format({ sessionId: 'same-session', streamId: 'b' }, 1).split('.')[0];
      // The synthetic IV is the first 16 bytes of the token: it differs whenever the plaintext does.
      assert.notEqual(a.slice(0, 22), b.slice(0, 22));
    });

    it('depends on the secret: another secret signs the same event differently', () => {
      const other = new SignedEventIdCodec([PREVIOUS], 1024);
      assert.notEqual(other.format(address, 1).split('.')[0], codec.format(address, 1).split('.')[0]);
      assert.notEqual(other.format(address, 1).split('.')[2], codec.format(address, 1).split('.')[2]);
    });
  });

  describe('round trips', () => {
    const pairs: [string, string][] = [
      ['', ''],
      ['', 'x'],
      ['x', ''],
      ['a\0b', 'c'],
      ['a', '\0bc'],
      ['with.dots', 'and:colons{braces}'],
      ['unicode ✓ 日本語 🎉', 'ストリーム'],
      ['_GET_stream', '_GET_stream'],
    ];
    for (const [sessionId, streamId] of pairs) {
      it(`session ${JSON.stringify(sessionId)}, stream ${JSON.stringify(streamId)}`, () => {
        for (const sequence of [0, 1, 99, Number.MAX_SAFE_INTEGER]) {
          assert.deepEqual(codec.parse(codec.format({ sessionId, streamId }, sequence)), { sessionId, streamId, sequence });
        }
      });
    }

    it('the longest session and stream ids the limits allow round-trip', () => {
      const small = new SignedEventIdCodec([CURRENT], 8);
      const widest = { sessionId: '𝄞'.repeat(4), streamId: '𝄞'.repeat(4) }; // 8 UTF-16 units, 16 UTF-8 bytes each
      assert.deepEqual(small.parse(small.format(widest, Number.MAX_SAFE_INTEGER)), { ...widest, sequence: Number.MAX_SAFE_INTEGER });
      const tooLong = small.format({ sessionId: 'x'.repeat(200), streamId: '' }, 1);
      assert.equal(small.parse(tooLong), undefined, 'an id longer than any the limits allow is refused unread');
    });

    it('any well-formed session and stream id and safe sequence round-trips (property)', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'binary', maxLength: 64 }),
          fc.string({ unit: 'binary', maxLength: 64 }),
          fc.maxSafeNat(),
          (sessionId, streamId, sequence) => {
            assert.deepEqual(codec.parse(codec.format({ sessionId, streamId }, sequence)), { sessionId, streamId, sequence });
          },
        ),
        { numRuns: 500 },
      );
    });
  });

  describe('refuses', () => {
    const id = codec.format(address, 12);
    const [token, sequence, mac] = id.split('.');
    const refused: [string, unknown][] = [
      ['another sequence with the same MAC', `${token}.13.${mac}`],
      ['sequence 0 with the MAC of 12', `${token}.0.${mac}`],
      ['a leading zero in the sequence', `${token}.0${sequence}.${mac}`],
      ['the MAC of another event of the stream', `${token}.${sequence}.${codec.format(address, 11).split('.')[2]}`],
      ['the token of another stream', `${codec.format({ ...address, streamId: 'other' }, 12).split('.')[0]}.${sequence}.${mac}`],
      ['a truncated MAC', id.slice(0, -1)],
      ['a MAC one character longer', `${id}A`],
      ['a non-canonical MAC (unused bits set)', withCharacter(id, id.length - 1, mac.endsWith('B') ? 'C' : 'B')],
      ['a truncated token', `${token.slice(0, -4)}.${sequence}.${mac}`],
      ['no MAC', `${token}.${sequence}`],
      ['an empty MAC', `${token}.${sequence}.`],
      ['an extra part', `${id}.1`],
      ['the plain id of the same event', new EventIdCodec(1024).format(address, 12)],
      ['base64 padding on the MAC', `${id}==`],
      ['an empty string', ''],
      ['two dots', '..'],
      ['a 1 MB id', `${'A'.repeat(1024 * 1024)}.1.${mac}`],
      ['not a string', 12],
      ['null', null],
    ];
    for (const [what, candidate] of refused) {
      it(what, () => assert.equal(codec.parse(candidate), undefined));
    }

    it('any single changed character of an id (property)', () => {
      const ids = [
        codec.format(address, 12),
        codec.format({ sessionId: '', streamId: '' }, 0),
        codec.format({ sessionId: '日本', streamId: 's' }, 987654321),
      ];
      fc.assert(
        fc.property(fc.constantFrom(...ids), fc.nat(), fc.constantFrom(...'ABCabc019-_.{}:'), (original, at, replacement) => {
          const index = at % original.length;
          const changed = withCharacter(original, index, replacement);
          fc.pre(changed !== original);
          assert.equal(codec.parse(changed), undefined, `${original} -> ${changed}`);
        }),
        { numRuns: 2_000 },
      );
    });

    it('ids signed with a secret it does not know', () => {
      const stranger = new SignedEventIdCodec([randomBytes(32)], 1024);
      assert.equal(codec.parse(stranger.format(address, 1)), undefined);
      assert.equal(stranger.parse(id), undefined);
    });

    it('the plain codec refuses signed ids', () => {
      assert.equal(new EventIdCodec(1024).parse(id), undefined);
    });
  });

  describe('secret rotation', () => {
    const before = new SignedEventIdCodec([PREVIOUS], 1024);
    const during = new SignedEventIdCodec([CURRENT, PREVIOUS], 1024);
    const after = new SignedEventIdCodec([CURRENT], 1024);
    const oldId = before.format(address, 5);

    it('while the previous secret is listed, its ids still resume', () => {
      assert.deepEqual(during.parse(oldId), { ...address, sequence: 5 });
    });

    it('the first secret signs: new ids are the ones the new secret alone accepts', () => {
      const newId = during.format(address, 6);
      assert.equal(newId, after.format(address, 6));
      assert.deepEqual(after.parse(newId), { ...address, sequence: 6 });
      assert.equal(before.parse(newId), undefined, 'an instance not yet given the new secret refuses its ids');
    });

    it('once the previous secret is dropped, its ids are refused', () => {
      assert.equal(after.parse(oldId), undefined);
    });

    it('a string secret and the Buffer of its UTF-8 bytes are the same secret', () => {
      const fromBuffer = new SignedEventIdCodec([Buffer.from(CURRENT, 'utf8')], 1024);
      assert.equal(fromBuffer.format(address, 3), codec.format(address, 3));
    });
  });

  describe('createEventIdFormat', () => {
    it('plain without a secret, in exactly the unsigned format', () => {
      const plain = createEventIdFormat({ maxIdLength: 1024 });
      assert.equal(plain.format({ sessionId: 's1', streamId: 'news' }, 1), 'czE.bmV3cw.1');
    });

    it('signed with a secret or a list of secrets, the first one signing', () => {
      assert.equal(createEventIdFormat({ maxIdLength: 1024, eventIdSecret: CURRENT }).format(address, 1), codec.format(address, 1));
      const rotating = createEventIdFormat({ maxIdLength: 1024, eventIdSecret: [CURRENT, PREVIOUS] });
      assert.equal(rotating.format(address, 1), codec.format(address, 1));
      assert.deepEqual(rotating.parse(new SignedEventIdCodec([PREVIOUS], 1024).format(address, 1)), { ...address, sequence: 1 });
    });
  });
});

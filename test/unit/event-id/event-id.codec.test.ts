import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EventIdCodec } from '../../../lib/event-id/event-id.codec';

const codec = new EventIdCodec(1024);
const prefix = codec.streamPrefix({ sessionId: 'session', streamId: 'stream' });

describe('EventIdCodec', () => {
  describe('round trips', () => {
    const ids: [string, string][] = [
      ['plain', 'plain'],
      ['with:colons:inside', 'a:b'],
      ['dots.in.it', '...'],
      ['{braces}', '}{'],
      ['unicode ✓ 日本語 🎉', 'ストリーム'],
      ['', ''],
      ['', 'only-stream'],
      ['only-session', ''],
      ['_GET_stream', '_GET_stream'],
      ['a/b+c=d', '%20 \n\t\0'],
    ];
    for (const [sessionId, streamId] of ids) {
      for (const sequence of [0, 1, 42, Number.MAX_SAFE_INTEGER]) {
        it(`session ${JSON.stringify(sessionId)}, stream ${JSON.stringify(streamId)}, sequence ${sequence}`, () => {
          const id = codec.format({ sessionId, streamId }, sequence);
          assert.deepEqual(codec.parse(id), { sessionId, streamId, sequence });
        });
      }
    }

    it('format is the stream prefix followed by the sequence', () => {
      const address = { sessionId: 's:1', streamId: 'x.y' };
      assert.equal(codec.format(address, 7), `${codec.streamPrefix(address)}7`);
    });

    it('ids of different streams, sessions or sequences never collide', () => {
      const addresses = [
        { sessionId: 'a', streamId: 'b' },
        { sessionId: 'b', streamId: 'a' },
        { sessionId: 'a.b', streamId: '' },
        { sessionId: 'a', streamId: '.b' },
        { sessionId: '', streamId: 'a.b' },
        { sessionId: 'a:', streamId: 'b' },
        { sessionId: 'a', streamId: ':b' },
      ];
      const ids = addresses.flatMap((address) => [1, 2, 11].map((sequence) => codec.format(address, sequence)));
      assert.equal(new Set(ids).size, ids.length);
    });

    it('ids carry no plain session or stream id, and only characters safe in keys and headers', () => {
      const id = codec.format({ sessionId: 'secret-session{x}', streamId: 'stream:1' }, 3);
      assert.doesNotMatch(id, /secret|stream|[{}:=+/]/);
      assert.match(id, /^[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[0-9]+$/);
    });

    it('any well-formed session and stream id and safe sequence round-trips (property)', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: 'binary', maxLength: 64 }),
          fc.string({ unit: 'binary', maxLength: 64 }),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          (sessionId, streamId, sequence) => {
            assert.deepEqual(codec.parse(codec.format({ sessionId, streamId }, sequence)), { sessionId, streamId, sequence });
          },
        ),
        { numRuns: 500 },
      );
    });
  });

  describe('rejects', () => {
    const rejected: [string, unknown][] = [
      ['the empty string', ''],
      ['one part', 'abc'],
      ['two parts', 'c2Vzc2lvbg.1'],
      ['four parts', `${prefix}1.2`],
      ['an extra separator at the end', `${prefix}1.`],
      ['an extra separator at the start', `.${prefix}1`],
      ['an empty sequence', prefix],
      ['a non-numeric sequence', `${prefix}abc`],
      ['a hexadecimal sequence', `${prefix}0x10`],
      ['an exponent', `${prefix}1e3`],
      ['a negative sequence', `${prefix}-1`],
      ['a plus sign', `${prefix}+1`],
      ['a leading zero', `${prefix}01`],
      ['two zeros', `${prefix}00`],
      ['whitespace around the sequence', `${prefix} 1`],
      ['a trailing newline', `${prefix}1\n`],
      ['the first unsafe integer', `${prefix}${Number.MAX_SAFE_INTEGER + 1}`],
      ['17 digits', `${prefix}10000000000000000`],
      ['a huge sequence', `${prefix}${'9'.repeat(400)}`],
      ['invalid base64 characters', '!!!.c3RyZWFt.1'],
      ['standard (non-url) base64', `${Buffer.from('??>').toString('base64')}.c3RyZWFt.1`],
      ['base64 padding', `${Buffer.from('ab').toString('base64')}.c3RyZWFt.1`],
      ['an impossible base64 length', 'YWJjZ.c3RyZWFt.1'],
      ['non-canonical base64 (unused bits set)', 'QR.c3RyZWFt.1'],
      ['bytes that are not UTF-8', `${Buffer.from([0xff, 0xfe]).toString('base64url')}.c3RyZWFt.1`],
      ['an encoded lone surrogate', `${Buffer.from([0xed, 0xa0, 0x80]).toString('base64url')}.c3RyZWFt.1`],
      ['unicode in the id text', 'séssion.c3RyZWFt.1'],
      ['an emoji in the sequence', `${prefix}1🎉`],
      ['full-width digits', `${prefix}１`],
      ['a 1 MB id', `${'A'.repeat(1024 * 1024)}.c3RyZWFt.1`],
      ['undefined', undefined],
      ['null', null],
      ['a number', 1],
      ['an object', { toString: () => `${prefix}1` }],
      ['an array', [`${prefix}1`]],
    ];
    for (const [what, id] of rejected) {
      it(what, () => assert.equal(codec.parse(id), undefined));
    }

    it('ids longer than the longest id the configured limits allow, even if well-formed', () => {
      const small = new EventIdCodec(4);
      const fits = small.format({ sessionId: '日本語だ', streamId: '日本語だ' }, Number.MAX_SAFE_INTEGER);
      assert.deepEqual(small.parse(fits)?.sequence, Number.MAX_SAFE_INTEGER);
      const tooLong = small.format({ sessionId: 'x'.repeat(60), streamId: 'y' }, 1);
      assert.equal(small.parse(tooLong), undefined);
    });

    it('never throws, whatever the input (property)', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.string({ unit: 'binary' }),
            fc.string({ unit: fc.constantFrom('.', 'A', '0', '1', '-', '_', '=', '\ud800') }),
            fc.anything(),
          ),
          (input) => {
            const parsed = codec.parse(input);
            if (parsed !== undefined) assert.equal(codec.format(parsed, parsed.sequence), input);
          },
        ),
        { numRuns: 2_000 },
      );
    });
  });
});

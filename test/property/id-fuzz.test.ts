import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import fc from 'fast-check';
import { type SseEventStore, SseInvalidInputError, type SseStreamAddress } from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import type { EventIdFormat } from '../../lib/event-id/event-id-format.interface';
import { SignedEventIdCodec } from '../../lib/event-id/signed-event-id.codec';
import { CacheKeys } from '../../lib/storage/cache-keys';
import { WakeupChannels } from '../../lib/wakeup/wakeup-channels';
import { collect } from '../support/async';
import { bounded, HangError } from '../support/bounded';
import { openStoreBackend, STORE_BACKENDS, type BackendStore, type StoreBackend, type StoreBackendCache } from '../support/store-backends';

Logger.overrideLogger(['error', 'warn']);

const MAX_ID_LENGTH = DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength;
const MEBIBYTE = 1024 * 1024;

/** What a store call did: answered, or rejected. */
async function outcomeOf<T>(call: () => Promise<T>, what: string): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await bounded(call(), what) };
  } catch (error) {
    if (error instanceof HangError) throw error;
    return { error };
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Characters that separate, delimit or encode something somewhere: in ids, keys, hash tags, base64. */
const TRICKY_UNITS = [
  '.',
  ':',
  '{',
  '}',
  '-',
  '_',
  '+',
  '/',
  '=',
  '0',
  '1',
  '9',
  'A',
  'Q',
  'Y',
  'c',
  'w',
  ' ',
  '\n',
  '\0',
  'é',
  '日',
  '🎉',
  '\ud800',
  '\udfff',
];

const trickyString = (maxLength: number) => fc.string({ unit: fc.constantFrom(...TRICKY_UNITS), maxLength });

/** Session and stream ids: random text, unicode, and strings made of separators and encodings. */
const idTextArbitrary = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  trickyString(24),
  fc.constantFrom('', '{}', '}{', ':', '.', '..', 'YQ', 'a:b', '{a}'),
);

/** Strings of up to 1 MiB, built by repetition so that generating them stays cheap. */
const hugeStringArbitrary = fc
  .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), fc.integer({ min: 2_000, max: MEBIBYTE }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

/** Ways to damage a valid id, each applied at a position chosen by `at`. */
type Mutation =
  | { kind: 'replace' | 'insert'; at: number; text: string }
  | { kind: 'delete' | 'truncate'; at: number }
  | { kind: 'sequence'; text: string }
  | { kind: 'duplicate-part' | 'swap-parts'; at: number }
  | { kind: 'wrap'; before: string; after: string };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('replace' as const, 'insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...TRICKY_UNITS), fc.string({ unit: 'binary', maxLength: 3 })),
  }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('sequence' as const),
    text: fc.oneof(
      fc.constantFrom(
        '-1',
        '+1',
        '01',
        '00',
        '1e3',
        '0x10',
        '1.5',
        '１',
        ' 1',
        '1\n',
        '',
        String(Number.MAX_SAFE_INTEGER + 1),
        '9'.repeat(400),
      ),
      fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
      fc.nat().map((n) => `0${n}`),
    ),
  }),
  fc.record({ kind: fc.constantFrom('duplicate-part' as const, 'swap-parts' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('wrap' as const),
    before: fc.constantFrom('', '{', ' ', '.', '"'),
    after: fc.constantFrom('', '}', ' ', '.', '\r\n', '"'),
  }),
);

function mutate(id: string, mutation: Mutation): string {
  const at = 'at' in mutation ? mutation.at % (id.length + 1) : 0;
  const parts = id.split('.');
  const part = 'at' in mutation ? mutation.at % parts.length : 0;
  switch (mutation.kind) {
    case 'replace':
      return id.slice(0, at) + mutation.text + id.slice(at + 1);
    case 'insert':
      return id.slice(0, at) + mutation.text + id.slice(at);
    case 'delete':
      return id.slice(0, at) + id.slice(at + 1);
    case 'truncate':
      return id.slice(0, at);
    case 'sequence': {
      // The sequence is the part made of digits: the last one in plain ids, the middle one in signed ids.
      const index = parts.findLastIndex((text) => /^[0-9]+$/.test(text));
      parts[index < 0 ? parts.length - 1 : index] = mutation.text;
      return parts.join('.');
    }
    case 'duplicate-part':
      parts.splice(part, 0, parts[part]);
      return parts.join('.');
    case 'swap-parts':
      [parts[part], parts[(part + 1) % parts.length]] = [parts[(part + 1) % parts.length], parts[part]];
      return parts.join('.');
    case 'wrap':
      return mutation.before + id + mutation.after;
  }
}

/** What a client may send as `Last-Event-ID`, given the ids the store issued. */
function lastEventIdArbitrary(issued: readonly string[]): fc.Arbitrary<unknown> {
  const valid = fc.constantFrom(...issued);
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(valid, fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }))
        .map(([id, mutations]) => mutations.reduce(mutate, id)),
    },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 2, arbitrary: trickyString(80) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
    { weight: 1, arbitrary: valid },
    { weight: 1, arbitrary: fc.anything() },
  );
}

// ---------------------------------------------------------------------------------------------

const ADDRESSES: SseStreamAddress[] = [
  { sessionId: 's', streamId: 'a' },
  { sessionId: 's', streamId: '' },
  { sessionId: '{s}', streamId: 'a' },
  { sessionId: 's.a', streamId: '' },
  { sessionId: 'a:b', streamId: 'c:d' },
  { sessionId: '日本 🎉', streamId: '}{' },
];
const EVENTS_PER_STREAM = 3;

interface Format {
  name: string;
  secret?: Buffer;
  codec: EventIdFormat;
}

function formats(): Format[] {
  const secret = randomBytes(32);
  return [
    { name: 'plain ids', codec: new EventIdCodec(MAX_ID_LENGTH) },
    { name: 'signed ids', secret, codec: new SignedEventIdCodec([secret], MAX_ID_LENGTH) },
  ];
}

/** Inputs tried per property on the in-memory cache; the Redis paths get fewer (a round trip each). */
function runsFor(backend: StoreBackend, memoryRuns: number): number {
  return backend === 'memory' ? memoryRuns : Math.ceil(memoryRuns / 5);
}

for (const backend of STORE_BACKENDS) {
  describe(`hostile ids on ${backend}`, () => {
    let cache: StoreBackendCache;
    const opened: BackendStore[] = [];
    before(async () => (cache = await openStoreBackend(backend)));
    after(async () => {
      for (const store of opened) await store.close();
      await cache.close();
    });

    for (const format of formats()) {
      describe(format.name, () => {
        let store: SseEventStore;
        const issued: string[] = [];
        /** Every id that names a position of a stream: sequence 0 up to the last one written. */
        const resumable = new Set<string>();

        before(async () => {
          const created = cache.openStore(format.secret ? { eventIdSecret: format.secret } : {});
          opened.push(created);
          store = created.store;
          for (const address of ADDRESSES) {
            const writer = await store.createStream(address);
            for (let n = 0; n < EVENTS_PER_STREAM; n++) issued.push((await writer.write({ data: n })).id);
            await writer.complete();
            for (let sequence = 0; sequence <= EVENTS_PER_STREAM; sequence++) resumable.add(format.codec.format(address, sequence));
          }
        });

        it('getStreamReader answers a reader exactly for the ids of stored positions, and null otherwise; it never throws untyped or hangs', async () => {
          let readers = 0;
          await fc.assert(
            fc.asyncProperty(lastEventIdArbitrary(issued), async (lastEventId) => {
              const what = `getStreamReader(${typeof lastEventId === 'string' ? JSON.stringify(lastEventId.slice(0, 80)) : typeof lastEventId})`;
              const outcome = await outcomeOf(() => store.getStreamReader(lastEventId as string), what);
              // Nothing here is expired or unreachable, so not even a typed error is acceptable.
              if ('error' in outcome) assert.fail(`${what} rejected: ${String(outcome.error)}`);
              const isResumable = typeof lastEventId === 'string' && resumable.has(lastEventId);
              assert.equal(outcome.value !== null, isResumable, `${what}: ${outcome.value ? 'a reader' : 'null'}`);
              if (outcome.value) readers++;
            }),
            { numRuns: runsFor(backend, 3_000) },
          );
          assert.ok(readers > 0, 'some inputs were resumable ids');
        });

        it('getStreamReader answers null for strings of up to 1 MiB, in bounded time', async () => {
          await fc.assert(
            fc.asyncProperty(hugeStringArbitrary, fc.constantFrom('', '.', '.1', `.${issued[0]}`), async (huge, suffix) => {
              const outcome = await outcomeOf(() => store.getStreamReader(huge + suffix), `getStreamReader(${huge.length} characters)`);
              assert.deepEqual(outcome, { value: null });
            }),
            { numRuns: runsFor(backend, 40) },
          );
          // Well-formed but huge: a long valid-looking sequence, and an issued id with a padded part.
          for (const id of [`${issued[0]}${'0'.repeat(MEBIBYTE)}`, `${'A'.repeat(MEBIBYTE)}${issued[0]}`]) {
            assert.equal(await bounded(store.getStreamReader(id), 'a 1 MiB id'), null);
          }
        });
      });
    }

    it('createStream and deleteStreamsForSession take any well-formed id up to maxIdLength, and refuse the rest with SseInvalidInputError; distinct streams stay apart', async () => {
      const created = cache.openStore({});
      opened.push(created);
      const { store } = created;
      const longIdArbitrary = fc.string({ unit: 'binary', minLength: MAX_ID_LENGTH - 2, maxLength: MAX_ID_LENGTH + 2 });
      const anyId = fc.oneof({ weight: 6, arbitrary: idTextArbitrary }, { weight: 1, arbitrary: longIdArbitrary });
      const acceptable = (id: string) => id.length <= MAX_ID_LENGTH && id.isWellFormed();
      await fc.assert(
        fc.asyncProperty(
          fc.record({ sessionId: anyId, streamId: anyId }),
          fc.record({ sessionId: anyId, streamId: anyId }),
          async (first, second) => {
            // Each property run gets sessions of its own, so that runs cannot see one another's streams.
            const run = randomBytes(6).toString('base64url');
            const addresses = [first, second].map(({ sessionId, streamId }) => ({
              sessionId: acceptable(sessionId) ? `${run}${sessionId}`.slice(0, MAX_ID_LENGTH) : sessionId,
              streamId,
            }));
            const written = new Map<string, string>();
            for (const address of addresses) {
              const valid = acceptable(address.sessionId) && acceptable(address.streamId);
              const key = JSON.stringify(address);
              if (written.has(key)) continue;
              const outcome = await outcomeOf(
                async () => {
                  const writer = await store.createStream(address);
                  const { id } = await writer.write({ data: key });
                  await writer.complete();
                  return id;
                },
                `createStream(${key.slice(0, 100)})`,
              );
              if (!valid) {
                assert.ok(
                  'error' in outcome && outcome.error instanceof SseInvalidInputError,
                  `refused with SseInvalidInputError: ${key.slice(0, 100)}`,
                );
                continue;
              }
              assert.ok('value' in outcome, `accepted: ${key.slice(0, 100)}: ${'error' in outcome ? String(outcome.error) : ''}`);
              written.set(key, outcome.value);
            }
            // Every stream reads back exactly its own event, under its own id: no two addresses share a key.
            for (const [key, id] of written) {
              const address = JSON.parse(key) as SseStreamAddress;
              const events = await bounded(collect((await store.getStreamReaderFromStart(address))!.events()), 'read back');
              assert.deepEqual(
                events.map((event) => [event.id, event.data]),
                [[id, key]],
                `stream ${key.slice(0, 100)}`,
              );
            }
            for (const address of addresses) {
              const outcome = await outcomeOf(() => store.deleteStreamsForSession(address.sessionId), 'deleteStreamsForSession');
              if (acceptable(address.sessionId))
                assert.ok('value' in outcome, `deleted: ${'error' in outcome ? String(outcome.error) : ''}`);
              else assert.ok('error' in outcome && outcome.error instanceof SseInvalidInputError, 'refused with SseInvalidInputError');
            }
          },
        ),
        { numRuns: runsFor(backend, 300) },
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------

/** Pairs of addresses, some independent, some built to collide once concatenated or encoded. */
const addressArbitrary = fc.record({ sessionId: idTextArbitrary, streamId: idTextArbitrary });
const addressPairArbitrary = fc.oneof(
  fc.tuple(addressArbitrary, addressArbitrary),
  addressArbitrary.chain((address) =>
    fc
      .oneof(
        fc.constant({ sessionId: address.streamId, streamId: address.sessionId }),
        fc.nat().map((cut) => {
          // The same characters, split between session and stream elsewhere.
          const joined = address.sessionId + address.streamId;
          const at = cut % (joined.length + 1);
          return { sessionId: joined.slice(0, at), streamId: joined.slice(at) };
        }),
        fc
          .constantFrom(':', '.', '{', '}', '}:', ':{')
          .map((glue) => ({ sessionId: address.sessionId + glue, streamId: address.streamId })),
        fc.constantFrom(':', '.', '{', '}').map((glue) => ({ sessionId: address.sessionId, streamId: glue + address.streamId })),
      )
      .map((other) => [address, other] as const),
  ),
);

/** The part of a key Redis Cluster hashes: between the first `{` and the next `}`, if that is not empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('cache keys and ids of different streams never collide', () => {
  const keys = new CacheKeys('sse');
  const channels = new WakeupChannels('sse');
  const streamKeys = (address: SseStreamAddress) => [
    keys.metadata(address),
    `${keys.eventPrefix(address)}1`,
    `${keys.eventPrefix(address)}12`,
    channels.streamChannel(address),
  ];
  const storable = (address: { sessionId: string; streamId: string }) =>
    address.sessionId.isWellFormed() && address.streamId.isWellFormed();
  const sessionKeys = (sessionId: string) => [
    keys.sessionIndex(sessionId),
    keys.sessionTombstone(sessionId),
    channels.sessionChannel(sessionId),
  ];

  it("two different (session, stream) pairs share no key, and no key of one starts with the other's event or session prefix (property)", () => {
    fc.assert(
      fc.property(addressPairArbitrary, ([first, second]) => {
        // Only ids the store accepts: it refuses ill-formed Unicode (lone surrogates, which UTF-8
        // cannot encode and which would all map to U+FFFD) with SseInvalidInputError, tested above.
        fc.pre(storable(first) && storable(second));
        fc.pre(first.sessionId !== second.sessionId || first.streamId !== second.streamId);
        const sameSession = first.sessionId === second.sessionId;
        const ofFirst = [...streamKeys(first), ...sessionKeys(first.sessionId)];
        const ofSecond = [...streamKeys(second), ...(sameSession ? [] : sessionKeys(second.sessionId))];
        for (const key of ofSecond) assert.ok(!ofFirst.includes(key), `shared key ${key}`);
        assert.equal(new Set(ofFirst).size, ofFirst.length, 'the keys of one stream differ from each other');
        for (const key of streamKeys(second))
          assert.ok(!key.startsWith(keys.eventPrefix(first)), `${key} looks like an event of ${JSON.stringify(first)}`);
        if (!sameSession) {
          for (const key of ofSecond)
            assert.ok(!key.startsWith(keys.sessionRoot(first.sessionId)), `${key} is under the other session's root`);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('every key of a session hashes to one Redis Cluster slot, and different sessions have different hash tags (property)', () => {
    fc.assert(
      fc.property(addressPairArbitrary, ([first, second]) => {
        fc.pre(storable(first) && storable(second));
        const tags = [first, second].map((address) => {
          const [tag, ...others] = [...streamKeys(address), ...sessionKeys(address.sessionId)].map((key) => ({ key, tag: hashTag(key) }));
          // A real tag: Redis hashes the whole key when the braces are missing or empty.
          assert.ok(tag.key.includes(`{${tag.tag}}`) && tag.tag.length > 0, `${tag.key} has no hash tag`);
          for (const other of others) assert.equal(other.tag, tag.tag, `${other.key} is in another slot than ${tag.key}`);
          return tag.tag;
        });
        assert.equal(tags[0] === tags[1], first.sessionId === second.sessionId, `hash tags ${tags.join(' and ')}`);
      }),
      { numRuns: 2_000 },
    );
  });

  for (const format of formats()) {
    it(`${format.name}: ids of different positions differ, and every id parses back to its position (property)`, () => {
      fc.assert(
        fc.property(addressPairArbitrary, fc.maxSafeNat(), fc.maxSafeNat(), ([first, second], firstSequence, secondSequence) => {
          // The store refuses ids that are not well-formed Unicode; those are never encoded.
          fc.pre([first, second].every(({ sessionId, streamId }) => sessionId.isWellFormed() && streamId.isWellFormed()));
          const a = format.codec.format(first, firstSequence);
          const b = format.codec.format(second, secondSequence);
          assert.deepEqual(format.codec.parse(a), { ...first, sequence: firstSequence });
          assert.deepEqual(format.codec.parse(b), { ...second, sequence: secondSequence });
          const samePosition =
            first.sessionId === second.sessionId && first.streamId === second.streamId && firstSequence === secondSequence;
          assert.equal(a === b, samePosition, `${a} vs ${b}`);
        }),
        { numRuns: 2_000 },
      );
    });
  }
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RedisClientType } from '@keyv/redis';
import { RedisStreamKeys } from '../../lib/storage/redis/redis-stream-keys';
import {
  APPEND_CALL_LAYOUT,
  APPEND_EVENTS,
  APPEND_STREAM_LAYOUT,
  type AppendStreamInput,
} from '../../lib/storage/redis/scripts/append-events.script';
import { DELETE_SESSION, DELETE_SESSION_LAYOUT } from '../../lib/storage/redis/scripts/delete-session.script';
import { ScriptReplyCode } from '../../lib/storage/redis/scripts/lua-prelude';
import { OPEN_STREAM, OPEN_STREAM_LAYOUT, type OpenStreamInput } from '../../lib/storage/redis/scripts/open-stream.script';
import { PRUNE_INDEX, PRUNE_INDEX_LAYOUT } from '../../lib/storage/redis/scripts/prune-index.script';
import { READ_STREAM, READ_STREAM_LAYOUT } from '../../lib/storage/redis/scripts/read-stream.script';
import type { RedisScript } from '../../lib/storage/redis/scripts/redis-script';
import { luaName, type ScriptLayout } from '../../lib/storage/redis/scripts/script-layout';
import { TOUCH_STREAM, TOUCH_STREAM_LAYOUT } from '../../lib/storage/redis/scripts/touch-stream.script';
import { UPDATE_STREAM, UPDATE_STREAM_LAYOUT } from '../../lib/storage/redis/scripts/update-stream.script';
import { listKeys, redisClientOf } from '../support/cache-inspection';
import { createTestCache, type TestCache, uniquePrefix } from '../support/caches';

/*
 * Each native script against its layout: statically, every KEYS and ARGV position its Lua reads
 * comes from the layout, and every name the layout binds is used; on Redis, the encoded call does
 * what the layout says and the reply decodes to the named result.
 */

interface LayoutCheck {
  script: RedisScript<never, unknown>;
  /** The layouts and the Lua index bases they are bound from. */
  bindings: { layout: ScriptLayout<string, string>; keyBase?: number | string; argBase?: number | string }[];
  /** What the script reads by position beyond its layout (variable-length tails). */
  positional: string[];
}

const LAYOUT_CHECKS: LayoutCheck[] = [
  { script: OPEN_STREAM, bindings: [{ layout: OPEN_STREAM_LAYOUT }], positional: [] },
  {
    script: APPEND_EVENTS,
    bindings: [{ layout: APPEND_CALL_LAYOUT }, { layout: APPEND_STREAM_LAYOUT, keyBase: 'stream_keys', argBase: 'stream_args' }],
    // A stream's events, after its arguments.
    positional: ['ARGV[offset + i]'],
  },
  { script: UPDATE_STREAM, bindings: [{ layout: UPDATE_STREAM_LAYOUT }], positional: [] },
  { script: TOUCH_STREAM, bindings: [{ layout: TOUCH_STREAM_LAYOUT }], positional: [] },
  // The members, each with its metadata key.
  { script: PRUNE_INDEX, bindings: [{ layout: PRUNE_INDEX_LAYOUT }], positional: ['ARGV[i]', 'KEYS[metadata_keys + i]'] },
  { script: READ_STREAM, bindings: [{ layout: READ_STREAM_LAYOUT }], positional: [] },
  { script: DELETE_SESSION, bindings: [{ layout: DELETE_SESSION_LAYOUT }], positional: [] },
];

describe('native script layouts', () => {
  for (const { script, bindings, positional } of LAYOUT_CHECKS) {
    it(`${script.lua.name}: the Lua reads KEYS and ARGV through its layout only, and uses every name it binds`, () => {
      let body = script.lua.source;
      const names: string[] = [];
      for (const { layout, keyBase, argBase } of bindings) {
        for (const line of layout.luaBindings(keyBase, argBase).split('\n')) {
          assert.ok(body.includes(line), `the script binds its layout: ${line}`);
          body = body.replace(line, '');
        }
        names.push(...layout.keys.map((name) => `${luaName(name)}_key`), ...layout.args.map(luaName));
      }
      const indexed = [...body.matchAll(/\b(?:KEYS|ARGV)\[[^\]]*\]/g)].map(([access]) => access);
      assert.deepEqual([...new Set(indexed)].sort(), [...positional].sort(), 'positions read outside the layout');
      for (const name of names) assert.match(body, new RegExp(`\\b${name}\\b`), `${name} is bound but never used`);
    });
  }

  it('the reply codes are bound in Lua by name, from the same constants the decoders use', () => {
    for (const [name, code] of Object.entries(ScriptReplyCode)) {
      assert.ok(OPEN_STREAM.lua.source.includes(`local ${luaName(name).toUpperCase()} = ${code}\n`), name);
    }
  });
});

describe('native scripts on Redis', () => {
  let testCache: TestCache;
  let client: RedisClientType;
  let prefix: string;
  let keys: RedisStreamKeys;

  before(async () => {
    testCache = await createTestCache('redis');
    client = redisClientOf(testCache.cache)!;
    prefix = uniquePrefix();
    keys = new RedisStreamKeys(prefix);
  });
  after(async () => {
    const written = await listKeys(testCache.cache, prefix);
    if (written.length > 0) await client.del(written);
    await testCache.close();
  });

  /** Sends the script with the encoded input and decodes the reply, as the storage does. */
  async function run<Input, Result>(script: RedisScript<Input, Result>, input: Input): Promise<Result> {
    const call = script.encode(input);
    return script.decode(await client.sendCommand(['EVAL', script.lua.source, String(call.keys.length), ...call.keys, ...call.args]));
  }

  const address = (sessionId: string, streamId = 'main') => ({ sessionId, streamId });

  function openInput(sessionId: string, streamId = 'main', changes: Partial<OpenStreamInput['args']> = {}): OpenStreamInput {
    return {
      keys: { ...keys.stream(address(sessionId, streamId)), index: keys.index(sessionId) },
      args: {
        member: keys.indexMember(streamId),
        mode: 'streaming',
        now: Date.now(),
        indexTtl: 60_000,
        metadataTtl: 30_000,
        maxStreams: 1,
        reopenCompleted: false,
        ...changes,
      },
    };
  }

  /** Completes the stream (or reopens it, with `completed: false`) through the update script. */
  async function setCompleted(sessionId: string, completed: boolean): Promise<void> {
    const args = { now: Date.now(), metadataTtl: 30_000, mode: 'streaming', knownLast: 0, channel: 'c', message: '', completed };
    assert.deepEqual(await run(UPDATE_STREAM, { keys: keys.stream(address(sessionId)), args }), { status: 'updated' });
  }

  /** The l value of a completed stream whose last sequence is `last` (see `decode_last` in the prelude). */
  const completedLast = (last: number): string => String(-last - 1e15);

  it('open: registers and opens the stream with the given mode and TTLs; answers each refusal by its code', async () => {
    const stream = keys.stream(address('open'));
    assert.deepEqual(await run(OPEN_STREAM, openInput('open')), { status: 'opened', lastSequence: 0 });
    assert.deepEqual(await client.sMembers(keys.index('open')), [keys.indexMember('main')]);
    const metadata = await client.hGetAll(stream.metadata);
    assert.deepEqual(Object.keys(metadata).sort(), ['l', 'm', 'w']);
    assert.equal(metadata.m, 'streaming');
    assert.equal(metadata.l, '0');
    const [indexTtl, metadataTtl] = [await client.pTTL(keys.index('open')), await client.pTTL(stream.metadata)];
    assert.ok(indexTtl > 30_000 && indexTtl <= 60_000, `index TTL ${indexTtl}`);
    assert.ok(metadataTtl > 0 && metadataTtl <= 30_000, `metadata TTL ${metadataTtl}`);

    assert.deepEqual(await run(OPEN_STREAM, openInput('open', 'second')), { status: 'session-full' });
    assert.deepEqual(await run(OPEN_STREAM, openInput('open', 'second', { maxStreams: 2 })), { status: 'opened', lastSequence: 0 });
    await client.hSet(stream.metadata, 'l', '4');
    await setCompleted('open', true);
    assert.deepEqual(await run(OPEN_STREAM, openInput('open')), { status: 'stream-completed' });
    const reopened = await run(OPEN_STREAM, openInput('open', 'main', { reopenCompleted: true, mode: 'polling' }));
    assert.deepEqual(reopened, { status: 'opened', lastSequence: 4 });
    assert.deepEqual([await client.hGet(stream.metadata, 'm'), await client.hGet(stream.metadata, 'l')], ['polling', '4']);
    await client.set(stream.tombstone, '1', { PX: 60_000 });
    assert.deepEqual(await run(OPEN_STREAM, openInput('open')), { status: 'session-deleted' });
  });

  it('append: several streams in one call, each with its own arguments and events; one outcome per stream, in order', async () => {
    for (const sessionId of ['append-a', 'append-b', 'append-completed']) await run(OPEN_STREAM, openInput(sessionId));
    await setCompleted('append-completed', true);
    await client.set(keys.stream(address('append-deleted')).tombstone, '1', { PX: 60_000 });
    await client.set(keys.stream(address('append-broken')).metadata, 'not a hash', { PX: 60_000 });
    const now = Date.now();
    const streamInput = (sessionId: string, events: string[]): AppendStreamInput => ({
      keys: keys.stream(address(sessionId)),
      args: { restartTtls: true, channel: `channel-${sessionId}`, mode: 'streaming', knownLast: 0, pushEvents: true, acknowledgedLast: 0 },
      events,
    });
    const outcomes = await run(APPEND_EVENTS, {
      args: { now, eventTtl: 20_000, metadataTtl: 30_000, maxEvents: 2, message: '' },
      streams: [
        streamInput('append-a', ['{"d":"a1"}', '{"d":"a2"}', '{"d":"a3"}']),
        streamInput('append-deleted', ['{"d":"x"}']),
        streamInput('append-b', ['{"d":"b1"}']),
        streamInput('append-completed', ['{"d":"y"}']),
        streamInput('append-broken', ['{"d":"z"}']),
      ],
    });
    assert.deepEqual(outcomes.slice(0, 4), [
      { status: 'appended', firstSequence: 1 },
      { status: 'session-deleted' },
      { status: 'appended', firstSequence: 1 },
      { status: 'stream-completed' },
    ]);
    assert.equal(outcomes[4].status, 'failed');
    assert.match((outcomes[4] as { message: string }).message, /WRONGTYPE/);

    const entries = async (sessionId: string) =>
      (await client.xRange(keys.stream(address(sessionId)).events, '-', '+')).map(({ id, message }) => [id, message.e]);
    // maxEvents trims to the newest two.
    assert.deepEqual(await entries('append-a'), [
      [`2-${now}`, '{"d":"a2"}'],
      [`3-${now}`, '{"d":"a3"}'],
    ]);
    assert.deepEqual(await entries('append-b'), [[`1-${now}`, '{"d":"b1"}']]);
    assert.deepEqual(await entries('append-completed'), []);
    // The refused append gave its sequence back: the completed stream still ends at 0.
    assert.equal(await client.hGet(keys.stream(address('append-completed')).metadata, 'l'), completedLast(0));
    const metadata = await client.hGetAll(keys.stream(address('append-a')).metadata);
    assert.equal(metadata.l, '3');
    assert.equal(metadata.t, String(now));
    const eventTtl = await client.pTTL(keys.stream(address('append-a')).events);
    assert.ok(eventTtl > 0 && eventTtl <= 20_000, `events TTL ${eventTtl}`);
  });

  it('append: a writer ahead of Redis continues after what it was given; vanished metadata comes back with its mode; its acknowledged sequences that are gone are marked lost, the rest skipped', async () => {
    await run(OPEN_STREAM, openInput('append-ahead'));
    const stream = keys.stream(address('append-ahead'));
    await client.del(stream.metadata);
    const now = Date.now();
    const outcomes = await run(APPEND_EVENTS, {
      args: { now, eventTtl: 20_000, metadataTtl: 30_000, maxEvents: 20, message: '' },
      streams: [
        {
          keys: stream,
          args: { restartTtls: false, channel: 'c', mode: 'polling', knownLast: 12, pushEvents: false, acknowledgedLast: 10 },
          events: ['{"d":13}'],
        },
      ],
    });
    assert.deepEqual(outcomes, [{ status: 'appended', firstSequence: 13 }]);
    const entries = (await client.xRange(stream.events, '-', '+')).map(({ id, message }) => [id, { ...message }]);
    const marks = Array.from({ length: 12 }, (_, index) => [`${index + 1}-${now}`, index < 10 ? { lost: '1' } : { skip: '1' }]);
    assert.deepEqual(entries, [...marks, [`13-${now}`, { e: '{"d":13}' }]]);
    const metadata = await client.hGetAll(stream.metadata);
    assert.deepEqual([metadata.m, metadata.l], ['polling', '13']);
    assert.ok((await client.pTTL(stream.metadata)) > 0, 'the restored metadata expires');
  });

  it('update: stores the mode and completion asked for; leaves completion alone when not given; answers a deleted session', async () => {
    await run(OPEN_STREAM, openInput('update'));
    const stream = keys.stream(address('update'));
    await client.hSet(stream.metadata, 'l', '7');
    const state = async () => [await client.hGet(stream.metadata, 'm'), await client.hGet(stream.metadata, 'l')];
    const args = { now: Date.now(), metadataTtl: 25_000, mode: 'polling', knownLast: 0, channel: 'c', message: '' };
    assert.deepEqual(await run(UPDATE_STREAM, { keys: stream, args: { ...args, completed: true } }), { status: 'updated' });
    assert.deepEqual(await state(), ['polling', completedLast(7)]);
    assert.deepEqual(await run(UPDATE_STREAM, { keys: stream, args: { ...args, completed: true } }), { status: 'updated' });
    assert.deepEqual(await state(), ['polling', completedLast(7)], 'completing twice changes nothing');
    assert.deepEqual(await run(UPDATE_STREAM, { keys: stream, args: { ...args, mode: 'streaming' } }), { status: 'updated' });
    assert.deepEqual(await state(), ['streaming', completedLast(7)]);
    assert.deepEqual(await run(UPDATE_STREAM, { keys: stream, args: { ...args, completed: false } }), { status: 'updated' });
    assert.deepEqual(await state(), ['polling', '7']);
    const ttl = await client.pTTL(stream.metadata);
    assert.ok(ttl > 0 && ttl <= 25_000, `metadata TTL ${ttl}`);
    await client.set(stream.tombstone, '1', { PX: 60_000 });
    assert.deepEqual(await run(UPDATE_STREAM, { keys: stream, args }), { status: 'session-deleted' });
  });

  it('touch: extends the metadata TTL to the sliding window, never past the absolute limit', async () => {
    await run(OPEN_STREAM, openInput('touch'));
    const { metadata } = keys.stream(address('touch'));
    const now = Date.now();
    await client.hSet(metadata, 'w', String(now));
    await client.pExpire(metadata, 1_000);
    await run(TOUCH_STREAM, { keys: { metadata }, args: { now, metadataSliding: 40_000, metadataAbsolute: 50_000 } });
    const extended = await client.pTTL(metadata);
    assert.ok(extended > 30_000 && extended <= 40_000, `sliding: ${extended}`);
    await run(TOUCH_STREAM, { keys: { metadata }, args: { now, metadataSliding: 60_000, metadataAbsolute: 45_000 } });
    const capped = await client.pTTL(metadata);
    assert.ok(capped > 40_000 && capped <= 45_000, `absolute: ${capped}`);
  });

  it('prune: drops the members whose metadata is gone and answers how many remain', async () => {
    const index = keys.index('prune');
    await client.sAdd(index, ['kept', 'gone']);
    await client.pExpire(index, 60_000);
    const [kept] = keys.streamKeysOf('prune', 'kept');
    await client.hSet(kept, 'm', 'streaming');
    await client.pExpire(kept, 60_000);
    const members = ['kept', 'gone'].map((member) => ({ member, metadata: keys.streamKeysOf('prune', member)[0] }));
    assert.equal(await run(PRUNE_INDEX, { index, members }), 1);
    assert.deepEqual(await client.sMembers(index), ['kept']);
  });

  it('read: answers the state as a snapshot, or missing, or deleted', async () => {
    await run(OPEN_STREAM, openInput('read'));
    const stream = keys.stream(address('read'));
    const now = Date.now();
    await run(APPEND_EVENTS, {
      args: { now, eventTtl: 20_000, metadataTtl: 30_000, maxEvents: 20, message: '' },
      streams: [
        {
          keys: stream,
          args: { restartTtls: true, channel: 'c', mode: 'streaming', knownLast: 0, pushEvents: false, acknowledgedLast: 0 },
          events: ['{"d":1}', '{"d":2}'],
        },
      ],
    });
    const args = { now, eventSliding: 20_000, eventAbsolute: 60_000, metadataSliding: 30_000, metadataAbsolute: 60_000 };
    assert.deepEqual(await run(READ_STREAM, { keys: stream, args }), {
      status: 'found',
      snapshot: { mode: 'streaming', completed: false, firstSequence: 1, lastSequence: 2 },
    });
    await setCompleted('read', true);
    assert.deepEqual(await run(READ_STREAM, { keys: stream, args }), {
      status: 'found',
      snapshot: { mode: 'streaming', completed: true, firstSequence: 1, lastSequence: 2 },
    });
    assert.deepEqual(await run(READ_STREAM, { keys: keys.stream(address('read', 'unknown')), args }), { status: 'missing' });
    await client.set(stream.tombstone, '1', { PX: 60_000 });
    assert.deepEqual(await run(READ_STREAM, { keys: stream, args }), { status: 'deleted' });
  });

  it('delete: sets the tombstone for the given TTL and answers the index members', async () => {
    await run(OPEN_STREAM, openInput('delete'));
    const tombstone = keys.tombstone('delete');
    assert.deepEqual(await run(DELETE_SESSION, { keys: { tombstone, index: keys.index('delete') }, args: { tombstoneTtl: 15_000 } }), [
      keys.indexMember('main'),
    ]);
    const ttl = await client.pTTL(tombstone);
    assert.ok(ttl > 0 && ttl <= 15_000, `tombstone TTL ${ttl}`);
  });
});

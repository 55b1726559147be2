import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Logger } from '@nestjs/common';
import { createCache } from 'cache-manager';
import { type SseEventStoreModuleOptions, SseEventStreamMode } from '../../../lib';
import { EventIdCodec, encodeIdPart } from '../../../lib/event-id/event-id.codec';
import { createSseEventStore, type StandaloneSseEventStore } from '../../../lib/testing';
import { collect } from '../../support/async';
import { uniquePrefix } from '../../support/caches';

Logger.overrideLogger(['error', 'warn']);

const OLD_SECRET = randomBytes(32);
const NEW_SECRET = randomBytes(32).toString('base64url');

describe('a store with signed event ids', () => {
  // Stores sharing one cache and key prefix stand for instances of one application.
  const cache = createCache();
  const keyPrefix = uniquePrefix();
  const opened: StandaloneSseEventStore[] = [];
  const instance = (eventIdSecret?: SseEventStoreModuleOptions['eventIdSecret']) => {
    const created = createSseEventStore({ cache, keyPrefix, eventIdSecret });
    opened.push(created);
    return created.store;
  };
  after(async () => {
    for (const store of opened) await store.close();
  });

  const address = { sessionId: 'alice@example.com', streamId: 'orders' };

  async function writeStream(eventIdSecret: SseEventStoreModuleOptions['eventIdSecret'], streamId: string, count: number) {
    const writer = await instance(eventIdSecret).createStream({ ...address, streamId, mode: SseEventStreamMode.Polling });
    const written = [];
    for (let n = 0; n < count; n++) written.push(await writer.write({ data: { n } }));
    await writer.complete();
    return written.map((event) => event.id);
  }

  it('writes, reads and resumes as with plain ids; the ids do not show the session id', async () => {
    const ids = await writeStream(NEW_SECRET, 'basic', 3);
    for (const id of ids) {
      assert.match(id, /^[A-Za-z0-9_-]+\.[1-9][0-9]*\.[A-Za-z0-9_-]{22}$/);
      assert.ok(!id.includes('alice') && !id.includes(encodeIdPart(address.sessionId).slice(0, 8)), id);
    }
    const store = instance(NEW_SECRET);
    const all = await collect((await store.getStreamReaderFromStart({ ...address, streamId: 'basic' }))!.events());
    assert.deepEqual(
      all.map((event) => event.id),
      ids,
      'readers emit the ids the writer gave',
    );
    const resumed = await collect((await store.getStreamReader(ids[0]))!.events());
    assert.deepEqual(
      resumed.map((event) => event.data),
      [{ n: 1 }, { n: 2 }],
    );
    assert.ok(await store.getStreamReader(ids[2], { sessionId: address.sessionId }), 'the session check sees through the encryption');
    assert.equal(await store.getStreamReader(ids[2], { sessionId: 'mallory' }), null);
  });

  it('refuses forged and altered ids, ids of a plain store, and ids signed with a secret it does not know', async () => {
    const [first] = await writeStream(NEW_SECRET, 'forgery', 2);
    const store = instance(NEW_SECRET);
    const [token, , mac] = first.split('.');
    const plain = new EventIdCodec(1024);
    const candidates = [
      `${token}.2.${mac}`, // the sequence changed
      `${token}.0.${mac}`,
      plain.format({ ...address, streamId: 'forgery' }, 1), // what a plain store would have issued
      first.slice(0, -2),
      `${first}.1`,
      `${token}.1.${'A'.repeat(22)}`,
    ];
    for (const candidate of candidates) assert.equal(await store.getStreamReader(candidate), null, candidate);
    const stranger = await writeStream(randomBytes(32), 'forgery-stranger', 1);
    assert.equal(await store.getStreamReader(stranger[0]), null);
    assert.ok(await store.getStreamReader(first), 'the genuine id still resumes');
  });

  it('a plain store refuses signed ids (turning signing on or off starts clients over)', async () => {
    const [signed] = await writeStream(NEW_SECRET, 'switch', 1);
    assert.equal(await instance().getStreamReader(signed), null);
    const [unsigned] = await writeStream(undefined, 'switch-back', 1);
    assert.equal(await instance(NEW_SECRET).getStreamReader(unsigned), null);
  });

  it('rotation: with [new, old], ids signed with old resume and new ids are signed with new; once old is dropped its ids are refused', async () => {
    const oldIds = await writeStream(OLD_SECRET, 'rotation', 3);
    const rotating = instance([NEW_SECRET, OLD_SECRET]);

    const resumed = await collect((await rotating.getStreamReader(oldIds[0]))!.events());
    assert.deepEqual(
      resumed.map((event) => event.data),
      [{ n: 1 }, { n: 2 }],
    );
    const newIds = resumed.map((event) => event.id);
    assert.notDeepEqual(newIds, oldIds.slice(1), 'the replay carries ids signed with the new secret');
    // An instance that has the new secret only accepts what the rotating instance issued.
    const updated = instance(NEW_SECRET);
    assert.deepEqual(
      (await collect((await updated.getStreamReader(newIds[0]))!.events())).map((event) => event.data),
      [{ n: 2 }],
    );
    assert.equal(await updated.getStreamReader(oldIds[0]), null, 'the old secret is gone: its ids are refused');
    // An instance that still has the old secret only (not yet rolled out) refuses the new ids.
    assert.equal(await instance(OLD_SECRET).getStreamReader(newIds[0]), null);
  });
});

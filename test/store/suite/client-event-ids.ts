import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type SseStreamAddress } from '../../../lib';
import { collect } from '../../support/async';
import { type StoreSuiteContext } from './store-suite-context';

/** Event ids sent by clients: what the store accepts, and what it refuses. */
export function defineClientEventIdTests(suite: StoreSuiteContext): void {
  const { it, open, readFromStart, writeMany } = suite;

  describe('event ids from clients', () => {
    it('malformed ids give null without touching the cache and never throw', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'ids', streamId: 'main' };
      const writer = await h.store.createStream(address);
      const valid = (await writer.write({ data: 1 })).id;
      const prefix = h.ids.streamPrefix(address);
      const malformed: unknown[] = [
        '',
        'x'.repeat(1024 * 1024),
        `${prefix}${'1'.repeat(1024 * 1024)}`,
        '!!!.@@@.1',
        `${Buffer.from('ids').toString('base64')}=.${prefix.split('.')[1]}.1`,
        `${prefix}-1`,
        `${prefix}1.5`,
        `${prefix}1e0`,
        `${prefix}${Number.MAX_SAFE_INTEGER + 1}`,
        `${prefix}${'9'.repeat(30)}`,
        `${prefix}01`,
        `${prefix}`,
        `${valid}.`,
        `.${valid}`,
        `${valid}.1`,
        prefix.slice(0, -1),
        `é${valid}`,
        `${prefix}１`,
        `${valid}\n`,
        undefined,
        null,
        1,
        {},
        [valid],
        Symbol('id'),
      ];
      h.trips.reset();
      for (const id of malformed) {
        assert.equal(await h.store.getStreamReader(id as string), null, `refused: ${String(id).slice(0, 40)}`);
      }
      assert.equal(h.trips.count(), 0, 'nothing was read for ids that are not ours');
      assert.ok(await h.store.getStreamReader(valid), 'the valid id still works');
    });

    it('fabricated positions give null: beyond the last event, or of another session', async (t) => {
      const h = await open(t);
      const address = { sessionId: 'fabricated', streamId: 'main' };
      const writer = await h.store.createStream(address);
      const written = await writeMany(writer, 2);
      assert.equal(await h.store.getStreamReader(h.ids.format(address, 3)), null);
      assert.equal(await h.store.getStreamReader(h.ids.format(address, Number.MAX_SAFE_INTEGER)), null);
      assert.equal(await h.store.getStreamReader(written[1].id, { sessionId: 'someone-else' }), null);
      assert.ok(await h.store.getStreamReader(written[1].id, { sessionId: 'fabricated' }));
    });

    it('session and stream ids with colons, dots, braces, unicode and empty strings round-trip', async (t) => {
      const h = await open(t, { maxIdLength: 64 });
      const addresses: SseStreamAddress[] = [
        { sessionId: 'a:b', streamId: 'c:d' },
        { sessionId: 'a', streamId: 'b:c:d' },
        { sessionId: 'a.b', streamId: 'c' },
        { sessionId: 'a', streamId: 'b.c' },
        { sessionId: '{tag}', streamId: '}{' },
        { sessionId: 'séssion ✓', streamId: '日本語 🎉' },
        { sessionId: '', streamId: '' },
        { sessionId: '', streamId: 'x' },
        { sessionId: 'x', streamId: '' },
        { sessionId: 'sse:v1:{x}:e:y', streamId: '*?[]' },
        { sessionId: 'm'.repeat(64), streamId: 'n'.repeat(64) },
      ];
      const firstIds = new Map<SseStreamAddress, string>();
      for (const address of addresses) {
        const writer = await h.store.createStream(address);
        firstIds.set(address, (await writer.write({ data: JSON.stringify(address) })).id);
        await writer.write({ data: 'second' });
        await writer.complete();
      }
      assert.equal(new Set(firstIds.values()).size, addresses.length);
      for (const address of addresses) {
        const reader = await h.store.getStreamReader(firstIds.get(address)!);
        assert.ok(reader);
        assert.equal(reader.sessionId, address.sessionId);
        assert.equal(reader.streamId, address.streamId);
        assert.deepEqual(
          (await collect(reader.events())).map((event) => event.data),
          ['second'],
        );
        assert.deepEqual(
          (await readFromStart(h, address)).map((event) => event.data),
          [JSON.stringify(address), 'second'],
        );
        assert.deepEqual(h.ids.parse(firstIds.get(address)!), { ...address, sequence: 1 });
      }
    });
  });
}

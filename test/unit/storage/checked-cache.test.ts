import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { SseStoreUnavailableError } from '../../../lib';
import { CacheOperationError, CacheTimeoutError, CheckedCache } from '../../../lib/storage/checked-cache';
import { createSseEventStore } from '../../../lib/testing';

/** A Keyv storage adapter on a Map that can be told to fail or to stop answering. */
class ControlledStore {
  readonly data = new Map<string, unknown>();
  failing = false;
  hanging = false;
  deleteManyCalls = 0;

  get(key: string) {
    return this.answer(() => this.data.get(key));
  }
  getMany(keys: string[]) {
    return this.answer(() => keys.map((key) => this.data.get(key)));
  }
  set(key: string, value: unknown) {
    return this.answer(() => void this.data.set(key, value));
  }
  setMany(entries: { key: string; value: unknown }[]) {
    return this.answer(() =>
      entries.forEach(({ key, value }) => {
        this.data.set(key, value);
      }),
    );
  }
  delete(key: string) {
    return this.answer(() => this.data.delete(key));
  }
  deleteMany(keys: string[]) {
    this.deleteManyCalls++;
    return this.answer(() => keys.map((key) => this.data.delete(key)).some(Boolean));
  }
  clear() {
    return this.answer(() => this.data.clear());
  }

  private answer<T>(value: () => T): Promise<T> {
    if (this.hanging) return new Promise<T>(() => undefined);
    if (this.failing) return Promise.reject(new Error('connection lost'));
    return Promise.resolve(value());
  }
}

function setup(timeoutMs = 1_000) {
  const store = new ControlledStore();
  const keyv = new Keyv({ store });
  const cache = createCache({ stores: [keyv] });
  return { store, keyv, cache, checked: new CheckedCache(cache, timeoutMs) };
}

describe('CheckedCache', () => {
  it('passes values through while the cache is healthy', async () => {
    const { checked } = setup();
    await checked.setMany([
      { key: 'a', value: '1', ttl: 60_000 },
      { key: 'b', value: '2', ttl: 60_000 },
    ]);
    assert.deepEqual(await checked.getMany(['a', 'b', 'c']), ['1', '2', undefined]);
    await checked.deleteMany(['a', 'b']);
    assert.deepEqual(await checked.getMany(['a', 'b']), [undefined, undefined]);
  });

  it('fails a write that cache-manager and Keyv report as done although the store failed', async () => {
    const { store, cache, checked } = setup();
    store.failing = true;
    // The premise: cache-manager 7 on Keyv resolves the write.
    await cache.mset([{ key: 'x', value: '1', ttl: 60_000 }]);
    await assert.rejects(checked.setMany([{ key: 'x', value: '1', ttl: 60_000 }]), CacheOperationError);
    await assert.rejects(checked.deleteMany(['x']), CacheOperationError);
  });

  it('fails a read that cache-manager answers with undefined because the store failed', async () => {
    const { store, cache, checked } = setup();
    await checked.setMany([{ key: 'a', value: '1', ttl: 60_000 }]);
    store.failing = true;
    // The premise: cache-manager 7 swallows the store's rejection and answers "absent".
    assert.deepEqual(await cache.mget(['a']), [undefined]);
    await assert.rejects(checked.getMany(['a']), CacheOperationError);
  });

  it('bounds every call: one that never answers fails after the timeout', async () => {
    const { store, checked } = setup(50);
    store.hanging = true;
    for (const call of [
      () => checked.getMany(['a']),
      () => checked.setMany([{ key: 'a', value: '1', ttl: 1_000 }]),
      () => checked.deleteMany(['a']),
    ]) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof CacheOperationError);
        assert.ok(error.cause instanceof CacheTimeoutError);
        assert.equal(error.cause.timeoutMs, 50);
        return true;
      });
    }
  });

  it('a failure reported between calls does not fail the next call', async () => {
    const { keyv, checked } = setup();
    keyv.emit('error', new Error('reconnect attempt failed'));
    await checked.setMany([{ key: 'a', value: '1', ttl: 60_000 }]);
    assert.deepEqual(await checked.getMany(['a']), ['1']);
  });

  it('deletes many keys with one call per store', async () => {
    const { store, checked } = setup();
    await checked.setMany(Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: 'v', ttl: 60_000 })));
    await checked.deleteMany(Array.from({ length: 100 }, (_, i) => `k${i}`));
    assert.equal(store.deleteManyCalls, 1);
    assert.equal(store.data.size, 0);
  });
});

describe('a store on a cache whose adapter rejects', () => {
  it('never mistakes the failing cache for an empty one', async (t) => {
    const { store: adapter, cache } = setup();
    const { store, close } = createSseEventStore({ cache, keyPrefix: 'failing' });
    t.after(close);
    const address = { sessionId: 's', streamId: 'x' };
    const writer = await store.createStream(address);
    const first = await writer.write({ data: 1 });
    await writer.complete();

    adapter.failing = true;
    await assert.rejects(store.getStreamReader(first.id), SseStoreUnavailableError);
    await assert.rejects(store.getStreamReaderFromStart(address), SseStoreUnavailableError);
    // Not taken for a new stream (which would restart at sequence 1 over the stored events).
    await assert.rejects(store.createStream(address), SseStoreUnavailableError);

    adapter.failing = false;
    const again = await store.createStream(address);
    const second = await again.write({ data: 2 });
    assert.notEqual(second.id, first.id);
    assert.equal(second.id.split('.').at(-1), '2');
  });
});

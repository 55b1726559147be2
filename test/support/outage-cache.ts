import KeyvRedis, { createKeyv, type RedisClientType } from '@keyv/redis';
import { type Cache, createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { type CacheBackend, REDIS_CONNECT_TIMEOUT_MS, type TestCache } from './caches';
import { startRedisServer } from './redis-server';

/**
 * A cache whose backend a test can take away and bring back.
 *
 * - redis: a redis-server of the test's own. `stop('save')` is `SHUTDOWN SAVE` (the server's
 *   data set goes to its dump file, so `resume()` restarts it with exactly what it held when it
 *   stopped); `stop('kill')` is SIGKILL. The `@keyv/redis` client keeps reconnecting meanwhile
 *   and queues commands in its offline queue, as in production.
 * - memory: an in-memory store that stops answering (calls wait, like that offline queue) and,
 *   on `resume()`, answers the waiting calls in order.
 */
export interface OutageCache {
  cache: Cache;
  /** Whether other processes could reach this cache (then readers poll it while they wait). */
  readonly sharedAcrossProcesses: boolean;
  stop(how: 'save' | 'kill'): Promise<void>;
  /** Brings the backend back and resolves once `cache` can reach it again. */
  resume(): Promise<void>;
  /** A second, independent client on the same data, as another process would have. */
  openAnotherClient(): Promise<TestCache>;
  /** Releases everything; the redis-server is killed whatever state the test left it in. */
  close(): Promise<void>;
}

export async function createOutageCache(backend: CacheBackend): Promise<OutageCache> {
  return backend === 'redis' ? redisOutageCache() : memoryOutageCache();
}

async function redisOutageCache(): Promise<OutageCache> {
  const server = await startRedisServer();
  const clients: KeyvRedis<unknown>[] = [];
  const open = async (): Promise<TestCache> => {
    const keyv = createKeyv(server.url, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
    const store = keyv.store as KeyvRedis<unknown>;
    clients.push(store);
    const cache = createCache({ stores: [keyv] });
    await store.getClient();
    // Forced: a graceful close would wait for commands queued while the server was away.
    return { cache, close: () => store.disconnect(true) };
  };
  try {
    const main = await open();
    const mainStore = clients[0];
    return {
      cache: main.cache,
      sharedAcrossProcesses: true,
      stop: (how) => (how === 'save' ? server.shutdown({ save: true }) : server.kill()),
      async resume() {
        await server.restart();
        const deadline = Date.now() + 10_000;
        while (!(mainStore.client as RedisClientType).isReady) {
          if (Date.now() > deadline) throw new Error('the Redis client did not reconnect within 10 s');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
      openAnotherClient: open,
      async close() {
        await Promise.all(clients.map((client) => client.disconnect(true).catch(() => undefined)));
        await server.dispose();
      },
    };
  } catch (error) {
    await Promise.all(clients.map((client) => client.disconnect(true).catch(() => undefined)));
    await server.dispose();
    throw error;
  }
}

function memoryOutageCache(): OutageCache {
  const data = new Map<string, unknown>();
  const gated = new GatedMemoryStore(data);
  return {
    cache: createCache({ stores: [new Keyv({ store: gated })] }),
    sharedAcrossProcesses: false,
    async stop() {
      gated.down = true;
    },
    async resume() {
      gated.up();
    },
    async openAnotherClient() {
      return { cache: createCache({ stores: [new Keyv({ store: new GatedMemoryStore(data) })] }), close: async () => undefined };
    },
    async close() {
      gated.down = true; // calls still waiting are abandoned
    },
  };
}

/** A Keyv storage adapter on a Map whose calls wait while it is down and run, in order, once it is up again. */
class GatedMemoryStore {
  down = false;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly data: Map<string, unknown>) {}

  up(): void {
    this.down = false;
    for (const run of this.waiting.splice(0)) run();
  }

  get(key: string) {
    return this.gate(() => this.data.get(key));
  }
  getMany(keys: string[]) {
    return this.gate(() => keys.map((key) => this.data.get(key)));
  }
  set(key: string, value: unknown) {
    return this.gate(() => void this.data.set(key, value));
  }
  setMany(entries: { key: string; value: unknown }[]) {
    return this.gate(() =>
      entries.forEach(({ key, value }) => {
        this.data.set(key, value);
      }),
    );
  }
  delete(key: string) {
    return this.gate(() => this.data.delete(key));
  }
  deleteMany(keys: string[]) {
    return this.gate(() => keys.map((key) => this.data.delete(key)).some(Boolean));
  }
  clear() {
    return this.gate(() => this.data.clear());
  }

  private gate<T>(operation: () => T): Promise<T> {
    if (!this.down) return Promise.resolve(operation());
    return new Promise<T>((resolve) => this.waiting.push(() => resolve(operation())));
  }
}

import type { Cache } from 'cache-manager';
import type { SseStreamAddress } from '../../lib';
import { REDIS_STREAM_SCRIPTS } from '../../lib/storage/redis/scripts';
import type { StreamStorage } from '../../lib/storage/stream-storage.interface';
import { recordingCache } from './cache-inspection';

/** What a round trip did to the stored data. */
export type TripKind = 'read' | 'write' | 'delete';

/** One call that reached the backend: a cache-manager call, a Redis command of the native path, or a call of the in-memory storage. */
export interface RecordedTrip {
  kind: TripKind;
  /** The cache method (`mget`, `mset`, ...) or the native script (`read`, `append`, ...) or command (`unlink`). */
  operation: string;
  keys: string[];
}

/** The round trips a store made since the last `reset()`. */
export interface RoundTripLog {
  readonly trips: RecordedTrip[];
  count(kind?: TripKind): number;
  /** The operations, in order, that touched `key`. */
  touching(key: string): string[];
  reset(): void;
}

function logOf(trips: () => RecordedTrip[], reset: () => void): RoundTripLog {
  return {
    get trips() {
      return trips();
    },
    count: (kind) => trips().filter((trip) => kind === undefined || trip.kind === kind).length,
    touching: (key) =>
      trips()
        .filter((trip) => trip.keys.includes(key))
        .map((trip) => trip.operation),
    reset,
  };
}

const CACHE_KINDS: Record<string, TripKind> = {
  get: 'read',
  mget: 'read',
  set: 'write',
  mset: 'write',
  del: 'delete',
  mdel: 'delete',
  storeDeleteMany: 'delete',
};

/** Wraps a cache-manager cache: each cache call (the generic path's unit of work) is a round trip. */
export function cacheRoundTrips(inner: Cache): { cache: Cache; log: RoundTripLog } {
  const { cache, calls } = recordingCache(inner);
  const trips = (): RecordedTrip[] =>
    calls.map((call) => ({ kind: CACHE_KINDS[call.operation], operation: call.operation, keys: call.keys }));
  return { cache, log: logOf(trips, () => void calls.splice(0)) };
}

const SCRIPT_KINDS: Record<string, TripKind> = {
  read: 'read',
  open: 'write',
  append: 'write',
  update: 'write',
  touch: 'write',
  delete: 'delete',
};
const SCRIPT_NAMES = new Map(REDIS_STREAM_SCRIPTS.map((script) => [script.sha, script.name]));

/**
 * Wraps a cache on `@keyv/redis` (or `@keyv/valkey`) so that the node-redis client the native
 * storage finds behind it (`cache.stores[i].store.client`; iovalkey's `store.redis`) records every
 * command sent through `sendCommand`: each is a
 * round trip of the native path, except the `XRANGE` a read sends right behind its script, in the
 * same socket write (node-redis writes what was issued before its next `setImmediate` at once),
 * which belongs to that read's round trip. The wake-ups' pub/sub goes through the client's own
 * methods and is not recorded, as on the generic path.
 */
export function redisRoundTrips(inner: Cache): { cache: Cache; log: RoundTripLog } {
  const trips: RecordedTrip[] = [];
  /** The read sent in the current tick, which its page read joins. */
  let readInTick: RecordedTrip | undefined;
  const record = (args: string[]): void => {
    const command = String(args[0]).toUpperCase();
    if (command === 'XRANGE' && readInTick) {
      readInTick.keys.push(args[1]);
      return;
    }
    let trip: RecordedTrip;
    if (command === 'EVALSHA' || command === 'EVAL') {
      const name = command === 'EVALSHA' ? (SCRIPT_NAMES.get(args[1]) ?? 'unknown script') : 'eval';
      trip = { kind: SCRIPT_KINDS[name] ?? 'write', operation: name, keys: args.slice(3, 3 + Number(args[2])) };
    } else {
      trip = { kind: command === 'UNLINK' || command === 'DEL' ? 'delete' : 'read', operation: command.toLowerCase(), keys: args.slice(1) };
    }
    trips.push(trip);
    if (trip.operation === 'read') {
      readInTick = trip;
      setImmediate(() => (readInTick = undefined));
    }
  };
  /**
   * Proxies of a client whose `method` records the command it sends (`commandOf` finds it in the
   * arguments); so do the connections duplicated from it (the store's second append connection).
   */
  const recordingClients = (method: string, commandOf: (args: unknown[]) => string[]) => {
    const proxies = new WeakMap<object, object>();
    const wrap = (client: object): object => {
      let wrapped = proxies.get(client);
      if (!wrapped) {
        wrapped = new Proxy(client, {
          get(target, property) {
            // Read with the client itself as receiver: node-redis getters use private fields.
            const value = Reflect.get(target, property) as unknown;
            if (typeof value !== 'function') return value;
            if (property === 'duplicate') return (...args: unknown[]) => wrap(value.apply(target, args) as object);
            if (property !== method) return value.bind(target);
            return (...args: unknown[]) => {
              record(commandOf(args));
              return (value as (...callArgs: unknown[]) => unknown).apply(target, args);
            };
          },
        });
        proxies.set(client, wrapped);
      }
      return wrapped;
    };
    return wrap;
  };
  // A single-server node-redis client takes (args, options); a cluster client (firstKey, isReadonly, args, options).
  const wrapClient = recordingClients('sendCommand', (args) => (Array.isArray(args[0]) ? args[0] : args[2]) as string[]);
  // iovalkey's client (`@keyv/valkey`) is sent the native storage's commands as `Command` objects.
  const wrapIovalkeyClient = recordingClients('sendCommand', ([command]) => {
    const { name, args } = command as { name: string; args: string[] };
    return [name, ...args];
  });
  const wrapStore = (store: object): object =>
    new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown;
        if (property === 'client' && typeof value === 'object' && value !== null) return wrapClient(value);
        if (property === 'redis' && typeof value === 'object' && value !== null) return wrapIovalkeyClient(value);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const stores = inner.stores.map(
    (keyv) =>
      new Proxy(keyv, {
        get(target, property) {
          const value = Reflect.get(target, property) as unknown;
          if (property === 'store' && typeof value === 'object' && value !== null) return wrapStore(value);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
  );
  const cache = new Proxy(inner, {
    get(target, property, receiver) {
      return property === 'stores' ? stores : Reflect.get(target, property, receiver);
    },
  });
  return {
    cache,
    log: logOf(
      () => trips,
      () => void trips.splice(0),
    ),
  };
}

/**
 * Wraps the calls of an in-memory storage (on the instance, so the store built on it records
 * them): each call is the in-memory path's unit of work, named after its part of a session as the
 * in-memory layout names them (see `memoryNativeLayout`).
 */
export function storageRoundTrips(storage: StreamStorage): RoundTripLog {
  const trips: RecordedTrip[] = [];
  const metadata = (address: SseStreamAddress): string => `metadata:${address.streamId}`;
  const { openStream, read, deleteSession } = storage;
  storage.openStream = async (address, mode, reopenCompleted) => {
    trips.push({ kind: 'write', operation: 'open', keys: ['index', metadata(address)] });
    const appender = await openStream.call(storage, address, mode, reopenCompleted);
    const { append, appendNow, update } = appender;
    appender.append = (payloads) => {
      trips.push({ kind: 'write', operation: 'append', keys: [metadata(address)] });
      return append.call(appender, payloads);
    };
    if (appendNow) {
      appender.appendNow = (payloads) => {
        trips.push({ kind: 'write', operation: 'appendNow', keys: [metadata(address)] });
        return appendNow.call(appender, payloads);
      };
    }
    appender.update = (change) => {
      trips.push({ kind: 'write', operation: 'update', keys: [metadata(address)] });
      return update.call(appender, change);
    };
    return appender;
  };
  storage.read = (address, fromSequence, count) => {
    trips.push({ kind: 'read', operation: 'read', keys: ['tombstone', metadata(address)] });
    return read.call(storage, address, fromSequence, count);
  };
  storage.deleteSession = (sessionId) => {
    trips.push({ kind: 'delete', operation: 'delete', keys: ['tombstone', 'index'] });
    return deleteSession.call(storage, sessionId);
  };
  return logOf(
    () => trips,
    () => void trips.splice(0),
  );
}

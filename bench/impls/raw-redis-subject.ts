import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { connectRawClient, type RawRedisClient } from '../support/redis';
import { now } from '../support/timing';
import type { BenchSubject, StreamAddress, SubjectSpec } from './bench-subject';

/** Reads are paged like the store's replay, so the comparison is of the same work. */
const PAGE_SIZE = DEFAULT_SSE_EVENT_STORE_OPTIONS.replayPageSize;
const EVENT_TTL_MS = DEFAULT_SSE_EVENT_STORE_OPTIONS.eventSlidingExpiration;
/** The retention cap the store keeps by default, for the layouts that trim. */
const MAX_EVENTS = DEFAULT_SSE_EVENT_STORE_OPTIONS.maxEventsPerStream;
/** Commands per pipeline when seeding (setup). */
const SEED_PIPELINE = 1_000;

export type RawLayout =
  | 'set'
  | 'xadd'
  | 'set+publish'
  | 'xadd+publish'
  | 'counter+xadd+publish'
  | 'script:counter+xadd+publish'
  | 'proposed:counter+xadd+publish';
export const RAW_LAYOUTS: Record<RawLayout, string> = {
  set: 'SET per event (with TTL), MGET pages',
  xadd: 'XADD per event, XRANGE pages',
  'set+publish': 'SET + PUBLISH per event in one round trip, SUBSCRIBE',
  'xadd+publish': 'XADD … MAXLEN ~ + PUBLISH per event in a MULTI, XRANGE pages',
  'counter+xadd+publish':
    'HINCRBY of a sequence counter + XADD … MAXLEN ~ + PUBLISH of a header (time, sequence) and the event per event in a MULTI, XRANGE pages',
  'script:counter+xadd+publish': 'the commands of counter+xadd+publish in the smallest Lua script that runs them, one EVALSHA per event',
  'proposed:counter+xadd+publish':
    'the append proposed in docs/append-without-a-script.md: HINCRBY of a sequence counter + XADD … NOMKSTREAM <sequence>-0 (MAXLEN once past the cap) + PUBLISH of a header and the event per event in a MULTI, XRANGE pages',
};

/**
 * The commands of `counter+xadd+publish` in a script, with nothing else: what running an append in
 * Lua costs Redis at the least, beside what the same commands cost in a MULTI.
 */
const COUNTER_XADD_PUBLISH_LUA = `local sequence = redis.call('HINCRBY', KEYS[1], 'l', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], sequence .. '-0', 'd', ARGV[3])
redis.call('PUBLISH', ARGV[2], ARGV[4] .. '\\n' .. sequence .. '\\n' .. ARGV[3])
return sequence`;

/**
 * The bare `@redis/client`, doing only what storing and reading the same events takes: the
 * machine's limit the store is measured against. `spec.variant` picks the layout; concurrent
 * callers are pipelined by the client. No metadata, no expiry bookkeeping, no error checks.
 */
export async function createRawRedisSubject(spec: SubjectSpec): Promise<BenchSubject> {
  const layout = (spec.variant ?? 'set') as RawLayout;
  const inStream = layout !== 'set' && layout !== 'set+publish';
  const client = await connectRawClient();
  const scriptSha = layout === 'script:counter+xadd+publish' ? await client.scriptLoad(COUNTER_XADD_PUBLISH_LUA) : '';
  const subscribers = new Set<RawRedisClient>();
  const root = (address: StreamAddress): string => `${spec.keyPrefix}:{${address.sessionId}}:`;
  const eventKey = (address: StreamAddress, sequence: number): string => `${root(address)}e:${address.streamId}:${sequence}`;
  const streamKey = (address: StreamAddress): string => `${root(address)}x:${address.streamId}`;
  const channel = (address: StreamAddress): string => `${root(address)}w:${address.streamId}`;
  const counterKey = (address: StreamAddress): string => `${root(address)}n:${address.streamId}`;
  // The wake-up of the layouts with a counter: a header (time, sequence) and the event, as the Lua script builds it too.
  const headedWakeup = (id: number, payload: string): string => `${Date.now()}\n${id}\n${payload}`;
  const appendTrimmed = (transaction: ReturnType<RawRedisClient['multi']>, address: StreamAddress, id: number, payload: string) =>
    transaction.xAdd(
      streamKey(address),
      `${id}-0`,
      { d: payload },
      { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: MAX_EVENTS } },
    );

  async function* readKeys(address: StreamAddress, from: number): AsyncGenerator<string> {
    for (let first = from; ; first += PAGE_SIZE) {
      const values = await client.mGet(Array.from({ length: PAGE_SIZE }, (_, offset) => eventKey(address, first + offset)));
      for (const value of values) {
        if (value === null) return;
        yield value;
      }
    }
  }

  async function* readStream(address: StreamAddress, from: number): AsyncGenerator<string> {
    for (let first = from; ; ) {
      const entries = await client.xRange(streamKey(address), `${first}-0`, '+', { COUNT: PAGE_SIZE });
      for (const entry of entries) yield entry.message.d as string;
      if (entries.length < PAGE_SIZE) return;
      first = Number(entries[entries.length - 1].id.split('-')[0]) + 1;
    }
  }

  return {
    spec,
    async openWriter(address) {
      let sequence = 0;
      // NOMKSTREAM appends only to an events key that exists, as a stream's first append would make it.
      if (layout === 'proposed:counter+xadd+publish') await client.xAdd(streamKey(address), '0-1', { created: '1' });
      return {
        async write(data) {
          const id = ++sequence;
          const payload = JSON.stringify(data);
          if (layout === 'xadd') await client.xAdd(streamKey(address), `${id}-0`, { d: payload });
          else if (layout === 'xadd+publish')
            await appendTrimmed(client.multi(), address, id, payload).publish(channel(address), payload).exec();
          else if (layout === 'counter+xadd+publish') {
            // What an append that is not a script would run: the counter makes sequences of several writers gap-free.
            await appendTrimmed(client.multi().hIncrBy(counterKey(address), 'l', 1), address, id, payload)
              .publish(channel(address), headedWakeup(id, payload))
              .exec();
          } else if (layout === 'proposed:counter+xadd+publish') {
            // The counter is the one check: it keeps the sequences given when the events key is
            // evicted, and tells a completed stream and missing metadata. The explicit id makes
            // XADD a compare-and-set, and NOMKSTREAM leaves a missing events key to a script.
            const trim = id > MAX_EVENTS ? { TRIM: { strategy: 'MAXLEN' as const, threshold: MAX_EVENTS } } : undefined;
            await client
              .multi()
              .hIncrBy(counterKey(address), 'l', 1)
              .xAddNoMkStream(streamKey(address), `${id}-0`, { d: payload }, trim)
              .publish(channel(address), headedWakeup(id, payload))
              .exec();
          } else if (layout === 'script:counter+xadd+publish') {
            await client.evalSha(scriptSha, {
              keys: [counterKey(address), streamKey(address)],
              arguments: [String(MAX_EVENTS), channel(address), payload, String(Date.now())],
            });
          } else if (layout === 'set')
            await client.set(eventKey(address, id), payload, { expiration: { type: 'PX', value: EVENT_TTL_MS } });
          else {
            await Promise.all([
              client.set(eventKey(address, id), payload, { expiration: { type: 'PX', value: EVENT_TTL_MS } }),
              client.publish(channel(address), payload),
            ]);
          }
          return String(id);
        },
        complete: async () => undefined,
      };
    },
    async seed(address, events) {
      for (let start = 0; start < events.length; start += SEED_PIPELINE) {
        const pipeline = client.multi();
        events.slice(start, start + SEED_PIPELINE).forEach((data, offset) => {
          const id = start + offset + 1;
          if (inStream) pipeline.xAdd(streamKey(address), `${id}-0`, { d: JSON.stringify(data) });
          else pipeline.set(eventKey(address, id), JSON.stringify(data), { expiration: { type: 'PX', value: EVENT_TTL_MS } });
        });
        await pipeline.execAsPipeline();
      }
      return events.map((_, index) => String(index + 1));
    },
    async replay(address, request) {
      const from = Number(request.afterId ?? 0) + 1;
      let delivered = 0;
      for await (const payload of inStream ? readStream(address, from) : readKeys(address, from)) {
        request.onEvent?.(JSON.parse(payload));
        if (++delivered >= request.count || now() >= request.deadline) break;
      }
      return delivered;
    },
    follow:
      layout === 'set+publish' || layout === 'xadd+publish'
        ? async (address, onEvent) => {
            const subscriber = client.duplicate();
            subscriber.on('error', () => undefined);
            await subscriber.connect();
            subscribers.add(subscriber);
            await subscriber.subscribe(channel(address), (message) => onEvent(JSON.parse(message)));
            return () => {
              subscribers.delete(subscriber);
              subscriber.destroy();
            };
          }
        : undefined,
    async close() {
      for (const subscriber of subscribers) subscriber.destroy();
      client.destroy();
    },
  };
}

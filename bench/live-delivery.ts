/**
 * Write-to-delivery latency and the cost of idle readers: push (in-process, Redis pub/sub)
 * against the reference's 1 s polling, side by side in one run.
 *
 *   npm run bench:live [-- --events 500 --idle-readers 1000]
 *
 * The cross-process cases run the writer in a child process (this file with `writer` as
 * argument); both processes read the same clock, so latencies compare directly.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { createKeyv } from '@keyv/redis';
import { type Cache, createCache } from 'cache-manager';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createSseEventStore } from '../lib/testing';
import { countingCache } from '../test/support/counting-cache';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}

function redisCache(): Cache {
  return createCache({ stores: [createKeyv(REDIS_URL)] });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface WriterJob {
  keyPrefix: string;
  sessionId: string;
  streamId: string;
  events: number;
  gapMs: number;
}

/** Child process: writes `events` events, each carrying its send time. */
async function runWriter(job: WriterJob): Promise<void> {
  Logger.overrideLogger(false);
  const cache = redisCache();
  const { store, close } = createSseEventStore({ cache, keyPrefix: job.keyPrefix });
  const writer = await store.createStream({ sessionId: job.sessionId, streamId: job.streamId });
  process.send?.('ready');
  await new Promise((resolve) => process.once('message', resolve));
  for (let n = 0; n < job.events; n++) {
    await writer.write({ data: { sentAt: now() } });
    await sleep(job.gapMs);
  }
  await writer.complete();
  await close();
  await cache.disconnect();
  process.exit(0);
}

/** Latencies (ms) of `events` writes made in `writeFrom` and read by a reader on `cache`. */
async function measure(
  label: string,
  cache: Cache,
  options: { redis?: false; pollingInterval?: number; crossProcess: boolean },
  events: number,
  gapMs: number,
): Promise<{ label: string; p50: number; p99: number; events: number }> {
  const keyPrefix = `bench-live-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const address = { sessionId: 'bench', streamId: label };
  const { store, close } = createSseEventStore({ cache, keyPrefix, ...options });
  let start: () => void;
  let finished: Promise<unknown>;
  if (options.crossProcess) {
    const child = fork(__filename, ['writer', JSON.stringify({ keyPrefix, ...address, events, gapMs })]);
    await new Promise((resolve) => child.once('message', resolve));
    start = () => child.send('go');
    finished = new Promise((resolve) => child.once('exit', resolve));
  } else {
    const writer = await store.createStream(address);
    start = () => {
      finished = (async () => {
        for (let n = 0; n < events; n++) {
          await writer.write({ data: { sentAt: now() } });
          await sleep(gapMs);
        }
        await writer.complete();
      })();
    };
    finished = Promise.resolve();
  }
  const reader = await store.getStreamReaderFromStart(address);
  if (!reader) throw new Error('stream not found');
  const latencies: number[] = [];
  const done = firstValueFrom(reader.events().pipe(take(events), toArray()));
  const subscription = reader.events().subscribe((event) => latencies.push(now() - (event.data as { sentAt: number }).sentAt));
  await sleep(300); // the reader's subscription is live
  start();
  await done;
  await finished;
  subscription.unsubscribe();
  await close();
  latencies.sort((a, b) => a - b);
  return { label, p50: percentile(latencies, 50), p99: percentile(latencies, 99), events: latencies.length };
}

/** Cache reads per second made by `count` idle streaming readers. */
async function idleReads(label: string, cache: Cache, options: { redis?: false }, count: number, seconds: number) {
  const counted = countingCache(cache);
  const keyPrefix = `bench-idle-${Date.now()}`;
  const { store, close } = createSseEventStore({ cache: counted.cache, keyPrefix, ...options });
  const subscriptions = [];
  for (let index = 0; index < count; index++) {
    const address = { sessionId: 'idle', streamId: `s${index}` };
    await store.createStream(address);
    const reader = await store.getStreamReaderFromStart(address);
    subscriptions.push(reader!.events().subscribe());
  }
  await sleep(1_500); // first reads and the re-checks once channels are live
  counted.reset();
  await sleep(seconds * 1_000);
  const reads = counted.counts.mget + counted.counts.get;
  for (const subscription of subscriptions) subscription.unsubscribe();
  await close();
  return { label, readsPerSecond: reads / seconds };
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const events = argument('events', 500);
  const idleReaders = argument('idle-readers', 1_000);
  const latency = [];
  const memory = createCache();
  const redis = redisCache();
  const redisForPolling = redisCache();
  latency.push(await measure('same process, in-memory (push)', memory, { crossProcess: false }, events, 2));
  latency.push(await measure('same process, Redis (push)', redis, { crossProcess: false }, events, 2));
  latency.push(await measure('other process, Redis pub/sub (push)', redis, { crossProcess: true }, events, 2));
  latency.push(
    await measure('other process, Redis, polling 1 s (reference)', redisForPolling, { crossProcess: true, redis: false, pollingInterval: 1_000 }, Math.min(events, 60), 53),
  );
  console.log('\nWrite-to-delivery latency (ms)');
  console.table(latency.map(({ label, p50, p99, events: n }) => ({ reader: label, events: n, p50: +p50.toFixed(3), p99: +p99.toFixed(3) })));

  const idle = [
    await idleReads('Redis pub/sub (push)', redis, {}, idleReaders, 5),
    await idleReads('Redis, polling 1 s (reference)', redisForPolling, { redis: false }, idleReaders, 5),
  ];
  console.log(`\nCache reads per second by ${idleReaders} idle streaming readers`);
  console.table(idle);
  await redis.disconnect();
  await redisForPolling.disconnect();
  process.exit(0);
}

if (process.argv[2] === 'writer') void runWriter(JSON.parse(process.argv[3]) as WriterJob);
else void main();

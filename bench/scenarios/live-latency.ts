import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { BenchSubject, StreamAddress, SubjectSpec } from '../impls/bench-subject';
import { subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import { withSubject } from '../impls/create-subject';
import { uniquePrefix } from '../support/redis';
import { now, percentile, sleep } from '../support/timing';
import { type LiveWriterJob, writeLiveEvents } from '../workers/live-writer';
import { type BenchResult, resultFor, type Scenario, type ScenarioContext } from './scenario';

/** Time for a new reader's pub/sub subscription to be live before the writer starts. */
const SETTLE_MS = 500;
/** How long after the last write a late event is still waited for (the reference polls every 1 s). */
const DRAIN_MS = 3_000;
/** Unmeasured events first, so the first measured ones do not pay for code warming up (not for the 1 s poller: pointless). */
const WARM_UP_EVENTS = 20;

/**
 * Live delivery: ms from the write call to the reader's callback, for a reader attached before
 * the writer starts. Same process: writer and reader share the subject. Cross process: a child
 * process writes (Redis only), the parent reads; both read the same clock. The reference's
 * 1 s polling gets fewer, more spaced events. Raw Redis: SET + PUBLISH, delivered by SUBSCRIBE.
 */
export const liveLatency: Scenario = {
  names: ['live-p50-same-process', 'live-p99-same-process', 'live-p99-cross-process'],
  async run(context) {
    const results: BenchResult[] = [];
    for (const target of context.targets.filter((target) => target.impl !== 'mcp-sdk-in-memory')) {
      const same = await latencies(context, target, false);
      results.push(resultFor(target, 'live-p50-same-process', percentile(same, 50), 'ms'));
      results.push(resultFor(target, 'live-p99-same-process', percentile(same, 99), 'ms'));
    }
    for (const target of context.targets.filter((target) => target.impl !== 'mcp-sdk-in-memory' && target.backend === 'redis')) {
      const cross = await latencies(context, target, true);
      results.push(resultFor(target, 'live-p99-cross-process', percentile(cross, 99), 'ms'));
      results.push(resultFor(target, 'live-p99-cross-process', percentile(cross, 50), 'ms', { variant: 'p50' }));
    }
    return results;
  },
};

/** Sorted latencies (ms) of the events the reader received. */
async function latencies(context: ScenarioContext, target: Target, crossProcess: boolean): Promise<number[]> {
  const polling = target.impl === 'reference';
  const job = {
    warmUpEvents: polling ? 0 : WARM_UP_EVENTS,
    events: polling ? context.sizes.pollingLiveEvents : context.sizes.liveEvents,
    gapMs: polling ? context.sizes.pollingLiveGapMs : context.sizes.liveGapMs,
  };
  const spec: SubjectSpec = { ...target, variant: target.impl === 'raw' ? 'set+publish' : target.variant, keyPrefix: uniquePrefix('live') };
  const address: StreamAddress = { sessionId: 'live', streamId: 'latency' };
  const measured: number[] = [];
  await withSubject(spec, async (subject) => {
    const writer = crossProcess ? await childWriter({ spec, address, ...job }) : await localWriter(subject, address, job);
    const stop = await subject.follow!(address, (data) => {
      const { sentAt, warmUp } = data as { sentAt: number; warmUp: boolean };
      if (!warmUp) measured.push(now() - sentAt);
    });
    await sleep(SETTLE_MS);
    await writer.start();
    const deadline = now() + DRAIN_MS;
    while (measured.length < job.events && now() < deadline) await sleep(10);
    stop();
  });
  if (measured.length < job.events) context.log(`live ${subjectLabel(spec)}: received ${measured.length} of ${job.events}`);
  measured.sort((a, b) => a - b);
  context.log(
    `live ${crossProcess ? 'cross' : 'same'}-process ${subjectLabel(spec)}: p50 ${percentile(measured, 50).toFixed(3)} ms, p99 ${percentile(measured, 99).toFixed(3)} ms`,
  );
  return measured;
}

interface LiveWriter {
  /** Writes every event; resolves when the last one is written. */
  start(): Promise<void>;
}

async function localWriter(
  subject: BenchSubject,
  address: StreamAddress,
  job: Omit<LiveWriterJob, 'spec' | 'address'>,
): Promise<LiveWriter> {
  const writer = await subject.openWriter(address);
  return { start: () => writeLiveEvents(writer, job) };
}

async function childWriter(job: LiveWriterJob): Promise<LiveWriter> {
  const child = fork(join(__dirname, '..', 'workers', 'live-writer.js'), [JSON.stringify(job)]);
  const exited = new Promise<void>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`live writer exited with ${code}`)))),
  );
  await Promise.race([new Promise((resolve) => child.once('message', resolve)), exited]);
  return {
    start() {
      child.send('go');
      return exited;
    },
  };
}

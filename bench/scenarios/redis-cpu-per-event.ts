import type { BenchWriter, SubjectSpec } from '../impls/bench-subject';
import { subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import type { RawLayout } from '../impls/raw-redis-subject';
import { withSubject } from '../impls/create-subject';
import { benchEvent } from '../support/bench-event';
import { connectRawClient, uniquePrefix } from '../support/redis';
import { type BenchResult, resultFor, type Scenario, type ScenarioContext } from './scenario';

const WARM_UP_WRITES = 20;

/** Raw Redis's rows, each a layout of its own: the baseline first, then the variant rows. */
const RAW_ROWS: { layout: RawLayout; extras: Pick<BenchResult, 'note' | 'variant'> }[] = [
  { layout: 'xadd+publish', extras: { note: 'XADD MAXLEN ~ + PUBLISH in MULTI' } },
  // What an append that is not a script would cost Redis: the baseline plus the sequence counter
  // and the wake-up header, the parts of the store's append it cannot do without.
  { layout: 'counter+xadd+publish', extras: { variant: 'with counter (HINCRBY) and wake-up header' } },
  // The same commands in the smallest Lua script: what any scripted append costs Redis at the least.
  { layout: 'script:counter+xadd+publish', extras: { variant: 'the same in a minimal Lua script' } },
  // The append that docs/append-without-a-script.md proposes: the baseline and the one check it keeps, the counter.
  { layout: 'proposed:counter+xadd+publish', extras: { variant: 'the proposed append without a script' } },
];

/**
 * `redis-cpu-per-event`: the Redis server's CPU time (user + system, from `INFO cpu`) per event
 * appended, with `cpuStreams` writers at once (one stream per session), every write awaited. Redis
 * is the one resource every instance of a deployment shares, so this caps the whole cluster's
 * write rate. The baseline is raw `XADD … MAXLEN ~` plus `PUBLISH` of the same payload in a
 * `MULTI`: storing and announcing each event, nothing more. Counts whatever else the server
 * does meanwhile, so it needs a quiet Redis.
 */
export const redisCpuPerEvent: Scenario = {
  names: ['redis-cpu-per-event'],
  async run(context) {
    const results: BenchResult[] = [];
    for (const target of context.targets.filter((target) => target.backend === 'redis')) {
      if (target.impl !== 'raw') {
        results.push(resultFor(target, 'redis-cpu-per-event', await measure(context, target), 'µs/event'));
        continue;
      }
      for (const { layout, extras } of RAW_ROWS) {
        results.push(resultFor(target, 'redis-cpu-per-event', await measure(context, target, layout), 'µs/event', extras));
      }
    }
    return results;
  },
};

async function measure(context: ScenarioContext, target: Target, rawLayout?: RawLayout): Promise<number> {
  const spec: SubjectSpec = { ...target, variant: rawLayout ?? target.variant, keyPrefix: uniquePrefix('cpu') };
  const { cpuStreams, cpuWritesPerStream } = context.sizes;
  const micros = await withSubject(spec, async (subject) => {
    const writers: BenchWriter[] = await Promise.all(
      Array.from({ length: cpuStreams }, (_, index) => subject.openWriter({ sessionId: `session${index}`, streamId: 'cpu' })),
    );
    for (let n = 0; n < WARM_UP_WRITES; n++) await Promise.all(writers.map((writer) => writer.write(benchEvent(n))));
    const before = await redisCpuSeconds();
    await Promise.all(
      writers.map(async (writer) => {
        for (let n = 0; n < cpuWritesPerStream; n++) await writer.write(benchEvent(n));
      }),
    );
    const after = await redisCpuSeconds();
    return ((after - before) * 1e6) / (cpuStreams * cpuWritesPerStream);
  });
  context.log(`redis-cpu-per-event ${subjectLabel(spec)}: ${micros.toFixed(2)} µs of Redis CPU per event`);
  return micros;
}

/** The server's CPU time so far, user and system, in seconds. */
async function redisCpuSeconds(): Promise<number> {
  const client = await connectRawClient();
  try {
    const info = await client.info('cpu');
    const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    return field('used_cpu_user') + field('used_cpu_sys');
  } finally {
    client.destroy();
  }
}

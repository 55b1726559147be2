import type { BenchWriter, SubjectSpec } from '../impls/bench-subject';
import { subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import { withSubject } from '../impls/create-subject';
import { forEachLimited } from '../support/populate';
import { RedisCommandMeter } from '../support/redis-command-meter';
import { uniquePrefix } from '../support/redis';
import { sleep } from '../support/timing';
import { type BenchResult, resultFor, type Scenario, type ScenarioContext } from './scenario';

/** Time for the readers' first reads (and pub/sub subscriptions) before counting starts. */
const SETTLE_MS = 1_000;

/**
 * `idle-reader-reads`: cache reads per second while 1,000 streaming readers wait on open
 * streams that nobody writes to. In memory: `get`/`mget` calls on the cache. On Redis: every
 * command any client of the process sends (nothing else runs meanwhile), so a read path that
 * bypasses cache-manager is counted too. Implementations without readers are not measured.
 */
export const idleReaders: Scenario = {
  names: ['idle-reader-reads'],
  async run(context) {
    const results: BenchResult[] = [];
    for (const target of context.targets.filter((target) => target.impl === 'store' || target.impl === 'reference')) {
      results.push(resultFor(target, 'idle-reader-reads', await readsPerSecond(context, target), 'reads/s'));
    }
    return results;
  },
};

async function readsPerSecond(context: ScenarioContext, target: Target): Promise<number> {
  const { idleReaders: count, idleSeconds } = context.sizes;
  const spec: SubjectSpec = { ...target, keyPrefix: uniquePrefix('idle'), countCacheCalls: target.backend === 'memory' };
  const rate = await withSubject(spec, async (subject) => {
    const writers: BenchWriter[] = [];
    const stops: (() => void)[] = [];
    await forEachLimited(count, 50, async (index) => {
      const address = { sessionId: `session${index}`, streamId: 'idle' };
      writers.push(await subject.openWriter(address));
      stops.push(await subject.follow!(address, () => undefined));
    });
    await sleep(SETTLE_MS);
    const meter = new RedisCommandMeter().start();
    subject.cacheCalls?.reset();
    await sleep(idleSeconds * 1_000);
    const counts = subject.cacheCalls?.counts;
    const reads = counts ? counts.get + counts.mget : meter.commands;
    meter.stop();
    for (const stop of stops) stop();
    await Promise.all(writers.map((writer) => writer.complete()));
    return reads / idleSeconds;
  });
  context.log(`idle-reader-reads ${subjectLabel(spec)}: ${rate.toFixed(1)} reads/s`);
  return rate;
}

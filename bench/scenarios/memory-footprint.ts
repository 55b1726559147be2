import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { SubjectSpec } from '../impls/bench-subject';
import { subjectLabel } from '../impls/bench-subject';
import { uniquePrefix } from '../support/redis';
import type { HeapProbeJob } from '../workers/heap-probe';
import { type BenchResult, resultFor, type Scenario } from './scenario';

/**
 * `memory-per-1k-streams`: MiB of V8 heap that 1,000 streams × 100 events take in an
 * in-memory implementation (writers completed, data held). Each is measured in a fresh child
 * process with `--expose-gc`, so nothing else is on its heap.
 */
export const memoryFootprint: Scenario = {
  names: ['memory-per-1k-streams'],
  async run(context) {
    const results: BenchResult[] = [];
    for (const target of context.targets.filter((target) => target.backend === 'memory')) {
      const spec: SubjectSpec = { ...target, keyPrefix: uniquePrefix('memory') };
      const job: HeapProbeJob = { spec, streams: context.sizes.memoryStreams, eventsPerStream: context.sizes.memoryEventsPerStream };
      const mib = await probe(job);
      context.log(`memory-per-1k-streams ${subjectLabel(spec)}: ${mib.toFixed(2)} MiB`);
      results.push(resultFor(target, 'memory-per-1k-streams', mib, 'MiB'));
    }
    return results;
  },
};

function probe(job: HeapProbeJob): Promise<number> {
  const child = fork(join(__dirname, '..', 'workers', 'heap-probe.js'), [JSON.stringify(job)], { execArgv: ['--expose-gc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: { mibPer1kStreams: number }) => resolve(message.mibPer1kStreams));
    child.once('exit', (code) => reject(new Error(`heap probe exited with ${code} before reporting`)));
  });
}

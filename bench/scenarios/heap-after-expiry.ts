import { fork } from 'node:child_process';
import { join } from 'node:path';
import { type SubjectSpec, subjectLabel } from '../impls/bench-subject';
import { uniquePrefix } from '../support/redis';
import type { ExpiryProbeJob, ExpiryProbeReport } from '../workers/expiry-probe';
import { type BenchResult, resultFor, type Scenario } from './scenario';

/**
 * `heap-after-expiry`: an in-memory implementation holds 1,000 completed streams × 50 events
 * whose every expiry is 1 s; 5 s after the last write, with nothing read meanwhile, its V8 heap
 * (after a full GC, in a fresh child process with `--expose-gc`) as a multiple of its heap when
 * empty. Variant rows: the MiB still held beyond the empty heap, and the entries still held.
 * The reference port is left out: it has no expiry of its own to set.
 */
export const heapAfterExpiry: Scenario = {
  names: ['heap-after-expiry'],
  async run(context) {
    const results: BenchResult[] = [];
    const { expiryStreams, expiryEventsPerStream, expiryTtlMs, expiryWaitMs } = context.sizes;
    for (const target of context.targets.filter((target) => target.backend === 'memory' && target.impl !== 'reference')) {
      const spec: SubjectSpec = { ...target, keyPrefix: uniquePrefix('expiry'), ttlMs: expiryTtlMs };
      const job: ExpiryProbeJob = { spec, streams: expiryStreams, eventsPerStream: expiryEventsPerStream, waitMs: expiryWaitMs };
      const report = await probe(job);
      const ratio = report.heapAfterExpiry / report.emptyHeap;
      const heldMiB = (report.heapAfterExpiry - report.emptyHeap) / 2 ** 20;
      context.log(
        `heap-after-expiry ${subjectLabel(spec)}: ${ratio.toFixed(2)}× the empty heap (${heldMiB.toFixed(2)} MiB more), ${report.entriesHeld} entries held`,
      );
      results.push(
        resultFor(target, 'heap-after-expiry', ratio, '× empty heap'),
        resultFor(target, 'heap-after-expiry', heldMiB, 'MiB', { variant: 'MiB held' }),
        resultFor(target, 'heap-after-expiry', report.entriesHeld, 'entries', { variant: 'entries held' }),
      );
    }
    return results;
  },
};

function probe(job: ExpiryProbeJob): Promise<ExpiryProbeReport> {
  const child = fork(join(__dirname, '..', 'workers', 'expiry-probe.js'), [JSON.stringify(job)], { execArgv: ['--expose-gc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message: ExpiryProbeReport) => resolve(message));
    child.once('exit', (code) => reject(new Error(`expiry probe exited with ${code} before reporting`)));
  });
}

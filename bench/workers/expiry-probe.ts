/**
 * Child process of `heap-after-expiry`, run with `--expose-gc`: heap used after a full GC by an
 * empty implementation (in memory), then once it held `streams` × `eventsPerStream` events whose
 * expiry (where it has one) is `ttlMs`, `waitMs` after the last write, with nothing read
 * meanwhile. Sends back both heaps and the entries still held.
 */
import { Logger } from '@nestjs/common';
import type { SubjectSpec } from '../impls/bench-subject';
import { createSubject } from '../impls/create-subject';
import { benchEvent } from '../support/bench-event';
import { heapAfterGc } from '../support/heap';
import { forEachLimited } from '../support/populate';

export interface ExpiryProbeJob {
  spec: SubjectSpec;
  streams: number;
  eventsPerStream: number;
  waitMs: number;
}

export interface ExpiryProbeReport {
  emptyHeap: number;
  heapAfterExpiry: number;
  entriesHeld: number;
}

async function main(job: ExpiryProbeJob): Promise<void> {
  Logger.overrideLogger(false);
  const subject = await createSubject(job.spec);
  // Writes the first event of a throwaway stream, so code loaded lazily is not counted.
  const warm = await subject.openWriter({ sessionId: 'warm-up', streamId: 'warm-up' });
  await warm.write(benchEvent(0));
  await warm.complete();
  const emptyHeap = heapAfterGc();
  await forEachLimited(job.streams, 50, async (index) => {
    const writer = await subject.openWriter({ sessionId: `session${index}`, streamId: 'expiring' });
    for (let n = 0; n < job.eventsPerStream; n++) await writer.write(benchEvent(n));
    await writer.complete();
  });
  await new Promise((resolve) => setTimeout(resolve, job.waitMs));
  const report: ExpiryProbeReport = { emptyHeap, heapAfterExpiry: heapAfterGc(), entriesHeld: subject.heldEntries?.() ?? Number.NaN };
  process.send!(report);
  await subject.close();
  process.exit(0);
}

void main(JSON.parse(process.argv[2]) as ExpiryProbeJob);

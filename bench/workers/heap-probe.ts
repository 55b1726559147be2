/**
 * Child process of `memory-per-1k-streams`, run with `--expose-gc`: heap used after a full GC,
 * before and after one implementation (in memory) holds `streams` × `eventsPerStream` events.
 * Sends back the difference in MiB, scaled to 1,000 streams.
 */
import { Logger } from '@nestjs/common';
import type { BenchWriter, SubjectSpec } from '../impls/bench-subject';
import { createSubject } from '../impls/create-subject';
import { benchEvent } from '../support/bench-event';
import { registerOtelSdkWhenRequested } from '../support/otel-sdk';
import { heapAfterGc } from '../support/heap';
import { forEachLimited } from '../support/populate';

export interface HeapProbeJob {
  spec: SubjectSpec;
  streams: number;
  eventsPerStream: number;
}

async function main(job: HeapProbeJob): Promise<void> {
  Logger.overrideLogger(false);
  registerOtelSdkWhenRequested();
  const subject = await createSubject(job.spec);
  // Writes the first event of a throwaway stream, so code loaded lazily is not counted.
  const warm = await subject.openWriter({ sessionId: 'warm-up', streamId: 'warm-up' });
  await warm.write(benchEvent(0));
  const before = heapAfterGc();
  const writers: BenchWriter[] = [];
  await forEachLimited(job.streams, 50, async (index) => {
    const writer = await subject.openWriter({ sessionId: `session${index}`, streamId: 'memory' });
    for (let n = 0; n < job.eventsPerStream; n++) await writer.write(benchEvent(n));
    await writer.complete();
    writers.push(writer);
  });
  const after = heapAfterGc();
  process.send!({ mibPer1kStreams: ((after - before) / 2 ** 20) * (1_000 / job.streams), held: writers.length });
  await subject.close();
  process.exit(0);
}

void main(JSON.parse(process.argv[2]) as HeapProbeJob);

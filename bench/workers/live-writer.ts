/**
 * Writes the events of a live latency measurement; run as a child process (the cross-process
 * case), it opens the writer of a stream, says `ready`, and writes on `go`.
 */
import { Logger } from '@nestjs/common';
import type { BenchWriter, StreamAddress, SubjectSpec } from '../impls/bench-subject';
import { createSubject } from '../impls/create-subject';
import { benchEvent } from '../support/bench-event';
import { registerOtelSdkWhenRequested } from '../support/otel-sdk';
import { now, sleep } from '../support/timing';

export interface LiveWriterJob {
  spec: SubjectSpec;
  address: StreamAddress;
  /** Events written first and not measured (the reader skips them): code paths warm up. */
  warmUpEvents: number;
  events: number;
  gapMs: number;
}

/** Writes the warm-up events, then the measured ones, each carrying its send time. */
export async function writeLiveEvents(writer: BenchWriter, job: Omit<LiveWriterJob, 'spec' | 'address'>): Promise<void> {
  for (let n = 0; n < job.warmUpEvents + job.events; n++) {
    await writer.write(benchEvent(n, { sentAt: now(), warmUp: n < job.warmUpEvents }));
    await sleep(job.gapMs);
  }
  await writer.complete();
}

async function main(job: LiveWriterJob): Promise<void> {
  Logger.overrideLogger(false);
  registerOtelSdkWhenRequested();
  const subject = await createSubject(job.spec);
  const writer = await subject.openWriter(job.address);
  const go = new Promise((resolve) => process.once('message', resolve));
  process.send!('ready');
  await go;
  await writeLiveEvents(writer, job);
  await subject.close();
  process.exit(0);
}

if (require.main === module) void main(JSON.parse(process.argv[2]) as LiveWriterJob);

import { type BenchWriter, type StreamAddress, type SubjectSpec, subjectLabel } from '../impls/bench-subject';
import { withSubject } from '../impls/create-subject';
import type { Target } from '../impls/bench-targets';
import { benchEvent } from '../support/bench-event';
import { uniquePrefix } from '../support/redis';
import { stepsPerSecond } from '../support/timing';
import { type BenchResult, resultFor, type Scenario, type ScenarioContext, type ScenarioName } from './scenario';

const WARM_UP_WRITES = 10;

/** How a scenario's writers are spread: one stream per session (many clients), or many streams of one session. */
type Spread = 'sessions' | 'one-session';

/**
 * `write-1-stream` and `write-100-streams`: events/s appended with every write awaited, by one
 * writer, then by 100 writers at once (one stream in each of 100 sessions: many clients).
 * `write-20-streams-one-session`: 20 writers at once on 20 streams of one session (an MCP
 * session answering 20 requests), where every write of the session lands on one hash slot. Raw
 * Redis does a SET of the same JSON per event; with several writers the client pipelines them.
 */
export const writeThroughput: Scenario = {
  names: ['write-1-stream', 'write-100-streams', 'write-20-streams-one-session'],
  async run(context) {
    const results: BenchResult[] = [];
    for (const [scenario, streams, spread] of [
      ['write-1-stream', 1, 'sessions'],
      ['write-100-streams', 100, 'sessions'],
      ['write-20-streams-one-session', 20, 'one-session'],
    ] as const) {
      for (const target of context.targets) results.push(await measure(context, target, scenario, streams, spread));
    }
    return results;
  },
};

async function measure(
  context: ScenarioContext,
  target: Target,
  scenario: ScenarioName,
  streams: number,
  spread: Spread,
): Promise<BenchResult> {
  const spec: SubjectSpec = { ...target, variant: target.impl === 'raw' ? 'set' : target.variant, keyPrefix: uniquePrefix('write') };
  const rate = await withSubject(spec, async (subject) => {
    const addresses: StreamAddress[] = Array.from({ length: streams }, (_, index) =>
      spread === 'sessions' ? { sessionId: `session${index}`, streamId: 'stream' } : { sessionId: 'session', streamId: `stream${index}` },
    );
    const writers: BenchWriter[] = await Promise.all(addresses.map((address) => subject.openWriter(address)));
    for (let n = 0; n < WARM_UP_WRITES; n++) await Promise.all(writers.map((writer) => writer.write(benchEvent(n))));
    return stepsPerSecond(streams, context.sizes.writeSeconds, (loop, n) => writers[loop].write(benchEvent(n)));
  });
  context.log(`${scenario} ${subjectLabel(spec)}: ${Math.round(rate)} events/s`);
  return resultFor(target, scenario, rate, 'events/s', target.impl === 'raw' ? { note: 'SET per event' } : {});
}

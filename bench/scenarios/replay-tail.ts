import { type BenchSubject, type StreamAddress, type SubjectSpec, subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import { withSubject } from '../impls/create-subject';
import type { RawLayout } from '../impls/raw-redis-subject';
import { fillStream, forEachLimited } from '../support/populate';
import { uniquePrefix } from '../support/redis';
import { median, now } from '../support/timing';
import { rangeReadResults } from './raw-range-reads';
import { resultFor, type Scenario, type ScenarioContext } from './scenario';

/** Streams filled at once, and writes outstanding per stream (setup, not measured). */
const FILL_PARALLEL_STREAMS = 16;
const FILL_IN_FLIGHT = 256;

/**
 * `replay-tail`: ms to resume the last 10 events of one stream while the implementation holds
 * 1,000 streams × 1,000 events: from the resume call to the 10th event. Repeated on different
 * streams (fewer times for slow implementations, within a time budget); the median is reported.
 */
export const replayTail: Scenario = {
  names: ['replay-tail'],
  run: (context) =>
    rangeReadResults(context, {
      scenario: 'replay-tail',
      unit: 'ms',
      better: 'lower',
      measureRaw: async (target, layout) => (await tailMs(context, target, layout)).ms,
      async measure(target) {
        const { ms, note } = await tailMs(context, target);
        return [resultFor(target, 'replay-tail', ms, 'ms', { note })];
      },
    }),
};

async function tailMs(context: ScenarioContext, target: Target, rawLayout?: RawLayout): Promise<{ ms: number; note?: string }> {
  const { tailStreams, tailEventsPerStream, tailMissed, tailRepeats, tailBudgetMs } = context.sizes;
  const spec: SubjectSpec = { ...target, variant: rawLayout ?? target.variant, keyPrefix: uniquePrefix('tail') };
  const address = (index: number): StreamAddress => ({ sessionId: `session${index}`, streamId: `stream${index}` });
  // The streams resumed, spread over the store; each resumes after its event number (length - missed).
  const resumed = Array.from({ length: Math.min(tailRepeats, tailStreams) }, (_, n) =>
    Math.floor((n * tailStreams) / Math.min(tailRepeats, tailStreams)),
  );
  const measured = await withSubject(spec, async (subject: BenchSubject) => {
    const resumeAfter = new Map<number, string>();
    const filled = now();
    await forEachLimited(tailStreams, FILL_PARALLEL_STREAMS, async (index) => {
      const ids = await fillStream(subject, address(index), tailEventsPerStream, FILL_IN_FLIGHT);
      if (resumed.includes(index)) resumeAfter.set(index, ids[tailEventsPerStream - tailMissed - 1]);
    });
    context.log(`replay-tail ${subjectLabel(spec)}: filled ${tailStreams} × ${tailEventsPerStream} in ${Math.round(now() - filled)} ms`);
    const times: number[] = [];
    const shortfalls: number[] = [];
    const budgetEnd = now() + tailBudgetMs;
    for (let n = 0; n < resumed.length && (n === 0 || now() < budgetEnd); n++) {
      const started = now();
      const delivered = await subject.replay(address(resumed[n]), {
        afterId: resumeAfter.get(resumed[n]),
        count: tailMissed,
        deadline: Infinity,
      });
      times.push(now() - started);
      if (delivered !== tailMissed) shortfalls.push(delivered);
    }
    // The MCP SDK's store orders events by id, and its ids order only to the millisecond: events
    // written in the same millisecond come back in random order, so a resume may miss some.
    const note =
      shortfalls.length > 0
        ? `${shortfalls.length} of ${times.length} resumes delivered fewer than ${tailMissed} (${shortfalls.join(', ')})`
        : undefined;
    return { ms: median(times), note };
  });
  context.log(`replay-tail ${subjectLabel(spec)}: ${measured.ms.toFixed(3)} ms${measured.note ? `; ${measured.note}` : ''}`);
  return measured;
}

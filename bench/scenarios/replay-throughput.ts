import { type SubjectSpec, subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import { withSubject } from '../impls/create-subject';
import type { RawLayout } from '../impls/raw-redis-subject';
import { fillStream } from '../support/populate';
import { uniquePrefix } from '../support/redis';
import { now } from '../support/timing';
import { rawRangeReadResults } from './raw-range-reads';
import { type BenchResult, resultFor, type Scenario, type ScenarioContext } from './scenario';

/** Writes outstanding while the stream is filled (setup): lets batching implementations fill fast. */
const FILL_IN_FLIGHT = 512;

/**
 * `replay-100k`: events/s delivered to a subscriber that resumes from the start of a
 * 100,000-event stream, the best of a few replays. A replay slower than the cap is stopped and rated on what it delivered
 * (its rate does not change along the stream). Raw Redis is rated by the better of MGET pages
 * and XRANGE pages, both of the store's replay page size.
 */
export const replayThroughput: Scenario = {
  names: ['replay-100k'],
  async run(context) {
    const results: BenchResult[] = [];
    for (const target of context.targets) {
      if (target.impl === 'raw') {
        results.push(
          ...(await rawRangeReadResults(target, 'replay-100k', 'events/s', 'higher', (layout) => replayRate(context, target, layout))),
        );
      } else {
        results.push(resultFor(target, 'replay-100k', await replayRate(context, target), 'events/s'));
      }
    }
    return results;
  },
};

async function replayRate(context: ScenarioContext, target: Target, rawLayout?: RawLayout): Promise<number> {
  const events = context.sizes.replayEvents;
  const spec: SubjectSpec = { ...target, variant: rawLayout ?? target.variant, keyPrefix: uniquePrefix('replay'), longestStream: events };
  const address = { sessionId: 'replay', streamId: 'long' };
  const rate = await withSubject(spec, async (subject) => {
    await fillStream(subject, address, events, FILL_IN_FLIGHT);
    let best = 0;
    for (let pass = 0; pass < context.sizes.replayRepeats; pass++) {
      const started = now();
      const delivered = await subject.replay(address, { count: events, deadline: started + context.sizes.replayCapMs });
      best = Math.max(best, delivered / ((now() - started) / 1_000));
    }
    return best;
  });
  context.log(`replay-100k ${subjectLabel(spec)}: ${Math.round(rate)} events/s`);
  return rate;
}

import { type SubjectSpec, subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import { withSubject } from '../impls/create-subject';
import type { RawLayout } from '../impls/raw-redis-subject';
import { fillStream } from '../support/populate';
import { uniquePrefix } from '../support/redis';
import { now } from '../support/timing';
import { rangeReadResults } from './raw-range-reads';
import { resultFor, type Scenario, type ScenarioContext, WIRE_DATA } from './scenario';

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
  run: (context) =>
    rangeReadResults(context, {
      scenario: 'replay-100k',
      unit: 'events/s',
      better: 'higher',
      measureRaw: async (target, layout) => (await replayRate(context, target, layout)).best,
      async measure(target) {
        const { best, first, wireBest } = await replayRate(context, target);
        return [
          resultFor(target, 'replay-100k', best, 'events/s'),
          resultFor(target, 'replay-100k', first, 'events/s', { variant: 'first replay' }),
          ...(wireBest === undefined ? [] : [resultFor(target, 'replay-100k', wireBest, 'events/s', { variant: WIRE_DATA })]),
        ];
      },
    }),
};

interface ReplayRates {
  best: number;
  /** The first replay (an implementation may keep what a replay decoded). */
  first: number;
  /** The best replay with `wireData` (the store only). */
  wireBest?: number;
}

async function replayRate(context: ScenarioContext, target: Target, rawLayout?: RawLayout): Promise<ReplayRates> {
  const events = context.sizes.replayEvents;
  const spec: SubjectSpec = { ...target, variant: rawLayout ?? target.variant, keyPrefix: uniquePrefix('replay'), longestStream: events };
  const address = { sessionId: 'replay', streamId: 'long' };
  const rate = await withSubject(spec, async (subject) => {
    await fillStream(subject, address, events, FILL_IN_FLIGHT);
    const replays = async (wireData?: boolean): Promise<number[]> => {
      const rates: number[] = [];
      for (let pass = 0; pass < context.sizes.replayRepeats; pass++) {
        const started = now();
        const delivered = await subject.replay(address, { count: events, deadline: started + context.sizes.replayCapMs, wireData });
        rates.push(delivered / ((now() - started) / 1_000));
      }
      return rates;
    };
    const rates = await replays();
    const wireRates = target.impl === 'store' ? await replays(true) : undefined;
    return { best: Math.max(...rates), first: rates[0], wireBest: wireRates && Math.max(...wireRates) };
  });
  const wire = rate.wireBest === undefined ? '' : `, ${WIRE_DATA} ${Math.round(rate.wireBest)}`;
  context.log(`replay-100k ${subjectLabel(spec)}: ${Math.round(rate.best)} events/s (first replay ${Math.round(rate.first)}${wire})`);
  return rate;
}

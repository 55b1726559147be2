import type { BenchWriter, SubjectSpec } from '../impls/bench-subject';
import { subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import { withSubject } from '../impls/create-subject';
import { benchEvent } from '../support/bench-event';
import { RedisCommandMeter } from '../support/redis-command-meter';
import { uniquePrefix } from '../support/redis';
import { type BenchResult, resultFor, type Scenario, type ScenarioContext } from './scenario';

const WARM_UP_WRITES = 20;
const CONCURRENT_STREAMS = 100;

/**
 * `round-trips-per-write`: what one written event costs in steady state (writers open and
 * warmed up, no readers), with every write awaited: one stream, then 100 streams at once
 * (variant `100 streams`).
 *
 * - In memory: calls reaching the cache (each would be a round trip on a networked cache).
 * - On Redis: round trips at the client, i.e. socket writes each answered by one batch of
 *   replies (see `RedisCommandMeter`); concurrent commands share one. Variant rows give the
 *   commands per event, which concurrency does not hide.
 */
export const roundTrips: Scenario = {
  names: ['round-trips-per-write'],
  async run(context) {
    const results: BenchResult[] = [];
    for (const target of context.targets.filter((target) => target.impl !== 'mcp-sdk-in-memory')) {
      for (const streams of [1, CONCURRENT_STREAMS]) {
        const variant = streams === 1 ? undefined : `${streams} streams`;
        const cost = await costPerEvent(context, target, streams);
        if (target.backend === 'memory') {
          results.push(resultFor(target, 'round-trips-per-write', cost.cacheCalls, 'cache calls/event', { variant }));
        } else {
          results.push(resultFor(target, 'round-trips-per-write', cost.roundTrips, 'round trips/event', { variant }));
          results.push(
            resultFor(target, 'round-trips-per-write', cost.commands, 'commands/event', {
              variant: [variant, 'commands'].filter(Boolean).join(', '),
            }),
          );
        }
      }
    }
    return results;
  },
};

async function costPerEvent(
  context: ScenarioContext,
  target: Target,
  streams: number,
): Promise<{ cacheCalls: number; roundTrips: number; commands: number }> {
  const spec: SubjectSpec = {
    ...target,
    variant: target.impl === 'raw' ? 'set' : target.variant,
    keyPrefix: uniquePrefix('trips'),
    countCacheCalls: target.backend === 'memory',
  };
  // With many streams each writes a tenth as many events (ten times as many in all).
  const perStream =
    streams === 1 ? context.sizes.roundTripEvents : Math.max(WARM_UP_WRITES, Math.round(context.sizes.roundTripEvents / 10));
  const cost = await withSubject(spec, async (subject) => {
    const writers: BenchWriter[] = await Promise.all(
      Array.from({ length: streams }, (_, index) => subject.openWriter({ sessionId: `session${index}`, streamId: 'trips' })),
    );
    for (let n = 0; n < WARM_UP_WRITES; n++) await Promise.all(writers.map((writer) => writer.write(benchEvent(n))));
    const meter = new RedisCommandMeter().start();
    subject.cacheCalls?.reset();
    await Promise.all(
      writers.map(async (writer) => {
        for (let n = 0; n < perStream; n++) await writer.write(benchEvent(n));
      }),
    );
    meter.stop();
    const events = perStream * streams;
    const counts = subject.cacheCalls?.counts;
    const cacheCalls = counts ? Object.values(counts).reduce((sum, calls) => sum + calls, 0) : Number.NaN;
    return { cacheCalls: cacheCalls / events, roundTrips: meter.roundTrips / events, commands: meter.commands / events };
  });
  context.log(
    `round-trips ${subjectLabel(spec)} × ${streams}: ${target.backend === 'memory' ? `${cost.cacheCalls.toFixed(3)} cache calls` : `${cost.roundTrips.toFixed(3)} round trips, ${cost.commands.toFixed(3)} commands`} per event`,
  );
  return cost;
}

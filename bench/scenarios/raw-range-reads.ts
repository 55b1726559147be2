import type { Target } from '../impls/bench-targets';
import { RAW_LAYOUTS, type RawLayout } from '../impls/raw-redis-subject';
import { type BenchResult, resultFor, type ScenarioContext, type ScenarioName } from './scenario';

const READ_LAYOUTS: { layout: RawLayout; variant: string }[] = [
  { layout: 'set', variant: 'MGET' },
  { layout: 'xadd', variant: 'XRANGE' },
];

/** A scenario that reads stored ranges back, and how it measures each target. */
export interface RangeReadScenario {
  scenario: ScenarioName;
  unit: string;
  better: 'higher' | 'lower';
  /** Raw Redis's figure with one layout. */
  measureRaw(target: Target, layout: RawLayout): Promise<number>;
  /** The rows of any other target. */
  measure(target: Target): Promise<BenchResult[]>;
}

/** The rows of every target of the run: raw Redis as {@link rawRangeReadResults} gives them. */
export async function rangeReadResults(context: ScenarioContext, reads: RangeReadScenario): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const target of context.targets) {
    if (target.impl !== 'raw') results.push(...(await reads.measure(target)));
    else
      results.push(
        ...(await rawRangeReadResults(target, reads.scenario, reads.unit, reads.better, (layout) => reads.measureRaw(target, layout))),
      );
  }
  return results;
}

/**
 * Raw Redis range reads are measured both ways (keys + MGET, stream + XRANGE); the required
 * row takes the better, the variant rows show both.
 */
async function rawRangeReadResults(
  target: Target,
  scenario: ScenarioName,
  unit: string,
  better: 'higher' | 'lower',
  measure: (layout: RawLayout) => Promise<number>,
): Promise<BenchResult[]> {
  const measured = [];
  for (const { layout, variant } of READ_LAYOUTS) measured.push({ layout, variant, value: await measure(layout) });
  const best = measured.reduce((a, b) => ((better === 'higher' ? b.value > a.value : b.value < a.value) ? b : a));
  return [
    resultFor(target, scenario, best.value, unit, { note: `better of two layouts: ${RAW_LAYOUTS[best.layout]}` }),
    ...measured.map(({ variant, value }) => resultFor(target, scenario, value, unit, { variant })),
  ];
}

import type { Target } from '../impls/bench-targets';
import { RAW_LAYOUTS, type RawLayout } from '../impls/raw-redis-subject';
import { type BenchResult, resultFor, type ScenarioName } from './scenario';

const READ_LAYOUTS: { layout: RawLayout; variant: string }[] = [
  { layout: 'set', variant: 'MGET' },
  { layout: 'xadd', variant: 'XRANGE' },
];

/**
 * Raw Redis range reads are measured both ways (keys + MGET, stream + XRANGE); the required
 * row takes the better, the variant rows show both.
 */
export async function rawRangeReadResults(
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

import { writeFile } from 'node:fs/promises';
import type { BackendName, ImplName } from '../impls/bench-subject';
import { type BenchResult, SCENARIO_NAMES, type ScenarioName } from '../scenarios/scenario';
import { advantage, betterDirection, type GoalCheck, RATIO_GOALS, requiredValue } from './goals';

/** One bar: how many times better the store is than another implementation in one scenario. */
interface Bar {
  scenario: ScenarioName;
  storeBackend: BackendName;
  other: ImplName;
  ratio: number;
  goal?: { atLeast: number; met: boolean };
}

const OTHER_LABEL: Record<ImplName, string> = {
  store: 'store',
  reference: 'reference',
  'mcp-sdk-in-memory': 'MCP SDK in-memory',
  raw: 'raw Redis',
};

/** The store on each backend against what runs on the same backend: the reference, and the MCP SDK (memory) or raw Redis. */
function bars(results: BenchResult[]): Bar[] {
  const found: Bar[] = [];
  for (const scenario of SCENARIO_NAMES) {
    const unit = results.find((result) => result.scenario === scenario)?.unit ?? '';
    for (const storeBackend of ['memory', 'redis'] as const) {
      const store = requiredValue(results, scenario, 'store', storeBackend);
      if (store === undefined) continue;
      const others: ImplName[] = storeBackend === 'memory' ? ['reference', 'mcp-sdk-in-memory'] : ['reference', 'raw'];
      for (const other of others) {
        const baseline = requiredValue(results, scenario, other, other === 'mcp-sdk-in-memory' ? 'memory' : storeBackend);
        if (baseline === undefined) continue;
        const ratio = advantage(store, baseline, betterDirection(unit));
        if (Number.isNaN(ratio)) continue;
        const goal = RATIO_GOALS.find(
          (candidate) => candidate.scenario === scenario && candidate.storeBackend === storeBackend && candidate.other.impl === other,
        );
        found.push({ scenario, storeBackend, other, ratio, goal: goal && { atLeast: goal.atLeast, met: ratio >= goal.atLeast } });
      }
    }
  }
  return found;
}

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return '∞';
  if (ratio >= 100) return ratio.toFixed(0);
  if (ratio >= 10) return ratio.toFixed(1);
  return ratio.toFixed(2);
}

/** Axis ticks at powers of ten: 0.01, 0.1, 1, 10, 1000, 10,000. */
function formatTick(exponent: number): string {
  return exponent < 0 ? (10 ** exponent).toFixed(-exponent) : (10 ** exponent).toLocaleString('en-US');
}

/**
 * A horizontal bar chart on a log scale, one bar per comparison, grouped by scenario: bars to
 * the right of 1× are where the store is better. Bars with a goal show it as a dashed mark and
 * are green when it is met, red when not.
 */
export function ratioChartSvg(results: BenchResult[], goals: GoalCheck[], subtitle: string): string {
  const data = bars(results);
  const finite = data.map((bar) => bar.ratio).filter(Number.isFinite);
  const minExp = Math.min(-1, Math.floor(Math.log10(Math.min(1, ...finite))));
  const maxExp = Math.max(3, Math.ceil(Math.log10(Math.max(1, ...finite, ...RATIO_GOALS.map((goal) => goal.atLeast)))));
  const width = 1000;
  const [labelWidth, valueWidth, rowHeight, headerHeight, top] = [250, 190, 20, 24, 78];
  const plotLeft = labelWidth;
  const plotRight = width - valueWidth;
  const x = (ratio: number): number => {
    const clamped = Math.min(Math.max(ratio, 10 ** minExp), 10 ** maxExp);
    return plotLeft + ((Math.log10(clamped) - minExp) / (maxExp - minExp)) * (plotRight - plotLeft);
  };
  const rows: string[] = [];
  let y = top;
  let previous: ScenarioName | undefined;
  for (const bar of data) {
    if (bar.scenario !== previous) {
      y += 6;
      rows.push(`<text x="10" y="${y + 15}" font-weight="bold">${bar.scenario}</text>`);
      y += headerHeight;
      previous = bar.scenario;
    }
    const colour = bar.goal ? (bar.goal.met ? '#2f9e44' : '#e03131') : '#4c6ef5';
    const [from, to] = [x(1), x(bar.ratio)];
    const value = `${formatRatio(bar.ratio)}×${bar.goal ? `  (goal ≥ ${bar.goal.atLeast}×)` : ''}`;
    rows.push(`<text x="24" y="${y + 14}">${escapeXml(`${bar.storeBackend} · vs ${OTHER_LABEL[bar.other]}`)}</text>`);
    rows.push(
      `<rect x="${Math.min(from, to)}" y="${y + 3}" width="${Math.max(1, Math.abs(to - from))}" height="${rowHeight - 6}" fill="${colour}"/>`,
    );
    if (bar.goal) {
      const goalX = x(bar.goal.atLeast);
      rows.push(
        `<line x1="${goalX}" x2="${goalX}" y1="${y}" y2="${y + rowHeight}" stroke="#212529" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
    rows.push(`<text x="${plotRight + 10}" y="${y + 14}">${escapeXml(value)}</text>`);
    y += rowHeight;
  }
  // Every goal, including the limits that are not ratios, listed under the bars.
  const goalLines = goals.map((goal, index) => {
    const [mark, colour] = goal.met === undefined ? ['n/a', '#868e96'] : goal.met ? ['met', '#2f9e44'] : ['missed', '#e03131'];
    const lineY = y + 74 + index * 18;
    return `<text x="10" y="${lineY}" fill="${colour}" font-weight="bold">${mark}</text><text x="70" y="${lineY}">${escapeXml(`${goal.goal}: ${goal.measured}`)}</text>`;
  });
  const height = y + 74 + goals.length * 18 + 10;
  const grid: string[] = [];
  for (let exp = minExp; exp <= maxExp; exp++) {
    const gx = x(10 ** exp);
    grid.push(`<line x1="${gx}" x2="${gx}" y1="${top}" y2="${y}" stroke="${exp === 0 ? '#212529' : '#dee2e6'}"/>`);
    grid.push(`<text x="${gx}" y="${y + 16}" text-anchor="middle" fill="#495057">${escapeXml(formatTick(exp))}×</text>`);
  }
  const met = goals.filter((goal) => goal.met === true).length;
  const checked = goals.filter((goal) => goal.met !== undefined).length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#212529">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="24" font-size="16" font-weight="bold">How many times better the store is (log scale; right of 1× = store better)</text>`,
    `<text x="10" y="44" fill="#495057">${escapeXml(subtitle)}</text>`,
    `<text x="10" y="62" fill="#495057">${escapeXml(`Rates: store ÷ other; times, reads, round trips, memory: other ÷ store. Goals met: ${met} of ${checked} (green met, red missed, dashed mark = goal).`)}</text>`,
    ...grid,
    ...rows,
    `<text x="${(plotLeft + plotRight) / 2}" y="${y + 34}" text-anchor="middle" fill="#495057">ratio (log scale)</text>`,
    `<text x="10" y="${y + 54}" font-weight="bold">Goals</text>`,
    ...goalLines,
    '</svg>',
    '',
  ].join('\n');
}

export async function writeRatioChart(path: string, results: BenchResult[], goals: GoalCheck[], subtitle: string): Promise<void> {
  await writeFile(path, ratioChartSvg(results, goals, subtitle));
}

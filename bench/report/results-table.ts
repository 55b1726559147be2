import { subjectLabel } from '../impls/bench-subject';
import type { Target } from '../impls/bench-targets';
import { type BenchResult, SCENARIO_NAMES } from '../scenarios/scenario';

/** The results as a grid: one row per scenario (and extra measurement), one column per implementation. */
export interface ResultGrid {
  columns: string[];
  rows: { label: string; unit: string; cells: string[] }[];
}

const UNIT_SHORT: Record<string, string> = {
  'events/s': '/s',
  ms: 'ms',
  'reads/s': '/s',
  MiB: 'MiB',
  'cache calls/event': 'calls',
  'round trips/event': 'rt',
  'commands/event': 'cmd',
};

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'events/s')
    return value >= 10_000 ? `${Math.round(value / 1_000)}k` : value >= 1_000 ? `${(value / 1_000).toFixed(1)}k` : value.toFixed(0);
  if (unit === 'ms') return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
  if (unit === 'reads/s' || unit === 'MiB') return value >= 100 ? value.toFixed(0) : value.toFixed(1);
  return value.toFixed(value >= 10 ? 1 : 3);
}

export function buildGrid(results: BenchResult[], targets: Target[]): ResultGrid {
  const columns = targets.map(subjectLabel);
  const rowKeys: { label: string; scenario: string; variant?: string }[] = [];
  for (const scenario of SCENARIO_NAMES) {
    // The required row first, then the extra measurements in the order they were produced.
    const variants = [...new Set(results.filter((result) => result.scenario === scenario).map((result) => result.variant))];
    if (variants.includes(undefined)) variants.unshift(...variants.splice(variants.indexOf(undefined), 1));
    for (const variant of variants) rowKeys.push({ scenario, variant, label: variant ? `  ${scenario} (${variant})` : scenario });
  }
  const rows = rowKeys.map(({ label, scenario, variant }) => {
    const inRow = results.filter((result) => result.scenario === scenario && result.variant === variant);
    const unit = inRow[0]?.unit ?? '';
    const cells = targets.map((target) => {
      const result = inRow.find(
        (candidate) => candidate.impl === target.impl && candidate.backend === target.backend && candidate.implVariant === target.variant,
      );
      if (!result) return '–';
      const text = formatValue(result.value, result.unit);
      return result.unit === unit ? text : `${text} ${UNIT_SHORT[result.unit] ?? result.unit}`;
    });
    return { label, unit, cells };
  });
  return { columns, rows };
}

/** Plain-text table for the terminal. */
export function formatConsoleTable(results: BenchResult[], targets: Target[]): string {
  const grid = buildGrid(results, targets);
  const header = ['scenario', 'unit', ...grid.columns];
  const lines = [header, ...grid.rows.map((row) => [row.label, row.unit, ...row.cells])];
  const widths = header.map((_, column) => Math.max(...lines.map((line) => line[column].length)));
  const pad = (line: string[]): string =>
    line.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  return [pad(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.slice(1).map(pad)].join('\n');
}

/** The same table in Markdown. */
export function formatMarkdownTable(results: BenchResult[], targets: Target[]): string {
  const grid = buildGrid(results, targets);
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(['scenario', 'unit', ...grid.columns.map((column) => `\`${column}\``)]),
    line(['---', '---', ...grid.columns.map(() => '---:')]),
    ...grid.rows.map((row) => line([row.label.trim().replace(/^(\S+) \((.*)\)$/, '↳ $2'), row.unit, ...row.cells])),
  ].join('\n');
}

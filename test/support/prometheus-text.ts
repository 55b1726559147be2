/** Reads the Prometheus text exposition format (version 0.0.4), strictly, for tests. */

export type PrometheusType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line: `name{label="value",...} value`. */
export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# TYPE`, `# UNIT` (OpenTelemetry's exporter writes one) and samples. */
export interface PrometheusFamily {
  name: string;
  type: PrometheusType;
  unit?: string;
  samples: PrometheusSample[];
}

const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/;
const SAMPLE = new RegExp(`^(${METRIC_NAME})(\\{.*\\})?\\s+(\\S+)(?:\\s+(-?\\d+))?$`);
const DESCRIPTOR = new RegExp(`^# (HELP|TYPE|UNIT) (${METRIC_NAME})(?: (.*))?$`);
/** The sample names a family of each type may have besides its own name. */
const SUFFIXES: Record<PrometheusType, string[]> = {
  counter: [],
  gauge: [],
  untyped: [],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

/**
 * Parses an exposition and checks it is one: every line a `# HELP`, `# TYPE` or `# UNIT` of a
 * valid name, another comment, or a sample whose value is a number; each family typed once,
 * before its samples, which follow it together; a histogram's `_bucket` samples carry `le`.
 * Throws naming the first line that breaks a rule.
 */
export function parsePrometheusText(text: string): Map<string, PrometheusFamily> {
  const families = new Map<string, PrometheusFamily>();
  // The exporter writes a family's HELP and UNIT before its TYPE.
  const units = new Map<string, string>();
  let current: PrometheusFamily | undefined;
  const fail = (line: string, rule: string): never => {
    throw new Error(`${rule}: ${JSON.stringify(line)}`);
  };
  // The last line may lack its line break: the exporter writes `# no registered metrics` without one.
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const descriptor = DESCRIPTOR.exec(line);
      if (!descriptor) {
        if (/^# (HELP|TYPE|UNIT)\b/.test(line)) fail(line, 'A malformed descriptor');
        continue;
      }
      const [, kind, name, rest = ''] = descriptor;
      if (kind !== 'TYPE') {
        if (kind === 'UNIT') units.set(name, rest);
        continue;
      }
      if (!TYPES.has(rest)) fail(line, 'An unknown type');
      if (families.has(name)) fail(line, 'A family typed twice');
      current = { name, type: rest as PrometheusType, unit: units.get(name), samples: [] };
      families.set(name, current);
      continue;
    }
    const match = SAMPLE.exec(line) ?? fail(line, 'Not a sample line');
    const [, name, labelText, valueText] = match;
    const value = parseSampleValue(valueText) ?? fail(line, 'A value that is not a number');
    const labels = labelText === undefined ? {} : (parseLabels(labelText.slice(1, -1)) ?? fail(line, 'Malformed labels'));
    if (!current || !belongsTo(name, current)) fail(line, 'A sample outside the family typed before it');
    if (current!.type === 'histogram' && name.endsWith('_bucket') && labels.le === undefined) fail(line, 'A bucket without le');
    current!.samples.push({ name, labels, value });
  }
  return families;
}

function belongsTo(sampleName: string, family: PrometheusFamily): boolean {
  return sampleName === family.name || SUFFIXES[family.type].some((suffix) => sampleName === family.name + suffix);
}

function parseSampleValue(text: string): number | undefined {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  return text.trim() !== '' && !Number.isNaN(value) ? value : undefined;
}

/** `a="1",b="x\"y"` (a trailing comma allowed), or undefined when malformed. */
function parseLabels(text: string): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const label = LABEL.exec(rest);
    if (!label || label[1] in labels) return undefined;
    labels[label[1]] = label[2].replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    rest = rest.slice(label[0].length);
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (rest !== '') return undefined;
  }
  return labels;
}

/**
 * The sum of the samples named `sampleName` whose labels include `labels` (e.g. a counter over
 * every label set), or undefined when there is none.
 */
export function sampleSum(
  families: Map<string, PrometheusFamily>,
  sampleName: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matching = [...families.values()]
    .flatMap((family) => family.samples)
    .filter((sample) => sample.name === sampleName && Object.entries(labels).every(([name, value]) => sample.labels[name] === value));
  return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
}

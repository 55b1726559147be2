/**
 * The benchmark: every scenario against every implementation that applies, side by side in one run.
 *
 *   npm run bench [-- --quick] [-- --json <file>] [-- --out <dir>] [-- --only <scenario,...>] [-- --backend <memory|redis>]
 *
 * --quick     scaled-down sizes (a check that everything runs, figures not comparable)
 * --json      writes { results: [...] } to the file
 * --out       where the table (latest.md) and the chart (ratios.svg) go; default bench/results
 *             for a full run of everything, none for a quick one or one cut by --only or --backend
 * --only      runs the scenario modules that produce these names
 * --backend   runs only the implementations on this backend
 *
 * BENCH_OTEL_SDK=1 runs it with an OpenTelemetry SDK registered, collecting the store's metrics
 * (bench/support/otel-sdk.ts); the results keep their shape.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { BackendName } from './impls/bench-subject';
import { benchTargets } from './impls/bench-targets';
import { writeJsonReport } from './report/json-report';
import { writeMarkdownReport } from './report/markdown-report';
import { writeRatioChart } from './report/ratio-chart';
import { formatConsoleTable } from './report/results-table';
import { evaluateGoals, formatGoals } from './report/goals';
import { idleReaders } from './scenarios/idle-readers';
import { liveLatency } from './scenarios/live-latency';
import { heapAfterExpiry } from './scenarios/heap-after-expiry';
import { memoryFootprint } from './scenarios/memory-footprint';
import { redisCpuPerEvent } from './scenarios/redis-cpu-per-event';
import { replayTail } from './scenarios/replay-tail';
import { replayThroughput } from './scenarios/replay-throughput';
import { roundTrips } from './scenarios/round-trips';
import { type BenchResult, SCENARIO_NAMES, type Scenario } from './scenarios/scenario';
import { writeThroughput } from './scenarios/write-throughput';
import { FULL_SIZES, QUICK_SIZES } from './support/bench-sizes';
import { collectGarbage } from './support/heap';
import { registerOtelSdkWhenRequested } from './support/otel-sdk';
import { describeEnvironment } from './support/run-environment';

const SCENARIOS: Scenario[] = [
  writeThroughput,
  replayThroughput,
  replayTail,
  liveLatency,
  idleReaders,
  roundTrips,
  memoryFootprint,
  redisCpuPerEvent,
  heapAfterExpiry,
];

interface CliOptions {
  quick: boolean;
  json?: string;
  out?: string;
  only?: string[];
  backend?: BackendName;
}

function parseArguments(argv: string[]): CliOptions {
  const options: CliOptions = { quick: false };
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const value = (): string => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${argument} needs a value`);
      return next;
    };
    if (argument === '--quick') options.quick = true;
    else if (argument === '--json') options.json = value();
    else if (argument === '--out') options.out = value();
    else if (argument === '--only') options.only = value().split(',');
    else if (argument === '--backend') options.backend = backendName(value());
    else throw new Error(`unknown argument '${argument}'`);
  }
  for (const name of options.only ?? []) {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new Error(`unknown scenario '${name}'`);
  }
  return options;
}

function backendName(value: string): BackendName {
  if (value !== 'memory' && value !== 'redis') throw new Error(`unknown backend '${value}'`);
  return value;
}

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  Logger.overrideLogger(false);
  const shutdownOtelSdk = registerOtelSdkWhenRequested();
  if (shutdownOtelSdk) process.stderr.write('OpenTelemetry SDK registered (BENCH_OTEL_SDK=1): the store records its metrics.\n');
  const sizes = options.quick ? QUICK_SIZES : FULL_SIZES;
  const targets = benchTargets().filter((target) => options.backend === undefined || target.backend === options.backend);
  const log = (line: string): void => void process.stderr.write(`  ${line}\n`);
  const results: BenchResult[] = [];
  let failed = false;
  const started = Date.now();
  for (const scenario of SCENARIOS) {
    if (options.only && !scenario.names.some((name) => options.only!.includes(name))) continue;
    process.stderr.write(`${scenario.names.join(', ')}\n`);
    const scenarioStarted = Date.now();
    collectGarbage();
    try {
      results.push(...(await scenario.run({ sizes, targets, log })));
      log(`(${((Date.now() - scenarioStarted) / 1_000).toFixed(1)} s)`);
    } catch (error) {
      failed = true;
      process.stderr.write(`  FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
  }
  await shutdownOtelSdk?.();
  const goals = evaluateGoals(results);
  const seconds = Math.round((Date.now() - started) / 1_000);
  process.stdout.write(
    `\n${formatConsoleTable(results, targets)}\n\n${formatGoals(goals)}\n\n(${options.quick ? 'quick run, ' : ''}${seconds} s)\n`,
  );
  if (options.json) {
    await mkdir(dirname(resolve(options.json)), { recursive: true });
    await writeJsonReport(resolve(options.json), results);
  }
  // Only a full run of everything replaces the published figures.
  const partial = options.quick || options.only !== undefined || options.backend !== undefined;
  const out = options.out ?? (partial ? undefined : resolve('bench/results'));
  if (out) {
    await mkdir(out, { recursive: true });
    const environment = await describeEnvironment(options.quick);
    await writeMarkdownReport(resolve(out, 'latest.md'), results, targets, goals, environment);
    await writeRatioChart(resolve(out, 'ratios.svg'), results, goals, environment);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);

import { writeFile } from 'node:fs/promises';
import type { SoakResult } from './soak-run';

const count = (value: number): string => value.toLocaleString('en-US');
const ms = (value: number): string => (Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '–');
const rate = (value: number): string => (value >= 10_000 ? `${(value / 1_000).toFixed(1)}k` : value.toFixed(0));
const memory = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(0)} MiB`);
const cpu = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(1)} s`);

/** The figures as a two-column table for the terminal. */
export function formatSoakReport(result: SoakResult): string {
  const { options } = result;
  const seconds = result.publishSeconds;
  const rows: [string, string][] = [
    ['clients / streams / instances', `${count(options.clients)} / ${count(options.streams)} / 2`],
    ['publishing', `${seconds.toFixed(1)} s at ${count(options.rate)} events/s requested; instance 2 killed at ${options.killAtSeconds} s`],
    ['events published (acknowledged)', `${count(result.published)} (${rate(result.published / seconds)}/s)`],
    ['publish failures', count(result.publishFailures.length)],
    ['messages delivered', `${count(result.delivered)} (${rate(result.delivered / seconds)}/s)`],
    ['events held at the end', `${count(result.held)} of ${count(result.expected)} (${rate(result.held / seconds)}/s)`],
    [
      'lost / duplicated / reordered / unexpected',
      [result.lost, result.duplicated, result.reordered, result.unexpected].map(count).join(' / '),
    ],
    [
      'clients ended with every event once, in order',
      `${count(result.clients.length - result.inexactClients)} of ${count(result.clients.length)}`,
    ],
    ['clients that did not reach the end', count(result.clientFailures.length)],
    ['reconnects', count(result.reconnects)],
    ['  broken / refused / ended early', [result.broken, result.refused, result.endedEarly].map(count).join(' / ')],
    ['  resumed on instance 1 / on restarted 2', `${count(result.resumedOnSurvivor)} / ${count(result.resumedOnRestarted)}`],
    ['instance 2 down (SIGKILL → listening)', `${ms(result.downtimeMs)} ms`],
    ['latency p50 / p99 / max, all', `${ms(result.latency.p50)} / ${ms(result.latency.p99)} / ${ms(result.latency.max)} ms`],
    [
      'latency p50 / p99 / max, live only',
      `${ms(result.liveLatency.p50)} / ${ms(result.liveLatency.p99)} / ${ms(result.liveLatency.max)} ms`,
    ],
    ['peak RSS / CPU instance 1', `${memory(result.peakRssMiB.survivor)} / ${cpu(result.cpuSeconds.survivor)}`],
    ['peak RSS / CPU instance 2 until killed', `${memory(result.peakRssMiB.killed)} / ${cpu(result.cpuSeconds.killed)}`],
    ['peak RSS / CPU instance 2 restarted', `${memory(result.peakRssMiB.restarted)} / ${cpu(result.cpuSeconds.restarted)}`],
    ['peak RSS / CPU clients and publisher', `${memory(result.peakRssMiB.driver)} / ${cpu(result.cpuSeconds.driver)}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  const problems = [...result.publishFailures, ...result.clientFailures].slice(0, 10);
  if (problems.length > 0) lines.push('', 'first problems:', ...problems.map((problem) => `  ${problem}`));
  lines.push(
    '',
    '(latency: publish request sent → message received, in the same process; "live only" leaves out replays to resuming clients)',
  );
  return lines.join('\n');
}

/** The figures as JSON, without the per-event lists. */
export async function writeSoakJson(path: string, result: SoakResult): Promise<void> {
  const { publishedIds: _ids, clients, ...figures } = result;
  const failedClients = clients.filter((client) => !client.done).map(({ receivedIds: _received, ...client }) => client);
  await writeFile(path, `${JSON.stringify({ ...figures, failedClients }, null, 2)}\n`);
}

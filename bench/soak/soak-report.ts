import { writeFile } from 'node:fs/promises';
import type { LatencySummary, LoopDelaySummary } from './soak-latency';
import type { SoakResult } from './soak-run';

const count = (value: number): string => value.toLocaleString('en-US');
const ms = (value: number): string => (Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '–');
const rate = (value: number): string => (value >= 10_000 ? `${(value / 1_000).toFixed(1)}k` : value.toFixed(0));
const memory = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(0)} MiB`);
const cpu = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(1)} s`);
const latency = (summary: LatencySummary): string => [summary.p50, summary.p95, summary.p99, summary.max].map(ms).join(' / ');
const percent = (share: number): string => `${(share * 100).toFixed(0)}%`;
const loop = (summary: LoopDelaySummary | undefined): string =>
  summary === undefined
    ? '–'
    : `${ms(summary.mean)} / ${ms(summary.worstSecondP99Steady)} / ${ms(summary.max)} ms; ` +
      `CPU ${percent(summary.cpuCores)} of a core, waited for one ${percent(summary.cpuWaitShare)} of the time`;

/** The figures as a two-column table for the terminal. */
export function formatSoakReport(result: SoakResult): string {
  const { options } = result;
  const seconds = result.publishSeconds;
  const rows: [string, string][] = [
    [
      'clients / streams / instances',
      `${count(options.clients)} / ${count(options.streams)} / 2, clients in ${count(options.clientProcesses)} processes`,
    ],
    ...(result.idle === undefined
      ? []
      : ([
          ['idle clients (a stream each)', count(result.idle.clients)],
          [
            '  instance RSS before / after they connected',
            result.idle.rssBeforeMiB.map((before, at) => `${memory(before)} → ${memory(result.idle?.rssAfterMiB[at])}`).join(', '),
          ],
          [
            '  RSS per idle connection',
            `${result.idle.perConnectionKiB.map((value) => (value === undefined ? '–' : `${value.toFixed(1)} KiB`)).join(', ')}` +
              (result.idle.meanPerConnectionKiB === undefined ? '' : ` (mean ${result.idle.meanPerConnectionKiB.toFixed(1)} KiB)`),
          ],
        ] as [string, string][])),
    ['publishing', `${seconds.toFixed(1)} s at ${count(options.rate)} events/s requested; instance 2 killed at ${options.killAtSeconds} s`],
    ['retry: of the instances', `${options.retryMs} ms, retryJitter ${options.retryJitter ?? 'default (0.5)'}`],
    ['events published (acknowledged)', `${count(result.published)} (${rate(result.published / seconds)}/s)`],
    ['publish failures; sent again after a connection reset', `${count(result.publishFailures.length)}; ${count(result.publishesResent)}`],
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
    ['latency p50 / p95 / p99 / max, all', `${latency(result.latency)} ms`],
    ['  live only', `${latency(result.liveLatency)} ms`],
    ['  live, outside the kill window', `${latency(result.liveLatencySteady)} ms`],
    ['  live, in the kill window', `${latency(result.liveLatencyKillWindow)} ms`],
    ['publish request → acknowledged, outside the kill window', `${latency(result.publishLatencySteady)} ms`],
    [
      'kill window (kill → last client live again)',
      `${result.killWindowSeconds.from.toFixed(1)} – ${result.killWindowSeconds.to.toFixed(1)} s`,
    ],
    ['peak RSS / CPU instance 1', `${memory(result.peakRssMiB.survivor)} / ${cpu(result.cpuSeconds.survivor)}`],
    ['peak RSS / CPU instance 2 until killed', `${memory(result.peakRssMiB.killed)} / ${cpu(result.cpuSeconds.killed)}`],
    ['peak RSS / CPU instance 2 restarted', `${memory(result.peakRssMiB.restarted)} / ${cpu(result.cpuSeconds.restarted)}`],
    ['peak RSS / CPU publisher', `${memory(result.peakRssMiB.driver)} / ${cpu(result.cpuSeconds.driver)}`],
    ...result.clientProcesses.map((process, at): [string, string] => [
      `peak RSS / CPU client process ${at + 1}`,
      `${memory(process.peakRssMiB)} / ${cpu(process.cpuSeconds)}`,
    ]),
    ['event-loop delay mean / worst-second p99 steady / max', ''],
    ['  instance 1', loop(result.loopDelay.survivor)],
    ['  instance 2 until killed', loop(result.loopDelay.killed)],
    ['  instance 2 restarted', loop(result.loopDelay.restarted)],
    ['  publisher', loop(result.loopDelay.driver)],
    ...result.loopDelay.clientProcesses.map((summary, at): [string, string] => [`  client process ${at + 1}`, loop(summary)]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  const problems = [...result.publishFailures, ...result.clientFailures].slice(0, 10);
  if (problems.length > 0) lines.push('', 'first problems:', ...problems.map((problem) => `  ${problem}`));
  lines.push(
    '',
    '(latency: publish request sent → message received, on one clock; "live" leaves out replays, events published before the connection opened;',
    ' the kill window runs from the kill until the last client it disconnected got a live event again; event-loop delay and CPU share over the publishing)',
  );
  return lines.join('\n');
}

/** The figures as JSON, without the per-event lists. */
export async function writeSoakJson(path: string, result: SoakResult): Promise<void> {
  const { publishedIds: _ids, clients, ...figures } = result;
  const failedClients = clients.filter((client) => !client.done).map(({ receivedIds: _received, ...client }) => client);
  await writeFile(path, `${JSON.stringify({ ...figures, failedClients }, null, 2)}\n`);
}

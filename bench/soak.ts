/**
 * The soak: SSE clients on two sample instances sharing Redis, events published at a steady rate,
 * one instance killed and restarted midway; every client must end with every event exactly once.
 *
 *   npm run soak [-- --clients 1000] [-- --streams 100] [-- --duration 60] [-- --rate 500]
 *                [-- --kill-at 30] [-- --restart-delay 1000] [-- --retry 3000] [-- --retry-jitter 0.5]
 *                [-- --client-processes 2] [-- --idle-clients 10000] [-- --json <file>]
 *
 * --duration      seconds of publishing once every client is connected
 * --rate          events/s published, all streams together
 * --kill-at       seconds into the publishing when instance 2 gets SIGKILL (default: half the duration)
 * --restart-delay ms instance 2 stays down before it is started again on its port
 * --retry         the instances' retry: in ms (clients wait what the server sent, as EventSource does)
 * --retry-jitter  the instances' retryJitter, 0 to 1 (default: the library's, 0.5)
 * --client-processes  processes the SSE clients are spread over (the publisher runs in another)
 * --idle-clients  adds clients on streams of their own that get no events, connected before the
 *                 publishing; reports what each costs an instance in RSS. 10,000 need a hard
 *                 limit on open files (ulimit -Hn) above 12,000.
 * --json          writes the figures to the file
 *
 * Needs Redis (REDIS_URL, default 127.0.0.1:6379, in logical database 15 unless the URL names one).
 * Exits with 1 when a client did not end with exactly its stream's events.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatSoakReport, writeSoakJson } from './soak/soak-report';
import { FULL_SOAK, runSoak, type SoakOptions } from './soak/soak-run';

function parseArguments(argv: string[]): { options: SoakOptions; json?: string } {
  const options: SoakOptions = { ...FULL_SOAK };
  let json: string | undefined;
  let killAt: number | undefined;
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index];
    const next = argv[++index];
    if (next === undefined) throw new Error(`${argument} needs a value`);
    const number = (): number => {
      const value = Number(next);
      if (!Number.isFinite(value)) throw new Error(`${argument} needs a number, got '${next}'`);
      return value;
    };
    if (argument === '--clients') options.clients = number();
    else if (argument === '--streams') options.streams = number();
    else if (argument === '--duration') options.durationSeconds = number();
    else if (argument === '--rate') options.rate = number();
    else if (argument === '--kill-at') killAt = number();
    else if (argument === '--restart-delay') options.restartDelayMs = number();
    else if (argument === '--retry') options.retryMs = number();
    else if (argument === '--retry-jitter') options.retryJitter = number();
    else if (argument === '--client-processes') options.clientProcesses = number();
    else if (argument === '--idle-clients') options.idleClients = number();
    else if (argument === '--json') json = next;
    else throw new Error(`unknown argument '${argument}'`);
  }
  options.killAtSeconds = killAt ?? options.durationSeconds / 2;
  return { options, json };
}

async function main(): Promise<number> {
  const { options, json } = parseArguments(process.argv.slice(2));
  const started = Date.now();
  const result = await runSoak({ ...options, log: (line) => void process.stderr.write(`  ${line}\n`) });
  process.stdout.write(`\n${formatSoakReport(result)}\n\n(${Math.round((Date.now() - started) / 1_000)} s)\n`);
  if (json) {
    await mkdir(dirname(resolve(json)), { recursive: true });
    await writeSoakJson(resolve(json), result);
  }
  const clean = result.inexactClients === 0 && result.clientFailures.length === 0 && result.publishFailures.length === 0;
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);

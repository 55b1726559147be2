import { cpus } from 'node:os';
import { otelSdkRequested } from './otel-sdk';
import { connectRawClient, REDIS_URL } from './redis';

/** One line on what the figures were measured on (no host names or paths). */
export async function describeEnvironment(quick: boolean): Promise<string> {
  let redis = 'Redis unreachable';
  try {
    const client = await connectRawClient();
    const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';
    client.destroy();
    const host = new URL(REDIS_URL).hostname;
    redis = `Redis ${version}${host === '127.0.0.1' || host === 'localhost' ? ' on loopback' : ''}`;
  } catch {
    // reported as unreachable
  }
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `${quick ? 'Quick run (scaled-down sizes, not comparable)' : 'Full run'}, ${date} UTC: Node ${process.version}, ${cpus().length} CPU cores, ${redis}${otelSdkRequested() ? ', an OpenTelemetry SDK collecting the metrics (BENCH_OTEL_SDK=1)' : ''}`;
}

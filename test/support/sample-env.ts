import { SampleProcess, type SampleProcessOptions } from './sample-process';

/**
 * The sample app's settings a test may set beyond `PORT` and `REDIS_URL` (see
 * sample/sample-config.ts): `SSE_RETRY_MS`, `SSE_RETRY_JITTER`, `SSE_KEEPALIVE_MS`.
 */
export interface SampleEnv {
  SSE_RETRY_MS?: number;
  SSE_RETRY_JITTER?: number;
  SSE_KEEPALIVE_MS?: number;
}

const SETTINGS = ['SSE_RETRY_MS', 'SSE_RETRY_JITTER', 'SSE_KEEPALIVE_MS'] as const;

/**
 * Starts the sample (as {@link SampleProcess.start}) with these settings in its environment.
 * `SampleProcess.start` copies `process.env` and spawns synchronously, so the variables are set
 * for that call only and put back at once; settings left out are removed for the child, so a
 * value in the test's own environment never leaks into it.
 */
export function startSampleWith(options: SampleProcessOptions, env: SampleEnv): Promise<SampleProcess> {
  const saved = new Map(SETTINGS.map((name) => [name, process.env[name]]));
  try {
    for (const name of SETTINGS) {
      const value = env[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = String(value);
    }
    return SampleProcess.start(options);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

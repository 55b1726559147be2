import { uniquePrefix } from './caches';

/**
 * The key prefix of every sample app this process starts (its instances share their streams): apart
 * from other test files and from an application's `sse` namespace on the same Redis, and removed
 * with the rest of the test run's keys.
 */
export const SAMPLE_KEY_PREFIX = uniquePrefix();

/** A sample app child's environment: this process's, with the port, Redis URL and key prefix given, and no colours. */
export function sampleEnvironment(port: number, redisUrl: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), NO_COLOR: '1', SSE_KEY_PREFIX: SAMPLE_KEY_PREFIX };
  delete env.REDIS_URL;
  delete env.FORCE_COLOR;
  if (redisUrl !== undefined) env.REDIS_URL = redisUrl;
  return env;
}

/** What the sample app reads from its environment. */
export interface SampleConfig {
  /** Port to listen on; 0 picks a free one (the log line tells which). */
  port: number;
  /** Redis (or Valkey) URL, redis:// or rediss://, shared by every instance; `undefined` keeps events in this process's memory. */
  redisUrl?: string;
  /** `SSE_KEEPALIVE_MS`: a comment after this many ms of silence on a stream (0: none); `undefined` keeps the library's default. */
  keepAliveInterval?: number;
  /** `SSE_RETRY_MS`: the `retry:` sent to clients; `undefined` keeps the library's default. */
  retryInterval?: number;
  /** `SSE_RETRY_JITTER`: how much `retry:` is spread over responses (0 to 1); `undefined` keeps the library's default. */
  retryJitter?: number;
  /** `SSE_KEY_PREFIX`: the first part of every key and channel; `undefined` keeps the library's default (`sse`). */
  keyPrefix?: string;
}

const DEFAULT_PORT = 3000;

/** Reads `PORT`, `REDIS_URL` and the `SSE_*` settings; rejects values that cannot work, so a typo fails at start-up. */
export function readSampleConfig(env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const rawPort = env.PORT?.trim();
  const port = rawPort ? Number(rawPort) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got '${rawPort}'.`);
  }
  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new Error('REDIS_URL must be a redis:// or rediss:// URL.');
  }
  const keepAliveInterval = readMilliseconds(env, 'SSE_KEEPALIVE_MS', 0);
  const retryInterval = readMilliseconds(env, 'SSE_RETRY_MS', 1);
  const retryJitter = readFraction(env, 'SSE_RETRY_JITTER');
  const keyPrefix = env.SSE_KEY_PREFIX?.trim() || undefined;
  if (keyPrefix !== undefined && !/^[\w.-]+$/.test(keyPrefix)) {
    throw new Error(`SSE_KEY_PREFIX may hold letters, digits, '_', '.' and '-' only, got '${keyPrefix}'.`);
  }
  return { port, redisUrl, keepAliveInterval, retryInterval, retryJitter, keyPrefix };
}

/** An optional integer number of milliseconds, at least `min`; anything else fails at start-up. */
function readMilliseconds(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min) {
    throw new Error(`${name} must be an integer number of milliseconds, at least ${min}, got '${raw}'.`);
  }
  return value;
}

/** An optional fraction from 0 to 1 (`0`, `0.25`, `1`); anything else fails at start-up. */
function readFraction(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value > 1) throw new Error(`${name} must be a number from 0 to 1, got '${raw}'.`);
  return value;
}

import type {
  ResolvedSseEventStoreOptions,
  SseEventStorage,
  SseEventStoreModuleOptions,
} from './interfaces/sse-event-store-options.interface';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from './sse-event-store.constants';
import { SseEventStoreConfigurationError } from './errors/sse-event-store-configuration.error';
import { MIN_EVENT_ID_SECRET_BYTES } from './event-id/signed-event-id.codec';
import { isRetryJitter } from './http/retry-jitter';

/** Longest delay Node's timers take (about 24.8 days); a longer one would fire after 1 ms. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** What a count or a duration option must be: a whole number above 0. */
export function isPositiveInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

/** What an option where 0 turns the feature off must be: a whole number from 0. */
export function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

const POSITIVE_INTEGER_OPTIONS = [
  'eventSlidingExpiration',
  'eventAbsoluteExpiration',
  'metadataSlidingExpiration',
  'metadataAbsoluteExpiration',
  'pollingInterval',
  'maxEventsPerStream',
  'replayPageSize',
  'maxEventBytes',
  'maxIdLength',
  'maxStreamsPerSession',
  'maxMemoryBytes',
  'operationTimeout',
  'retryInterval',
] as const;

/** Options where 0 turns the feature off. */
const NON_NEGATIVE_INTEGER_OPTIONS = ['keepAliveInterval'] as const;

const STORAGE_CHOICES: readonly SseEventStorage[] = ['auto', 'generic', 'redis'];

/** Options used directly as timer delays. */
const TIMER_OPTIONS = ['pollingInterval', 'operationTimeout', 'keepAliveInterval'] as const;

/** Fills in the defaults and rejects nonsense up front, so misconfiguration fails at start-up. */
export function resolveSseEventStoreOptions(options: SseEventStoreModuleOptions = {}): ResolvedSseEventStoreOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule options must be an object, got ${String(options)}.`);
  }
  const { cache, redis, meterProvider, ...rest } = options;
  if (cache !== undefined && !hasMethods(cache, ['mget', 'mset', 'mdel'])) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule option 'cache' must be a cache-manager 7 cache (createCache()).`);
  }
  if (redis !== undefined && redis !== false && !hasMethods(redis, ['duplicate', 'publish', 'subscribe'])) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule option 'redis' must be a node-redis or iovalkey client, or false.`);
  }
  if (meterProvider !== undefined && !hasMethods(meterProvider, ['getMeter'])) {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option 'meterProvider' must be an OpenTelemetry MeterProvider (with getMeter()), got ${describeValue(meterProvider)}.`,
    );
  }
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const resolved: ResolvedSseEventStoreOptions = { ...DEFAULT_SSE_EVENT_STORE_OPTIONS, ...defined };
  for (const name of POSITIVE_INTEGER_OPTIONS) {
    const value = resolved[name];
    if (!isPositiveInteger(value)) {
      throw new SseEventStoreConfigurationError(
        `SseEventStoreModule option '${name}' must be a positive integer (a number), got ${describeValue(value)}.${conversionHint(value)}`,
      );
    }
  }
  for (const name of NON_NEGATIVE_INTEGER_OPTIONS) {
    const value = resolved[name];
    if (!isNonNegativeInteger(value)) {
      throw new SseEventStoreConfigurationError(
        `SseEventStoreModule option '${name}' must be a non-negative integer (a number; 0 turns it off), got ${describeValue(value)}.${conversionHint(value)}`,
      );
    }
  }
  for (const name of TIMER_OPTIONS) {
    if (resolved[name] > MAX_TIMER_DELAY) {
      throw new SseEventStoreConfigurationError(`SseEventStoreModule option '${name}' must be at most ${MAX_TIMER_DELAY} ms.`);
    }
  }
  if (!isRetryJitter(resolved.retryJitter)) {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option 'retryJitter' must be a number from 0 to 1, got ${describeValue(resolved.retryJitter)}.${conversionHint(resolved.retryJitter)}`,
    );
  }
  if (!STORAGE_CHOICES.includes(resolved.storage)) {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option 'storage' must be one of ${STORAGE_CHOICES.map((choice) => `'${choice}'`).join(', ')}, got ${describeValue(resolved.storage)}.`,
    );
  }
  if (resolved.redisAppendConnections !== 1 && resolved.redisAppendConnections !== 2) {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option 'redisAppendConnections' must be 1 or 2, got ${describeValue(resolved.redisAppendConnections)}.${conversionHint(resolved.redisAppendConnections)}`,
    );
  }
  if (typeof resolved.keyPrefix !== 'string' || resolved.keyPrefix.length === 0) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule option 'keyPrefix' must be a non-empty string.`);
  }
  assertEventIdSecret(resolved.eventIdSecret);
  return resolved;
}

/** The secret (or each of a rotation's secrets) must be a string or Buffer that is long enough; messages never show it. */
function assertEventIdSecret(option: unknown): void {
  if (option === undefined) return;
  const secrets: unknown[] = Array.isArray(option) ? option : [option];
  if (secrets.length === 0) {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option 'eventIdSecret' must not be an empty array; leave it out for unsigned ids.`,
    );
  }
  secrets.forEach((secret, position) => {
    const which = Array.isArray(option) ? `'eventIdSecret[${position}]'` : `'eventIdSecret'`;
    if (typeof secret !== 'string' && !Buffer.isBuffer(secret)) {
      throw new SseEventStoreConfigurationError(`SseEventStoreModule option ${which} must be a string or a Buffer.`);
    }
    if (Buffer.byteLength(secret) < MIN_EVENT_ID_SECRET_BYTES) {
      throw new SseEventStoreConfigurationError(
        `SseEventStoreModule option ${which} is too short: at least ${MIN_EVENT_ID_SECRET_BYTES} bytes, for example randomBytes(32).toString('base64url').`,
      );
    }
  });
}

/**
 * A value as an error message shows it: its type and, for a primitive, the value itself, quoted
 * when it is a string, so that `'1000'` (from an environment variable) is told from `1000`.
 */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value)}`;
  if (typeof value === 'number') return `the number ${String(value)}`;
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `the ${typeof value} ${String(value)}`;
}

/**
 * Numeric options are numbers, never parsed from strings (a string's unit or format would be a
 * guess); configuration read from the environment converts them where it reads them.
 */
function conversionHint(value: unknown): string {
  return typeof value === 'string' ? ' Convert values read from the environment, for example Number(config.get(...)).' : '';
}

function hasMethods(value: unknown, names: string[]): boolean {
  return (
    typeof value === 'object' && value !== null && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}

import type {
  ResolvedSseEventStoreOptions,
  SseEventStoreModuleOptions,
} from './interfaces/sse-event-store-options.interface';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from './sse-event-store.constants';
import { SseEventStoreConfigurationError } from './errors/sse-event-store-configuration.error';

/** Longest delay Node's timers take (about 24.8 days); a longer one would fire after 1 ms. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

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
  'operationTimeout',
] as const;

/** Options used directly as timer delays. */
const TIMER_OPTIONS = ['pollingInterval', 'operationTimeout'] as const;

/** Fills in the defaults and rejects nonsense up front, so misconfiguration fails at start-up. */
export function resolveSseEventStoreOptions(options: SseEventStoreModuleOptions = {}): ResolvedSseEventStoreOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule options must be an object, got ${String(options)}.`);
  }
  const { cache, redis, ...rest } = options;
  if (cache !== undefined && !hasMethods(cache, ['mget', 'mset', 'mdel'])) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule option 'cache' must be a cache-manager 7 cache (createCache()).`);
  }
  if (redis !== undefined && redis !== false && !hasMethods(redis, ['duplicate', 'publish', 'subscribe'])) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule option 'redis' must be a node-redis client or false.`);
  }
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const resolved: ResolvedSseEventStoreOptions = { ...DEFAULT_SSE_EVENT_STORE_OPTIONS, ...defined };
  for (const name of POSITIVE_INTEGER_OPTIONS) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new SseEventStoreConfigurationError(`SseEventStoreModule option '${name}' must be a positive integer, got ${String(value)}.`);
    }
  }
  for (const name of TIMER_OPTIONS) {
    if (resolved[name] > MAX_TIMER_DELAY) {
      throw new SseEventStoreConfigurationError(`SseEventStoreModule option '${name}' must be at most ${MAX_TIMER_DELAY} ms.`);
    }
  }
  if (typeof resolved.keyPrefix !== 'string' || resolved.keyPrefix.length === 0) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule option 'keyPrefix' must be a non-empty string.`);
  }
  return resolved;
}

function hasMethods(value: unknown, names: string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

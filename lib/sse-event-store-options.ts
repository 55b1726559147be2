import type {
  ResolvedSseEventStoreOptions,
  SseEventStoreModuleOptions,
} from './interfaces/sse-event-store-options.interface';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from './sse-event-store.constants';
import { SseEventStoreConfigurationError } from './errors/sse-event-store-configuration.error';


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
] as const;

/** Fills in the defaults and rejects nonsense up front, so misconfiguration fails at start-up. */
export function resolveSseEventStoreOptions(options: SseEventStoreModuleOptions = {}): ResolvedSseEventStoreOptions {
  const { cache: _cache, redis: _redis, ...rest } = options;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
  const resolved: ResolvedSseEventStoreOptions = { ...DEFAULT_SSE_EVENT_STORE_OPTIONS, ...defined };
  for (const name of POSITIVE_INTEGER_OPTIONS) {
    const value = resolved[name];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new SseEventStoreConfigurationError(`SseEventStoreModule option '${name}' must be a positive integer, got ${String(value)}.`);
    }
  }
  if (typeof resolved.keyPrefix !== 'string' || resolved.keyPrefix.length === 0) {
    throw new SseEventStoreConfigurationError(`SseEventStoreModule option 'keyPrefix' must be a non-empty string.`);
  }
  return resolved;
}

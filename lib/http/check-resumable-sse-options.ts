import { SseEventStoreConfigurationError } from '../errors/sse-event-store-configuration.error';
import { isNonNegativeInteger, isPositiveInteger, MAX_TIMER_DELAY } from '../sse-event-store-options';
import type { ResumableSseOptions } from './resumable-sse-options.interface';
import { isRetryJitter } from './retry-jitter';

/**
 * Refuses route options that cannot work, when the controller is declared: a negative keep-alive
 * interval would turn keep-alive off silently and one above Node's longest timer would fire every
 * millisecond, a `retry:` that is not a positive integer is ignored by `EventSource`, and an empty
 * query parameter name reads nothing. The rules are the module's (`sse-event-store-options.ts`),
 * which checks its own options when they are resolved.
 */
export function checkResumableSseOptions(options: ResumableSseOptions): void {
  const { keepAliveInterval, retryInterval, retryJitter, lastEventIdQueryParameter } = options;
  const refuse = (name: keyof ResumableSseOptions, rule: string, value: unknown): never => {
    const shown = typeof value === 'string' ? `'${value}' (a string)` : String(value);
    throw new SseEventStoreConfigurationError(`@ResumableSse() option '${name}' must be ${rule}, got ${shown}.`);
  };
  if (keepAliveInterval !== undefined && !(isNonNegativeInteger(keepAliveInterval) && keepAliveInterval <= MAX_TIMER_DELAY)) {
    refuse('keepAliveInterval', `an integer number of milliseconds from 0 (none) to ${MAX_TIMER_DELAY}`, keepAliveInterval);
  }
  if (retryInterval !== undefined && !isPositiveInteger(retryInterval)) {
    refuse('retryInterval', 'a positive integer number of milliseconds', retryInterval);
  }
  if (retryJitter !== undefined && !isRetryJitter(retryJitter)) refuse('retryJitter', 'a number from 0 to 1', retryJitter);
  if (lastEventIdQueryParameter !== undefined && !(typeof lastEventIdQueryParameter === 'string' && lastEventIdQueryParameter !== '')) {
    refuse('lastEventIdQueryParameter', 'a non-empty string', lastEventIdQueryParameter);
  }
}

/**
 * The `retry:` of one response: drawn at random between `retryInterval × (1 − retryJitter)` and
 * `retryInterval`. `EventSource` waits exactly `retry:` before it reconnects, and the clients of an
 * instance that goes away all lose their connection at the same moment: with one `retry:` for
 * all, they would all come back in the same millisecond, to whichever instance is left.
 */
export function drawRetryInterval(retryInterval: number, retryJitter: number, random: () => number = Math.random): number {
  return retryInterval - Math.floor(random() * retryJitter * retryInterval);
}

/** A `retryJitter` the store accepts: a fraction from 0 (every response sends `retryInterval`) to 1. */
export function isRetryJitter(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= 1;
}

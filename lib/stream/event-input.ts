import { SseInvalidInputError } from '../errors/sse-invalid-input.error';
import type { SseEventInput } from '../interfaces/sse-event.interface';
import { isNonNegativeInteger } from '../sse-event-store-options';

/**
 * Checks the fields of an event that do not depend on the store's options, so a caller can refuse
 * an event before it opens anything. `data` is checked when it is stored (JSON, size).
 */
export function assertEventInput(event: SseEventInput): void {
  if (event === null || typeof event !== 'object') throw new SseInvalidInputError('An event must be an object with `data`.');
  if (typeof event.id === 'string') assertSingleLineField(event.id, 'id');
  if (event.type !== undefined) {
    if (typeof event.type !== 'string') throw new SseInvalidInputError('An event `type` must be a string.');
    assertSingleLineField(event.type, 'type');
  }
  if (event.retry !== undefined && !isNonNegativeInteger(event.retry)) {
    throw new SseInvalidInputError('An event `retry` must be a non-negative integer number of milliseconds.');
  }
}

/**
 * SSE is line based: a CR or LF in a field ends it early, and whatever follows is read as fields
 * of its own (an injected `id:`, `retry:` or `data:`), whatever writes the stream (some Nest
 * versions write `type` unchecked). NUL is refused too, as clients handle it differently.
 */
function assertSingleLineField(value: string, field: 'id' | 'type'): void {
  if (/[\r\n\0]/.test(value)) throw new SseInvalidInputError(`An event \`${field}\` must not contain CR, LF or NUL.`);
}

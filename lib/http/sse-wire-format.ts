import type { SseStoredEvent } from '../interfaces/sse-event.interface';

/**
 * The text/event-stream encoding of one event (WHATWG HTML, "Server-sent events"). Every field
 * but `data` is a single line: the store refuses CR, LF and NUL in a `type` or `id`, and ids it
 * makes are base64url; data is split into one `data:` line per line, so any text round-trips.
 */
export function encodeSseEvent(event: SseStoredEvent): string {
  let text = '';
  if (event.type !== undefined && event.type !== '') text += `event: ${singleLine(event.type)}\n`;
  text += `id: ${singleLine(event.id)}\n`;
  if (event.retry !== undefined) text += `retry: ${Math.trunc(Number(event.retry))}\n`;
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  for (const line of data.split(LINE_BREAK)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** Sets the client's reconnection delay; dispatches no event. */
export function encodeSseRetry(retryInterval: number): string {
  return `retry: ${retryInterval}\n\n`;
}

/** A comment line: clients ignore it, proxies see traffic. */
export const SSE_KEEP_ALIVE_COMMENT = ': keep-alive\n\n';

const LINE_BREAK = /\r\n|\r|\n/;

/** Events stored before the store refused line breaks in these fields must not forge fields either. */
function singleLine(value: string): string {
  return value.replace(/[\r\n\0]/g, '');
}

import { AppendedEvents, isPushable, storedChars } from './appended-events';

/*
 * A wake-up on a Redis pub/sub channel is the publishing process's origin id, followed, when the
 * events of an append travel with it, by its first sequence and the stored events, each on a line
 * of its own: `<origin>\n<first sequence>\n<event>\n<event>…`. Stored events are JSON text, which
 * never holds a raw line break. A broadcast is `<origin>\n<message>`.
 *
 * This module is the one definition of that format: the native append script builds the same
 * message in Lua from {@link WAKEUP_SEPARATOR_LUA} and the origin it is given as its prefix.
 */

/** Separates the parts of a wake-up or broadcast message. */
export const WAKEUP_SEPARATOR = '\n';

/** {@link WAKEUP_SEPARATOR} as a Lua string literal (a JSON string literal of a control character is a valid Lua one). */
export const WAKEUP_SEPARATOR_LUA = JSON.stringify(WAKEUP_SEPARATOR);

export interface WakeupMessage {
  origin: string;
  appended?: AppendedEvents;
}

export function encodeWakeupMessage(origin: string, appended?: AppendedEvents): string {
  if (!appended || !isPushable(storedChars(appended.storedPayloads))) return origin;
  return [origin, String(appended.firstSequence), ...appended.storedPayloads].join(WAKEUP_SEPARATOR);
}

/** True when `origin` published this wake-up: checked before decoding, so a process's own echoes cost no parsing. */
export function isFromOrigin(message: string, origin: string): boolean {
  return message.startsWith(origin) && (message.length === origin.length || message[origin.length] === WAKEUP_SEPARATOR);
}

/** A broadcast message: the origin first, so the publishing process's subscriber skips what it delivered already. */
export function encodeBroadcastMessage(origin: string, message: string): string {
  return `${origin}${WAKEUP_SEPARATOR}${message}`;
}

/** The application's message in a broadcast; `undefined` for one that is not a broadcast message. */
export function decodeBroadcastMessage(message: string): string | undefined {
  const separator = message.indexOf(WAKEUP_SEPARATOR);
  return separator < 0 ? undefined : message.slice(separator + 1);
}

/** Reads a wake-up; one that cannot be read is a plain wake-up of its sender, so readers read. */
export function decodeWakeupMessage(message: string): WakeupMessage {
  const originEnd = message.indexOf(WAKEUP_SEPARATOR);
  if (originEnd < 0) return { origin: message };
  const origin = message.slice(0, originEnd);
  const sequenceEnd = message.indexOf(WAKEUP_SEPARATOR, originEnd + 1);
  const firstSequence = Number(message.slice(originEnd + 1, sequenceEnd));
  if (sequenceEnd < 0 || !Number.isSafeInteger(firstSequence) || firstSequence < 1) return { origin };
  return { origin, appended: new AppendedEvents(firstSequence, message.slice(sequenceEnd + 1).split(WAKEUP_SEPARATOR)) };
}

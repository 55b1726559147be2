import { AppendedEvents, isPushable, storedChars } from './appended-events';

/*
 * A wake-up on a Redis pub/sub channel is the publishing process's origin id, followed, after an
 * append, by `@` and the writer's clock when it published it (ms since the epoch), then, when the
 * events travel with it, by its first sequence and the stored events, each on a line of its own:
 * `<origin>@<written at>\n<first sequence>\n<event>\n<event>…`. Stored events are JSON text, which
 * never holds a raw line break. A broadcast is `<origin>\n<message>`.
 *
 * The time sits on the origin's line, so the lines keep their places: a process that does not
 * know it reads the rest as before, and one that does reads wake-ups without it.
 *
 * This module is the one definition of that format: the native append script builds the same
 * message in Lua from {@link WAKEUP_SEPARATOR_LUA}, {@link WAKEUP_TIME_MARK_LUA} and the origin it
 * is given as its prefix.
 */

/** Separates the parts of a wake-up or broadcast message. */
export const WAKEUP_SEPARATOR = '\n';

/** {@link WAKEUP_SEPARATOR} as a Lua string literal (a JSON string literal of a control character is a valid Lua one). */
export const WAKEUP_SEPARATOR_LUA = JSON.stringify(WAKEUP_SEPARATOR);

/** Follows the origin of an append's wake-up, before the time it was written. */
export const WAKEUP_TIME_MARK = '@';

/** {@link WAKEUP_TIME_MARK} as a Lua string literal. */
export const WAKEUP_TIME_MARK_LUA = JSON.stringify(WAKEUP_TIME_MARK);

/** At most this many digits of milliseconds since the epoch (beyond the year 5000): a longer run is not a time. */
const MAX_TIME_DIGITS = 15;

export interface WakeupMessage {
  origin: string;
  /** When the writer published the wake-up of its append (ms since the epoch, its clock); absent on other wake-ups, and when unreadable. */
  writtenAt?: number;
  appended?: AppendedEvents;
}

/** The wake-up of a change; an append's carries `writtenAt`, and its events when they are not too large. */
export function encodeWakeupMessage(origin: string, appended?: AppendedEvents, writtenAt?: number): string {
  const sender = writtenAt === undefined ? origin : `${origin}${WAKEUP_TIME_MARK}${writtenAt}`;
  if (!appended || !isPushable(storedChars(appended.storedPayloads))) return sender;
  return [sender, String(appended.firstSequence), ...appended.storedPayloads].join(WAKEUP_SEPARATOR);
}

/** True when `origin` published this wake-up: checked before decoding, so a process's own echoes cost no parsing. */
export function isFromOrigin(message: string, origin: string): boolean {
  if (!message.startsWith(origin)) return false;
  const next = message[origin.length];
  return next === undefined || next === WAKEUP_SEPARATOR || next === WAKEUP_TIME_MARK;
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

/**
 * Reads a wake-up; one that cannot be read is a plain wake-up of its sender, so readers read, and
 * a time that cannot be read is left out.
 */
export function decodeWakeupMessage(message: string): WakeupMessage {
  const senderEnd = message.indexOf(WAKEUP_SEPARATOR);
  const sender = decodeSender(senderEnd < 0 ? message : message.slice(0, senderEnd));
  if (senderEnd < 0) return sender;
  const sequenceEnd = message.indexOf(WAKEUP_SEPARATOR, senderEnd + 1);
  const firstSequence = Number(message.slice(senderEnd + 1, sequenceEnd));
  if (sequenceEnd < 0 || !Number.isSafeInteger(firstSequence) || firstSequence < 1) return sender;
  return { ...sender, appended: new AppendedEvents(firstSequence, message.slice(sequenceEnd + 1).split(WAKEUP_SEPARATOR)) };
}

/** `<origin>` or `<origin>@<written at>`: the time only when it is a plain run of digits. */
function decodeSender(sender: string): Pick<WakeupMessage, 'origin' | 'writtenAt'> {
  const mark = sender.indexOf(WAKEUP_TIME_MARK);
  if (mark < 0) return { origin: sender };
  const origin = sender.slice(0, mark);
  const time = sender.slice(mark + 1);
  return time.length > 0 && time.length <= MAX_TIME_DIGITS && /^[0-9]+$/.test(time) ? { origin, writtenAt: Number(time) } : { origin };
}

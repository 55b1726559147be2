import { AppendedEvents, isPushable, storedChars } from './appended-events';

/*
 * A wake-up on a Redis pub/sub channel is the publishing process's origin id, followed, when the
 * events of an append travel with it, by its first sequence and the stored events, each on a line
 * of its own: `<origin>\n<first sequence>\n<event>\n<event>…`. Stored events are JSON text, which
 * never holds a raw line break. The append script builds the same message in Lua.
 */

const SEPARATOR = '\n';

export interface WakeupMessage {
  origin: string;
  appended?: AppendedEvents;
}

export function encodeWakeupMessage(origin: string, appended?: AppendedEvents): string {
  if (!appended || !isPushable(storedChars(appended.storedPayloads))) return origin;
  return [origin, String(appended.firstSequence), ...appended.storedPayloads].join(SEPARATOR);
}

/** True when `origin` published this wake-up: checked before decoding, so a process's own echoes cost no parsing. */
export function isFromOrigin(message: string, origin: string): boolean {
  return message.startsWith(origin) && (message.length === origin.length || message[origin.length] === SEPARATOR);
}

/** Reads a wake-up; one that cannot be read is a plain wake-up of its sender, so readers read. */
export function decodeWakeupMessage(message: string): WakeupMessage {
  const originEnd = message.indexOf(SEPARATOR);
  if (originEnd < 0) return { origin: message };
  const origin = message.slice(0, originEnd);
  const sequenceEnd = message.indexOf(SEPARATOR, originEnd + 1);
  const firstSequence = Number(message.slice(originEnd + 1, sequenceEnd));
  if (sequenceEnd < 0 || !Number.isSafeInteger(firstSequence) || firstSequence < 1) return { origin };
  return { origin, appended: new AppendedEvents(firstSequence, message.slice(sequenceEnd + 1).split(SEPARATOR)) };
}

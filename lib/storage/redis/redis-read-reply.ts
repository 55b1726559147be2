import { SKIPPED_SEQUENCE, type StoredEventEntry, type StreamReadResult } from '../stream-storage.interface';
import type { ReadStreamResult } from './scripts/read-stream.script';

/** A Redis Stream entry as Redis returns it: its id and its field/value list. */
type StreamEntry = [id: string, fields: string[]];

/**
 * Turns the read script's decoded answer and the `XRANGE` page read with it into what readers expect:
 * the events `fromSequence` ... up to `count` or the last sequence, `undefined` for any that is
 * gone. An entry written at or before `expiredAt` counts as gone: it is past its absolute
 * lifetime, as its own key would be on the generic path (the stream key lives on while newer
 * events keep it alive).
 */
export function toReadResult(
  state: ReadStreamResult,
  page: unknown,
  fromSequence: number,
  count: number,
  expiredAt: number,
): StreamReadResult {
  if (!Array.isArray(page)) throw new Error('Unexpected reply to a read.');
  if (state.status !== 'found') return state;
  const { snapshot } = state;
  const length = Math.max(0, Math.min(snapshot.lastSequence, fromSequence + count - 1) - fromSequence + 1);
  const events: (StoredEventEntry | typeof SKIPPED_SEQUENCE | undefined)[] = new Array(length).fill(undefined);
  // Indexed loops and ids read in place: this runs for every event a reader is given.
  for (let entry = 0; entry < page.length; entry++) {
    const [id, fields] = (page as StreamEntry[])[entry];
    const dash = id.indexOf('-');
    const index = decimalAt(id, 0, dash) - fromSequence;
    if (index < 0 || index >= length || decimalAt(id, dash + 1, id.length) <= expiredAt) continue;
    // An entry `skip` marks a sequence no acknowledged event ever had; one without `e` or `skip`
    // marks an event that is lost: gone, like one that expired.
    if (fields[0] === 'skip') {
      events[index] = SKIPPED_SEQUENCE;
      continue;
    }
    const field = fields[0] === 'e' ? 0 : fields.indexOf('e');
    // Left as stored: the reader decodes what it delivers, only as far as it needs.
    const stored = field >= 0 ? fields[field + 1] : undefined;
    if (typeof stored === 'string') events[index] = stored;
  }
  return { status: 'found', snapshot, events };
}

/** The number written in decimal digits from `start` to `end` (a part of a stream entry id, which Redis keeps well-formed). */
function decimalAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let index = start; index < end; index++) value = value * 10 + text.charCodeAt(index) - 0x30;
  return value;
}

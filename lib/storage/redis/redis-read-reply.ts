import { parseStored, type StoredEvent, toEventRecord } from '../../encoding/stored-records';
import { SKIPPED_SEQUENCE, type StoredEventRecord, type StreamReadResult } from '../stream-storage.interface';
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
  const events: (StoredEventRecord | typeof SKIPPED_SEQUENCE | undefined)[] = new Array(length).fill(undefined);
  for (const [id, fields] of page as StreamEntry[]) {
    const dash = id.indexOf('-');
    const index = Number(id.slice(0, dash)) - fromSequence;
    if (index < 0 || index >= length || Number(id.slice(dash + 1)) <= expiredAt) continue;
    // An entry `skip` marks a sequence no acknowledged event ever had; one without `e` or `skip`
    // marks an event that is lost: gone, like one that expired.
    if (fields[0] === 'skip') {
      events[index] = SKIPPED_SEQUENCE;
      continue;
    }
    const field = fields.indexOf('e');
    const stored = field < 0 ? undefined : parseStored<StoredEvent>(fields[field + 1]);
    events[index] = stored && toEventRecord(stored);
  }
  return { status: 'found', snapshot, events };
}

import { decodeStoredEvent, type StoredEventRecord } from './stored-records';

/**
 * Largest total size (characters of stored event JSON) of the events that travel with a wake-up;
 * a larger append wakes its readers without them, and they read the events from storage.
 */
export const MAX_PUSHED_CHARS = 64 * 1024;

/** Characters of stored event JSON in these events. */
export function storedChars(payloads: readonly string[]): number {
  let chars = 0;
  for (const payload of payloads) chars += payload.length;
  return chars;
}

/** True when stored events of this many characters may travel with their wake-up (see {@link MAX_PUSHED_CHARS}). */
export function isPushable(chars: number): boolean {
  return chars <= MAX_PUSHED_CHARS;
}

/**
 * Events that a write has just stored, handed to the stream's waiting readers with the wake-up,
 * so that a reader that has everything before them delivers them without reading them back. One
 * instance is shared by every reader of the stream in the process, so each event is decoded once.
 */
export class AppendedEvents {
  /** Decoded events by index, once a reader asked: most appends on a quiet stream are never decoded here. */
  private records?: (StoredEventRecord | undefined | null)[];

  constructor(
    /** Sequence of the first event. */
    readonly firstSequence: number,
    /** The events as stored (JSON from `encodeEvent`). */
    private readonly payloads: readonly string[],
  ) {}

  get lastSequence(): number {
    return this.firstSequence + this.payloads.length - 1;
  }

  /** The stored events, for publishing them to other processes. */
  get storedPayloads(): readonly string[] {
    return this.payloads;
  }

  /** The event with this sequence as stored; `undefined` when it is not among them. */
  storedAt(sequence: number): string | undefined {
    const index = sequence - this.firstSequence;
    return index >= 0 && index < this.payloads.length ? this.payloads[index] : undefined;
  }

  /** The event with this sequence; `undefined` when it is not among them or cannot be decoded. */
  record(sequence: number): StoredEventRecord | undefined {
    const index = sequence - this.firstSequence;
    if (index < 0 || index >= this.payloads.length) return undefined;
    this.records ??= [];
    let record = this.records[index];
    if (record === undefined) {
      record = this.records[index] = decodeStoredEvent(this.payloads[index]) ?? null;
    }
    return record ?? undefined;
  }
}

import { decodeStoredEvent, type StoredEventRecord } from '../../encoding/stored-records';

/**
 * The retained events of one stream in memory: each event as the writer serialised it until it is
 * first read, decoded from then on (so a replay after the first decodes nothing, and readers share
 * the decoded record, as live readers share the events of a wake-up), with its stored size and the
 * time its absolute expiry is due, in parallel arrays with a moving start, so dropping the oldest
 * events (retention cap, absolute expiry) copies nothing per event.
 */
export class MemoryEventLog {
  private entries: (string | StoredEventRecord)[] = [];
  /** Characters of each event as stored: what it counts for in the storage's estimate. */
  private lengths: number[] = [];
  private expiries: number[] = [];
  /** Index of the oldest retained event in the arrays. */
  private head = 0;
  /** Sequence of the event at `head`. */
  private headSequence: number;
  /** Characters of the retained events as stored. */
  chars = 0;

  constructor(nextSequence: number) {
    this.headSequence = nextSequence;
  }

  get count(): number {
    return this.entries.length - this.head;
  }

  /** Sequence of the oldest retained event (the next sequence when none is retained). */
  get firstSequence(): number {
    return this.headSequence;
  }

  /** Appends events that follow the retained ones; `expiresAt` is when their absolute expiry is due. */
  append(payloads: readonly string[], expiresAt: number): void {
    for (const payload of payloads) {
      this.entries.push(payload);
      this.lengths.push(payload.length);
      this.expiries.push(expiresAt);
      this.chars += payload.length;
    }
  }

  /** The event of `sequence`, decoded; `undefined` when it is not retained or cannot be decoded. */
  recordAt(sequence: number): StoredEventRecord | undefined {
    const index = this.indexOf(sequence);
    if (index === undefined) return undefined;
    const entry = this.entries[index];
    if (typeof entry !== 'string') return entry;
    const record = decodeStoredEvent(entry);
    if (record) this.entries[index] = record;
    return record;
  }

  /** The event of `sequence` as held now (serialised, or decoded once read); `undefined` when it is not retained. */
  entryAt(sequence: number): string | StoredEventRecord | undefined {
    const index = this.indexOf(sequence);
    return index === undefined ? undefined : this.entries[index];
  }

  /** When the absolute expiry of `sequence` is due; `undefined` when it is not retained. */
  expiryOf(sequence: number): number | undefined {
    const index = this.indexOf(sequence);
    return index === undefined ? undefined : this.expiries[index];
  }

  /** Drops the events before `sequence`; returns how many went. */
  dropBefore(sequence: number): number {
    const drop = Math.min(sequence - this.headSequence, this.count);
    return drop > 0 ? this.dropOldest(drop) : 0;
  }

  /** Drops the oldest events whose absolute expiry is due at `now`; returns how many went. */
  dropExpired(now: number): number {
    let drop = 0;
    while (this.head + drop < this.entries.length && this.expiries[this.head + drop] <= now) drop++;
    return drop > 0 ? this.dropOldest(drop) : 0;
  }

  /** Drops every retained event; the next one appended continues after `nextSequence - 1`. */
  clear(nextSequence: number): number {
    const dropped = this.count;
    this.entries = [];
    this.lengths = [];
    this.expiries = [];
    this.head = 0;
    this.chars = 0;
    this.headSequence = nextSequence;
    return dropped;
  }

  private indexOf(sequence: number): number | undefined {
    const index = this.head + sequence - this.headSequence;
    return sequence >= this.headSequence && index < this.entries.length ? index : undefined;
  }

  private dropOldest(drop: number): number {
    for (let index = this.head; index < this.head + drop; index++) {
      this.chars -= this.lengths[index];
      // Released now, not when the arrays are compacted: the events may be large.
      this.entries[index] = '';
    }
    this.head += drop;
    this.headSequence += drop;
    // Compacted once the dropped slots outnumber the retained ones: amortised O(1) per event.
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.lengths = this.lengths.slice(this.head);
      this.expiries = this.expiries.slice(this.head);
      this.head = 0;
    }
    return drop;
  }
}

/**
 * The retained events of one stream in memory: the stored payloads (as the writer serialised them)
 * and the time each one's absolute expiry is due, in two parallel arrays with a moving start, so
 * dropping the oldest events (retention cap, absolute expiry) costs no copying per event.
 */
export class MemoryEventLog {
  private payloads: string[] = [];
  private expiries: number[] = [];
  /** Index of the oldest retained event in the arrays. */
  private head = 0;
  /** Sequence of the event at `head`. */
  private headSequence: number;
  /** Characters of the retained payloads. */
  chars = 0;

  constructor(nextSequence: number) {
    this.headSequence = nextSequence;
  }

  get count(): number {
    return this.payloads.length - this.head;
  }

  /** Sequence of the oldest retained event (the next sequence when none is retained). */
  get firstSequence(): number {
    return this.headSequence;
  }

  /** Appends events that follow the retained ones; `expiresAt` is when their absolute expiry is due. */
  append(payloads: readonly string[], expiresAt: number): void {
    for (const payload of payloads) {
      this.payloads.push(payload);
      this.expiries.push(expiresAt);
      this.chars += payload.length;
    }
  }

  /** The payload of `sequence`, or `undefined` when it is not retained. */
  payloadAt(sequence: number): string | undefined {
    const index = this.head + sequence - this.headSequence;
    return sequence >= this.headSequence && index < this.payloads.length ? this.payloads[index] : undefined;
  }

  /** Drops the events before `sequence`; returns how many went. */
  dropBefore(sequence: number): number {
    const drop = Math.min(sequence - this.headSequence, this.count);
    return drop > 0 ? this.dropOldest(drop) : 0;
  }

  /** Drops the oldest events whose absolute expiry is due at `now`; returns how many went. */
  dropExpired(now: number): number {
    let drop = 0;
    while (this.head + drop < this.payloads.length && this.expiries[this.head + drop] <= now) drop++;
    return drop > 0 ? this.dropOldest(drop) : 0;
  }

  /** Drops every retained event; the next one appended continues after `nextSequence - 1`. */
  clear(nextSequence: number): number {
    const dropped = this.count;
    this.payloads = [];
    this.expiries = [];
    this.head = 0;
    this.chars = 0;
    this.headSequence = nextSequence;
    return dropped;
  }

  private dropOldest(drop: number): number {
    for (let index = this.head; index < this.head + drop; index++) {
      this.chars -= this.payloads[index].length;
      // Released now, not when the arrays are compacted: the strings may be large.
      this.payloads[index] = '';
    }
    this.head += drop;
    this.headSequence += drop;
    // Compacted once the dropped slots outnumber the retained ones: amortised O(1) per event.
    if (this.head > 64 && this.head * 2 > this.payloads.length) {
      this.payloads = this.payloads.slice(this.head);
      this.expiries = this.expiries.slice(this.head);
      this.head = 0;
    }
    return drop;
  }
}

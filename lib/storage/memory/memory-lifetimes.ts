import type { ResolvedSseEventStoreOptions } from '../../interfaces/sse-event-store-options.interface';
import type { MemoryStream } from './memory-stream-table';

/** How the storage's messages name it. */
export const MEMORY_BACKEND = 'the in-memory storage';

/** Bounds of the sweep's period: often enough for short TTLs, rarely enough to cost nothing with long ones. */
const SWEEP_INTERVAL = { min: 1_000, max: 60_000 };

/** How often the sweep frees what expired: half the shortest lifetime, within {@link SWEEP_INTERVAL}. */
export function sweepInterval(options: ResolvedSseEventStoreOptions): number {
  const shortest = Math.min(
    options.eventSlidingExpiration,
    options.eventAbsoluteExpiration,
    options.metadataSlidingExpiration,
    options.metadataAbsoluteExpiration,
  );
  return Math.min(Math.max(shortest / 2, SWEEP_INTERVAL.min), SWEEP_INTERVAL.max);
}

/** The cause of a refused write or open: the table is at `maxMemoryBytes` and eviction cannot make room. */
export function memoryFull(cap: number): Error {
  return new Error(`it holds its limit of ${cap} bytes (option maxMemoryBytes) and evicting other sessions leaves too little room`);
}

/** A write of the stream's metadata: its sliding window starts again, and its absolute limit counts from now. */
export function metadataWritten(stream: MemoryStream, now: number, options: ResolvedSseEventStoreOptions): void {
  stream.metadataAbsoluteAt = now + options.metadataAbsoluteExpiration;
  stream.metadataExpiresAt = Math.min(now + options.metadataSlidingExpiration, stream.metadataAbsoluteAt);
}

/** An append: the events' sliding window starts again, bounded by the new events' absolute limit. */
export function eventsWritten(stream: MemoryStream, now: number, options: ResolvedSseEventStoreOptions): void {
  stream.eventsAbsoluteAt = now + options.eventAbsoluteExpiration;
  stream.eventsExpireAt = Math.min(now + options.eventSlidingExpiration, stream.eventsAbsoluteAt);
}

/** A read slides the stream's windows, never past their absolute limits and never shorter. */
export function slideOnRead(stream: MemoryStream, now: number, options: ResolvedSseEventStoreOptions): void {
  const metadata = Math.min(now + options.metadataSlidingExpiration, stream.metadataAbsoluteAt);
  if (metadata > stream.metadataExpiresAt) stream.metadataExpiresAt = metadata;
  const events = Math.min(now + options.eventSlidingExpiration, stream.eventsAbsoluteAt);
  if (events > stream.eventsExpireAt) stream.eventsExpireAt = events;
}

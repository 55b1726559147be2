import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import { MAX_TIMER_DELAY } from '../sse-event-store-options';
import { StorageErrors } from './storage-errors';

/** Keys removed per backend call when a session is deleted. */
export const DELETE_BATCH_SIZE = 1000;

/** How long any key of a session can live: the session's index and tombstone must outlive them all. */
export function longestLifetime(options: ResolvedSseEventStoreOptions): number {
  return Math.max(options.eventAbsoluteExpiration, options.metadataAbsoluteExpiration);
}

/**
 * Calls `touch` every half metadata sliding window, so an open writer that writes nothing keeps
 * its stream's metadata alive. The timer does not keep the process alive; clear it on close.
 */
export function startKeepAlive(options: ResolvedSseEventStoreOptions, touch: () => Promise<void>): NodeJS.Timeout {
  const timer = setInterval(() => void touch(), Math.min(options.metadataSlidingExpiration / 2, MAX_TIMER_DELAY));
  timer.unref();
  return timer;
}

/** Removes a deleted session's keys, {@link DELETE_BATCH_SIZE} per call; a failed call ends it (the rest expire). */
export async function deleteInBatches(keys: readonly string[], remove: (batch: string[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < keys.length; start += DELETE_BATCH_SIZE) {
    try {
      await remove(keys.slice(start, start + DELETE_BATCH_SIZE));
    } catch (error) {
      throw StorageErrors.deleteIncomplete(error);
    }
  }
}

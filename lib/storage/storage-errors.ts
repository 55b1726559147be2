import { SseEventPersistenceError } from '../errors/sse-event-persistence.error';
import { SseStoreUnavailableError } from '../errors/sse-store-unavailable.error';
import { printableId } from '../logging/printable-id';

/**
 * The errors the storage paths reject with when their backend fails, built in one place so the
 * paths keep to the contract on `StreamStorage` with the same classes and messages. `backend`
 * names the backend in messages: `'the cache'` (the generic path), `'Redis'` or
 * `'the in-memory storage'`.
 */
export const StorageErrors = {
  /** `openStream` failed in the backend: nothing tells whether the stream was registered. */
  openFailed(backend: string, streamId: string, cause: unknown): SseStoreUnavailableError {
    return new SseStoreUnavailableError(`Stream ${printableId(streamId)} could not be opened in ${backend}.`, { cause });
  },

  /** A read (of a stream, or of a session's state before a change) failed. */
  readFailed(backend: string, cause: unknown): SseStoreUnavailableError {
    return new SseStoreUnavailableError(`${capitalized(backend)} could not be read.`, { cause });
  },

  /** An append or update failed before anything was sent: nothing was stored. */
  writeNotStored(backend: string, streamId: string, cause: unknown): SseEventPersistenceError {
    return writeError(backend, streamId, 'it was not sent, so it was not stored', cause);
  },

  /** An append or update was sent but not acknowledged (a timeout, a connection lost meanwhile). */
  writeOutcomeUnknown(backend: string, streamId: string, cause: unknown): SseEventPersistenceError {
    return writeError(backend, streamId, 'it may or may not have been stored', cause);
  },

  /** An append or update the backend refused up front (no room): nothing was stored. */
  writeRefused(backend: string, streamId: string, cause: unknown): SseEventPersistenceError {
    return new SseEventPersistenceError(
      `${capitalized(backend)} refused the write to stream ${printableId(streamId)}; it was not stored.`,
      {
        cause,
      },
    );
  },

  /** The session's tombstone was not acknowledged: the session may or may not be marked deleted. */
  deleteNotAcknowledged(cause: unknown): SseStoreUnavailableError {
    return new SseStoreUnavailableError('Deleting the session was not acknowledged (it may be marked deleted already); delete it again.', {
      cause,
    });
  },

  /** The session is marked deleted, but removing its keys failed part-way. */
  deleteIncomplete(cause: unknown): SseStoreUnavailableError {
    return new SseStoreUnavailableError(`Deleting the session's streams failed; the rest will expire.`, { cause });
  },
};

function writeError(backend: string, streamId: string, outcome: string, cause: unknown): SseEventPersistenceError {
  return new SseEventPersistenceError(
    `${capitalized(backend)} did not acknowledge the write to stream ${printableId(streamId)}; ${outcome}.`,
    {
      cause,
    },
  );
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

import { SseEventStoreError } from './sse-event-store.error';
import { printableId } from '../logging/printable-id';

/** A write or mode change on a writer that was completed or disposed, or an append to a completed stream. */
export class SseStreamClosedError extends SseEventStoreError {
  readonly code = 'SSE_STREAM_CLOSED';

  constructor(
    readonly sessionId: string,
    readonly streamId: string,
  ) {
    super(`Stream ${printableId(streamId)} is completed: it takes no more events (createStream() reopens it).`);
  }
}

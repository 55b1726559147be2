import { SseEventStoreError } from './sse-event-store.error';
import { printableId } from '../logging/printable-id';

/** A write or mode change on a writer that was completed or disposed. */
export class SseStreamClosedError extends SseEventStoreError {
  readonly code = 'SSE_STREAM_CLOSED';

  constructor(readonly sessionId: string, readonly streamId: string) {
    super(`The writer of stream ${printableId(streamId)} is completed; create a new writer to continue the stream.`);
  }
}

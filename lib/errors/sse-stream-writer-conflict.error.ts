import { SseEventStoreError } from './sse-event-store.error';
import { printableId } from '../logging/printable-id';

/** `createStream` was called for a stream that already has an open writer in this process. */
export class SseStreamWriterConflictError extends SseEventStoreError {
  readonly code = 'SSE_STREAM_WRITER_CONFLICT';

  constructor(
    readonly sessionId: string,
    readonly streamId: string,
  ) {
    super(`Stream ${printableId(streamId)} already has an open writer; complete it before creating another.`);
  }
}

import { SseEventStoreError } from './sse-event-store.error';
import { printableId } from '../logging/printable-id';

/**
 * Events a reader needs are gone (expired, evicted or trimmed by the retention cap), or the
 * stream's metadata expired. The client cannot resume from its position; it should start over.
 */
export class SseHistoryExpiredError extends SseEventStoreError {
  readonly code = 'SSE_HISTORY_EXPIRED';

  constructor(
    readonly sessionId: string,
    readonly streamId: string,
    /** The first sequence the reader needed and could not get. */
    readonly missingSequence: number,
    /** The oldest sequence still retained, when known. */
    readonly firstAvailableSequence?: number,
  ) {
    super(`Stream ${printableId(streamId)} no longer holds event ${missingSequence}: its history expired or was trimmed.`);
  }
}

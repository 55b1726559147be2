import assert from 'node:assert/strict';
import { type SseEventStore, SseHistoryExpiredError, type SseStoredEvent, type SseStreamAddress } from '../../lib';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../../lib/sse-event-store.constants';
import { EventIdCodec } from '../../lib/event-id/event-id.codec';
import { record } from './async';
import { bounded } from './bounded';

const ids = new EventIdCodec(DEFAULT_SSE_EVENT_STORE_OPTIONS.maxIdLength);

/**
 * Every event a stream holds after `afterId` (or from its start), as a client would collect it:
 * where the reader reports an event lost (`SseHistoryExpiredError`), it resumes right after that
 * one. Answers the events and the sequences reported lost, in order. Plain ids only.
 */
export async function readHeld(
  store: SseEventStore,
  address: SseStreamAddress,
  afterId?: string,
): Promise<{ events: SseStoredEvent[]; lost: number[] }> {
  const events: SseStoredEvent[] = [];
  const lost: number[] = [];
  for (let after = afterId; ; ) {
    let missing: number;
    try {
      const reader = await bounded(after ? store.getStreamReader(after) : store.getStreamReaderFromStart(address), 'open a reader');
      assert.ok(reader, `${address.sessionId}/${address.streamId} resumes after ${after ?? 'its start'}`);
      const recording = record(reader.events());
      const ended = await bounded(recording.ended, 'a reader ends');
      events.push(...recording.values);
      if (!('error' in ended)) return { events, lost };
      if (!(ended.error instanceof SseHistoryExpiredError)) throw ended.error;
      missing = ended.error.missingSequence;
    } catch (error) {
      if (!(error instanceof SseHistoryExpiredError)) throw error;
      missing = error.missingSequence;
    }
    assert.ok(!lost.includes(missing), `${address.sessionId}/${address.streamId}: sequence ${missing} reported lost twice`);
    lost.push(missing);
    after = ids.format(address, missing);
  }
}

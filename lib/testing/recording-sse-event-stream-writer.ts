import type { SseEventInput, SseEventStreamWriter } from '../interfaces/sse-event.interface';
import type { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import type { RecordedSseActivity, RecordedSseEvent } from './recorded-sse-activity.interface';

/**
 * Wraps the writer of a real store: every call goes to that writer, and what it acknowledged
 * is reported to `record`. Created by {@link RecordingSseEventStore}; not used directly.
 */
export class RecordingSseEventStreamWriter implements SseEventStreamWriter {
  readonly sessionId: string;
  readonly streamId: string;
  private completionRecorded = false;

  constructor(
    private readonly inner: SseEventStreamWriter,
    private readonly record: (activity: RecordedSseActivity) => void,
  ) {
    this.sessionId = inner.sessionId;
    this.streamId = inner.streamId;
  }

  async write<T extends SseEventInput>(event: T): Promise<T & { id: string }> {
    const alreadyIdentified = event !== null && typeof event === 'object' && typeof event.id === 'string';
    const written = await this.inner.write(event);
    // An event that already has an id is returned unchanged and not stored: nothing to record.
    if (!alreadyIdentified) {
      const recorded: RecordedSseEvent = { sessionId: this.sessionId, streamId: this.streamId, id: written.id, data: event.data };
      if (event.type !== undefined) recorded.type = event.type;
      if (event.retry !== undefined) recorded.retry = event.retry;
      this.record({ kind: 'event-written', sessionId: this.sessionId, streamId: this.streamId, event: recorded });
    }
    return written;
  }

  async setMode(mode: SseEventStreamMode): Promise<void> {
    await this.inner.setMode(mode);
    this.record({ kind: 'mode-changed', sessionId: this.sessionId, streamId: this.streamId, mode });
  }

  async complete(): Promise<void> {
    await this.inner.complete();
    // `complete` is idempotent: a writer's completion is recorded once, however often it is called.
    if (this.completionRecorded) return;
    this.completionRecorded = true;
    this.record({ kind: 'stream-completed', sessionId: this.sessionId, streamId: this.streamId });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.complete();
  }
}

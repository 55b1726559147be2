import { SseEventPersistenceError } from '../errors/sse-event-persistence.error';
import { SseStoreUnavailableError } from '../errors/sse-store-unavailable.error';
import type { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import type { OutageLog } from '../logging/outage-log';
import { type StreamAppender, type StreamReadResult, StreamStorage } from '../storage/stream-storage.interface';

/**
 * A storage whose backend failures feed an {@link OutageLog}: every call that rejects with
 * `SseStoreUnavailableError` or `SseEventPersistenceError` (the backend did not answer, by the
 * storage contract) counts as a failure; a call that resolves ends an outage under way. Other
 * rejections (a deleted session, a completed stream) say nothing about an outage either way. Every path of the store's storage goes through here, so an outage is
 * logged once whichever readers, writers or probes run into it.
 */
export class OutageLoggedStorage extends StreamStorage {
  constructor(
    private readonly storage: StreamStorage,
    private readonly outage: OutageLog,
  ) {
    super();
  }

  async openStream(address: SseStreamAddress, mode: SseEventStreamMode, reopenCompleted: boolean): Promise<StreamAppender> {
    const appender = await this.observe(this.storage.openStream(address, mode, reopenCompleted));
    return {
      append: (payloads) => this.observe(appender.append(payloads)),
      update: (change) => this.observe(appender.update(change)),
      close: () => appender.close(),
    };
  }

  read(address: SseStreamAddress, fromSequence: number, count: number, forWire?: boolean): Promise<StreamReadResult> {
    return this.observe(this.storage.read(address, fromSequence, count, forWire));
  }

  deleteSession(sessionId: string): Promise<number> {
    return this.observe(this.storage.deleteSession(sessionId));
  }

  probe(): Promise<void> {
    return this.observe(this.storage.probe());
  }

  close(): Promise<void> {
    return this.storage.close();
  }

  private async observe<T>(operation: Promise<T>): Promise<T> {
    const mark = this.outage.mark;
    try {
      const result = await operation;
      this.outage.succeeded();
      return result;
    } catch (error) {
      if (error instanceof SseStoreUnavailableError || error instanceof SseEventPersistenceError) this.outage.failed(error, mark);
      throw error;
    }
  }
}

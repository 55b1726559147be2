import { Injectable, Logger } from '@nestjs/common';
import {
  type SseEventInput,
  SseEventStore,
  type SseEventStreamWriter,
  SseSessionDeletedError,
  SseStreamClosedError,
  type SseStreamAddress,
} from '../lib';

/**
 * Keeps the open writer of each stream this process publishes to (the store allows one writer
 * per stream and process). A writer is opened on the stream's first event and continues
 * whatever the stream already holds, for example after a restart. It stays open until the stream
 * is completed or its session deleted; a shutdown leaves streams open, so the next process to
 * publish continues them.
 *
 * Sequence numbers are assigned by the writer, so all events of one stream should be published
 * through one instance at a time (route by session or stream when running several).
 */
@Injectable()
export class StreamWritersService {
  private readonly logger = new Logger(StreamWritersService.name);
  private readonly writers = new Map<string, SseEventStreamWriter>();
  /** Opening and completing the writer of a stream run one after the other. */
  private readonly pendingLifecycle = new Map<string, Promise<void>>();

  constructor(private readonly store: SseEventStore) {}

  /** Appends the event to the stream (creating the stream on first use) and resolves with its id. */
  async publish(address: SseStreamAddress, event: SseEventInput): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const writer = await this.writerOf(address);
      try {
        const { id } = await writer.write(event);
        return id;
      } catch (error) {
        if (error instanceof SseSessionDeletedError) this.forget(writer);
        // The stream was completed while this event was on its way: a new writer continues it.
        const completedMeanwhile = error instanceof SseStreamClosedError && !this.isOpenWriter(writer);
        if (!completedMeanwhile || attempt > 1) throw error;
      }
    }
  }

  /** Marks the stream completed, opening a writer first when this process has none. */
  complete(address: SseStreamAddress): Promise<void> {
    const key = streamKey(address);
    return this.oneAtATime(key, async () => {
      const writer = this.writers.get(key) ?? (await this.store.createStream(address));
      this.writers.delete(key);
      try {
        await writer.complete();
      } catch (error) {
        // Completion can be retried; until it succeeds the writer takes no more events.
        this.writers.set(key, writer);
        throw error;
      }
      this.logger.log(`Completed stream '${address.streamId}' of session '${address.sessionId}'.`);
    });
  }

  /** Deletes every stream of the session; none of its event ids can be resumed afterwards. */
  async deleteSession(sessionId: string): Promise<void> {
    for (const writer of this.writers.values()) {
      if (writer.sessionId === sessionId) this.forget(writer);
    }
    await this.store.deleteStreamsForSession(sessionId);
    this.logger.log(`Deleted session '${sessionId}'.`);
  }

  private async writerOf(address: SseStreamAddress): Promise<SseEventStreamWriter> {
    const key = streamKey(address);
    const open = this.writers.get(key);
    if (open) return open;
    let opened: SseEventStreamWriter | undefined;
    await this.oneAtATime(key, async () => {
      opened = this.writers.get(key);
      if (opened) return;
      opened = await this.store.createStream(address);
      this.writers.set(key, opened);
      this.logger.log(`Opened stream '${address.streamId}' of session '${address.sessionId}' for writing.`);
    });
    return opened!;
  }

  private isOpenWriter(writer: SseEventStreamWriter): boolean {
    return this.writers.get(streamKey(writer)) === writer;
  }

  private forget(writer: SseEventStreamWriter): void {
    if (this.isOpenWriter(writer)) this.writers.delete(streamKey(writer));
  }

  /** Runs `task` after every earlier task of the same stream has settled. */
  private oneAtATime(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.pendingLifecycle.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const settled = result.catch(() => undefined);
    this.pendingLifecycle.set(key, settled);
    void settled.then(() => {
      if (this.pendingLifecycle.get(key) === settled) this.pendingLifecycle.delete(key);
    });
    return result;
  }
}

function streamKey({ sessionId, streamId }: SseStreamAddress): string {
  return JSON.stringify([sessionId, streamId]);
}

import { SseStreamWriterConflictError } from '../errors/sse-stream-writer-conflict.error';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import type { StoreMetrics } from '../metrics/store-metrics';
import type { StreamWriter } from './stream-writer';

/** The open writers of this process, by session then stream: at most one per stream. */
export class WriterRegistry {
  /** `null` while the writer is being opened. */
  private readonly sessions = new Map<string, Map<string, StreamWriter | null>>();

  constructor(private readonly metrics: StoreMetrics) {}

  /** Claims the stream for a new writer; returns the function that frees it again. */
  reserve({ sessionId, streamId }: SseStreamAddress): () => void {
    let streams = this.sessions.get(sessionId);
    if (streams?.has(streamId)) throw new SseStreamWriterConflictError(sessionId, streamId);
    if (!streams) this.sessions.set(sessionId, (streams = new Map()));
    streams.set(streamId, null);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // A writer was attached to this reservation: an open writer closes.
      if (streams.get(streamId)) this.metrics.writerClosed();
      streams.delete(streamId);
      if (streams.size === 0 && this.sessions.get(sessionId) === streams) this.sessions.delete(sessionId);
    };
  }

  /** Records the writer that was opened on a reservation. */
  attach(writer: StreamWriter): void {
    const streams = this.sessions.get(writer.sessionId);
    if (!streams) return;
    streams.set(writer.streamId, writer);
    this.metrics.writerOpened();
  }

  writersOf(sessionId: string): StreamWriter[] {
    return [...(this.sessions.get(sessionId)?.values() ?? [])].filter((writer) => writer !== null);
  }
}

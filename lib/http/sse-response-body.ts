import { Readable } from 'node:stream';
import type { SseFlowControl, SseStoredEvent } from '../interfaces/sse-event.interface';
import { encodeSseEvent, encodeSseRetry, SSE_KEEP_ALIVE_COMMENT } from './sse-wire-format';

/** How a {@link SseResponseBody} starts and keeps its connection alive. */
export interface SseResponseBodySettings {
  /** Sent first as `retry:`, the delay before the client reconnects. */
  retryInterval: number;
  /** A comment is sent after this many ms without anything else; 0 sends none. */
  keepAliveInterval: number;
}

/**
 * The body of one SSE response, as a byte stream the framework pipes to the client. It starts
 * with `retry:` (which also sends the headers at once), then takes the events a reader emits.
 * It is the reader's flow control as well: `writableNeedDrain` is true while more than its
 * high-water mark waits for the client, and `drain` is emitted when the client has read it, so a
 * reader emits its next event only once the client takes it (per event, whatever their size).
 */
export class SseResponseBody extends Readable implements SseFlowControl {
  private waitingForRead = false;
  private finished = false;
  private readonly keepAlive?: NodeJS.Timeout;

  constructor(settings: SseResponseBodySettings) {
    super();
    this.push(encodeSseRetry(settings.retryInterval));
    if (settings.keepAliveInterval > 0) {
      this.keepAlive = setTimeout(() => this.sendKeepAlive(), settings.keepAliveInterval);
      this.keepAlive.unref();
    }
  }

  get writableNeedDrain(): boolean {
    return this.waitingForRead;
  }

  /** Queues one event for the client. */
  send(event: SseStoredEvent): void {
    if (this.destroyed || this.finished) return;
    this.enqueue(encodeSseEvent(event));
  }

  /** Ends the response once what is queued was sent: the client reconnects with the last id it got. */
  finish(): void {
    this.stopKeepAlive();
    if (this.destroyed || this.finished) return;
    this.finished = true;
    this.push(null);
  }

  override _read(): void {
    if (!this.waitingForRead) return;
    this.waitingForRead = false;
    this.emit('drain');
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopKeepAlive();
    callback(error);
  }

  private enqueue(chunk: string): void {
    if (!this.push(chunk)) this.waitingForRead = true;
    this.keepAlive?.refresh();
  }

  private sendKeepAlive(): void {
    if (this.destroyed || this.finished) return;
    // A client that is not reading has bytes in flight already: nothing to keep alive.
    if (!this.waitingForRead) this.enqueue(SSE_KEEP_ALIVE_COMMENT);
    else this.keepAlive?.refresh();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive) clearTimeout(this.keepAlive);
  }
}

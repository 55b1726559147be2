import { createParser } from 'eventsource-parser';

/** One Server-Sent Event as a client sees it. */
export interface SseMessage {
  id: string | undefined;
  /** The `event:` field; `undefined` for plain messages. */
  event: string | undefined;
  data: string;
}

/** How a connection ended: the server ended the response, the connection broke, or `close()` was called. */
export type SseEnd = { reason: 'completed' } | { reason: 'failed'; error: unknown } | { reason: 'closed' };

export interface SseOpenOptions {
  /** Sent as the `Last-Event-ID` header. */
  lastEventId?: string;
  /** Called for each message as it arrives (after it is recorded), for clients that time deliveries. */
  onMessage?: (message: SseMessage) => void;
}

/**
 * A small SSE client on fetch and eventsource-parser, for tests: it records every message and
 * how the response ended, and never reconnects by itself. A refused request (any status but
 * 200) is read in full, so `body` shows what the server answered instead.
 */
export class SseConnection {
  readonly messages: SseMessage[] = [];
  /** The last `retry:` the server sent (ms), as `EventSource` keeps it for its next reconnect. */
  retry?: number;
  /** Resolves when the response ended, however it ended (never rejects). */
  readonly ended: Promise<SseEnd>;
  private end?: SseEnd;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly status: number,
    readonly contentType: string | null,
    /** The whole body of a refused request; empty for an event stream. */
    readonly body: string,
    private readonly abort: AbortController,
    stream: ReadableStream<Uint8Array> | null,
    private readonly onMessage?: (message: SseMessage) => void,
  ) {
    this.ended = stream ? this.read(stream) : Promise.resolve({ reason: 'completed' as const });
    void this.ended.then((end) => {
      this.end = end;
      this.wakeWaiters();
    });
  }

  static async open(url: string, options: SseOpenOptions = {}): Promise<SseConnection> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId;
    const abort = new AbortController();
    const response = await fetch(url, { headers, signal: abort.signal });
    const contentType = response.headers.get('content-type');
    if (response.status !== 200) {
      return new SseConnection(response.status, contentType, await response.text(), abort, null);
    }
    return new SseConnection(response.status, contentType, '', abort, response.body, options.onMessage);
  }

  /** True while the response is still open. */
  get open(): boolean {
    return this.end === undefined;
  }

  /** Resolves once `count` messages arrived; rejects if the response ends with fewer. */
  async waitForMessages(count: number): Promise<SseMessage[]> {
    while (this.messages.length < count) {
      if (this.end) {
        throw new Error(`The event stream ended (${describe(this.end)}) after ${this.messages.length} of ${count} messages.`);
      }
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
    return this.messages.slice(0, count);
  }

  /** Resolves with every message once the server ends the response; rejects if it broke instead. */
  async untilCompleted(): Promise<SseMessage[]> {
    const end = await this.ended;
    if (end.reason !== 'completed') throw new Error(`The event stream did not complete: ${describe(end)}.`);
    return this.messages;
  }

  /** Disconnects, as a client that goes away does. */
  close(): void {
    this.abort.abort();
  }

  private async read(stream: ReadableStream<Uint8Array>): Promise<SseEnd> {
    const decoder = new TextDecoder();
    const parser = createParser({
      onEvent: ({ id, event, data }) => {
        const message = { id, event, data };
        this.messages.push(message);
        this.onMessage?.(message);
        this.wakeWaiters();
      },
      onRetry: (interval) => {
        this.retry = interval;
      },
    });
    try {
      for await (const chunk of stream) parser.feed(decoder.decode(chunk, { stream: true }));
      return { reason: 'completed' };
    } catch (error) {
      return this.abort.signal.aborted ? { reason: 'closed' } : { reason: 'failed', error };
    }
  }

  private wakeWaiters(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

function describe(end: SseEnd): string {
  return end.reason === 'failed' ? `failed: ${String(end.error)}` : end.reason;
}

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type IncomingHttpHeaders, type IncomingMessage, request } from 'node:http';

/** How a connection ended: the server ended the response, the client closed it, or it broke. */
export type SseConnectionEnd = 'server-ended' | 'client-closed' | 'broken';

/**
 * One GET to an SSE endpoint over node:http, parsed with eventsource-parser. It never
 * reconnects by itself: the test decides when to disconnect and which Last-Event-ID to send.
 * Events that arrive after `close()` are dropped, as a client that went away never sees them.
 */
export class SseTestConnection {
  private readonly buffered: EventSourceMessage[] = [];
  private readonly waiters: ((event: EventSourceMessage | undefined) => void)[] = [];
  private readonly chunks: Buffer[] = [];
  private finished?: SseConnectionEnd;
  private settleEnded!: (end: SseConnectionEnd) => void;
  /** Resolves once the connection is over, however that happened. */
  readonly ended = new Promise<SseConnectionEnd>((resolve) => (this.settleEnded = resolve));

  private constructor(
    private readonly response: IncomingMessage,
    private readonly abort: () => void,
  ) {
    const parser = createParser({ onEvent: (event) => this.push(event) });
    response.on('data', (chunk: Buffer) => {
      if (this.finished) return;
      this.chunks.push(chunk);
      if (this.isEventStream) parser.feed(chunk.toString('utf8'));
    });
    response.on('end', () => this.finish('server-ended'));
    response.on('error', () => this.finish('broken'));
    response.on('close', () => this.finish(response.complete ? 'server-ended' : 'broken'));
  }

  /** Opens the connection; resolves once the status line and headers are in. */
  static open(url: string, lastEventId?: string): Promise<SseTestConnection> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const req = request(url, { headers, agent: false }, (response) => resolve(new SseTestConnection(response, () => req.destroy())));
      req.on('error', reject);
      req.end();
    });
  }

  get status(): number {
    return this.response.statusCode ?? 0;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  get isEventStream(): boolean {
    return /^text\/event-stream\b/.test(this.response.headers['content-type'] ?? '');
  }

  /** The next event, or `undefined` once the connection is over and every event was taken. */
  next(): Promise<EventSourceMessage | undefined> {
    const event = this.buffered.shift();
    if (event || this.finished) return Promise.resolve(event);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The whole body as text, once the server ended it (for responses that are not a stream). */
  async text(): Promise<string> {
    await this.ended;
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** Disconnects, as a client that goes away mid-stream. */
  close(): void {
    if (this.finished) return;
    this.finish('client-closed');
    this.abort();
  }

  private push(event: EventSourceMessage): void {
    if (this.finished) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter(event);
    else this.buffered.push(event);
  }

  private finish(end: SseConnectionEnd): void {
    if (this.finished) return;
    this.finished = end;
    this.settleEnded(end);
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}

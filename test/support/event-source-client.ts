import { EventSource, type FetchLike } from 'eventsource';
import { waitFor } from './async';

/** One message an `EventSource` dispatched. */
export interface ReceivedMessage {
  /** The event type (`message` for events without `event:`). */
  type: string;
  data: string;
  /** The client's last event id when it dispatched the message. */
  lastEventId: string;
}

/** One `error` event: `code` is the HTTP status for a refused answer, undefined for a broken or ended connection. */
export interface ReceivedError {
  code?: number;
  message?: string;
  /** readyState right after the error: CLOSED (2) for good, CONNECTING (0) when it will reconnect. */
  readyStateAfter: number;
}

export interface EventSourceClientOptions {
  /**
   * Sent as `Last-Event-ID` on the first request only, as a client that resumes an id it kept
   * (EventSource itself sends the header on its reconnections only).
   */
  lastEventId?: string;
  /** Event types to listen for besides `message`. */
  types?: string[];
}

/**
 * A real `EventSource` (the `eventsource` package, which follows the WHATWG spec: it reconnects
 * after `retry` ms when a 200 event stream ends or breaks, sending `Last-Event-ID`, and closes for
 * good on any other status or content type, and on 204), with what it did recorded for tests.
 */
export class EventSourceClient {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;

  readonly messages: ReceivedMessage[] = [];
  readonly errors: ReceivedError[] = [];
  /** How many times it opened a stream (one per 200 text/event-stream answer). */
  opens = 0;
  /** How many requests it sent. */
  requests = 0;
  readonly source: EventSource;

  constructor(
    readonly url: string,
    options: EventSourceClientOptions = {},
  ) {
    const resumeFrom = options.lastEventId;
    const countingFetch: FetchLike = (input, init) => {
      this.requests++;
      const headers: Record<string, string> = { ...init.headers };
      if (this.requests === 1 && resumeFrom !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'last-event-id')) {
        headers['Last-Event-ID'] = resumeFrom;
      }
      return fetch(input, { ...init, headers });
    };
    this.source = new EventSource(url, { fetch: countingFetch });
    const record = (event: MessageEvent): void => {
      this.messages.push({ type: event.type, data: String(event.data), lastEventId: event.lastEventId });
    };
    this.source.addEventListener('message', record);
    for (const type of options.types ?? []) this.source.addEventListener(type, record);
    this.source.addEventListener('open', () => this.opens++);
    this.source.addEventListener('error', (event) => {
      this.errors.push({ code: event.code, message: event.message, readyStateAfter: this.source.readyState });
    });
  }

  get readyState(): number {
    return this.source.readyState;
  }

  /** Resolves once `count` messages arrived; fails after `timeoutMs`. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<ReceivedMessage[]> {
    await waitFor(() => this.messages.length >= count, `${count} messages at ${this.url} (got ${this.messages.length})`, timeoutMs);
    return this.messages.slice(0, count);
  }

  /** Resolves once the client gave up for good (readyState CLOSED); fails after `timeoutMs`. */
  async waitForClosed(timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.readyState === EventSourceClient.CLOSED, `EventSource to close at ${this.url}`, timeoutMs);
  }

  /** Resolves once `count` error events were dispatched (ends and refusals); fails after `timeoutMs`. */
  async waitForErrors(count: number, timeoutMs = 10_000): Promise<ReceivedError[]> {
    await waitFor(() => this.errors.length >= count, `${count} error events at ${this.url} (got ${this.errors.length})`, timeoutMs);
    return this.errors.slice(0, count);
  }

  close(): void {
    this.source.close();
  }
}

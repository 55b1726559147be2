import { EventSource, type EventSourceFetchInit, type FetchLikeResponse } from 'eventsource';

/**
 * A real EventSource client (the `eventsource` npm package, which follows the WHATWG spec:
 * reconnects after `retry:` ms with `Last-Event-ID`, stops on 204 and on any other refusal),
 * recorded for tests: every event, every request it made and how that request ended, every
 * `error` event with the readyState it left, and every socket error its connections met.
 */

/** One event as the application received it. */
export interface ReceivedEvent {
  /** `MessageEvent.lastEventId`: the event's id. */
  id: string;
  /** `message` for untyped events. */
  type: string;
  data: string;
}

/** One request EventSource made, and how it ended. */
export interface EventSourceRequest {
  at: number;
  /** The `Last-Event-ID` header it sent; `null` on a first connection without one. */
  lastEventId: string | null;
  /** The HTTP status, once answered. */
  status?: number;
  /**
   * How the request ended: `ended` (the server ended the response), `failed` (the connection
   * broke: a reset, or a close in the middle of the response), `aborted` (by the client),
   * `refused` (no HTTP answer at all); `undefined` while open.
   */
  end?: 'ended' | 'failed' | 'aborted' | 'refused';
  /** The error, for `failed` and `refused`. */
  error?: string;
  /** Events received on this request. */
  events: number;
}

/** One `error` event, as dispatched. */
export interface ErrorRecord {
  at: number;
  /** readyState right after it: 0 CONNECTING (it reconnects), 2 CLOSED (it gave up). */
  readyState: number;
  /** The HTTP status of a failed connection, if the package gave one (204 for "stop"). */
  code?: number;
  message?: string;
}

export interface RecordingEventSourceOptions {
  /** Event types to listen to besides `message`. */
  types?: string[];
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;

export class RecordingEventSource {
  readonly events: ReceivedEvent[] = [];
  readonly requests: EventSourceRequest[] = [];
  readonly errors: ErrorRecord[] = [];
  /** Each `open` event (a 200 event-stream answer). */
  opens = 0;
  /** Socket-level failures its connections met (resets, closes mid-response, connections refused). */
  readonly socketErrors: string[] = [];
  private readonly source: EventSource;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly url: string,
    options: RecordingEventSourceOptions = {},
  ) {
    this.source = new EventSource(url, { fetch: (input, init) => this.fetch(input, init) });
    const onMessage = (event: MessageEvent): void => {
      this.events.push({ id: event.lastEventId, type: event.type, data: String(event.data) });
      const request = this.requests.at(-1);
      if (request) request.events++;
      this.wake();
    };
    this.source.addEventListener('message', onMessage);
    for (const type of options.types ?? []) this.source.addEventListener(type, onMessage);
    this.source.addEventListener('open', () => {
      this.opens++;
      this.wake();
    });
    this.source.addEventListener('error', (event) => {
      this.errors.push({ at: Date.now(), readyState: this.source.readyState, code: event.code, message: event.message });
      this.wake();
    });
  }

  get readyState(): number {
    return this.source.readyState;
  }

  /** The `error` events after which EventSource had given up (CLOSED). */
  get closings(): ErrorRecord[] {
    return this.errors.filter((error) => error.readyState === CLOSED);
  }

  /** Resolves once `condition` holds; rejects after `timeoutMs` with `what` and a summary. */
  async waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}: ${this.summary()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once EventSource has given up (readyState CLOSED); rejects after `timeoutMs`. */
  waitUntilClosed(timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.source.readyState === CLOSED, 'EventSource to close', timeoutMs);
  }

  /** Resolves once it is OPEN and has at least `count` events. */
  waitForEvents(count: number, timeoutMs: number): Promise<void> {
    return this.waitFor(() => this.events.length >= count, `${count} events`, timeoutMs);
  }

  /** Stops it, as the application would. */
  close(): void {
    this.source.close();
  }

  /** One line for failure messages. */
  summary(): string {
    const statuses = this.requests.map((request) => `${request.status ?? '-'}/${request.end ?? 'open'}`).join(' ');
    return `${this.events.length} events, readyState ${this.source.readyState}, ${this.opens} opens, requests [${statuses}], socket errors ${JSON.stringify(this.socketErrors)}`;
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  private async fetch(input: string | URL, init: EventSourceFetchInit): Promise<FetchLikeResponse> {
    const request: EventSourceRequest = { at: Date.now(), lastEventId: init.headers['Last-Event-ID'] ?? null, events: 0 };
    this.requests.push(request);
    const signal = init.signal as AbortSignal | undefined;
    let response: Response;
    try {
      response = await fetch(input, init as RequestInit);
    } catch (error) {
      if (signal?.aborted) {
        request.end = 'aborted';
      } else {
        request.end = 'refused';
        request.error = describeError(error);
        this.socketErrors.push(`request refused: ${request.error}`);
      }
      this.wake();
      throw error;
    }
    request.status = response.status;
    const body = response.body;
    if (!body) request.end = 'ended';
    return {
      status: response.status,
      url: response.url,
      redirected: response.redirected,
      headers: response.headers,
      body: body && this.watch(body, request, signal),
    };
  }

  /** The body as it is read, noting how it ends. */
  private watch(
    body: ReadableStream<Uint8Array>,
    request: EventSourceRequest,
    signal: AbortSignal | undefined,
  ): ReadableStream<Uint8Array> {
    const reader = body.getReader();
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          const chunk = await reader.read();
          if (chunk.done) {
            request.end ??= 'ended';
            controller.close();
          } else {
            controller.enqueue(chunk.value);
          }
        } catch (error) {
          if (signal?.aborted) {
            request.end ??= 'aborted';
          } else {
            request.end ??= 'failed';
            request.error = describeError(error);
            this.socketErrors.push(`response broke: ${request.error}`);
          }
          this.wake();
          controller.error(error);
        }
      },
      cancel: (reason) => {
        request.end ??= 'aborted';
        return reader.cancel(reason);
      },
    });
  }
}

/** The error and its causes, with their codes (`TypeError: terminated <- SocketError: other side closed (UND_ERR_SOCKET)`). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (
    let current = error, depth = 0;
    current !== undefined && current !== null && depth < 5;
    current = (current as { cause?: unknown }).cause, depth++
  ) {
    const code = (current as { code?: unknown }).code;
    parts.push(current instanceof Error ? `${current.name}: ${current.message}${code ? ` (${String(code)})` : ''}` : String(current));
  }
  return parts.join(' <- ');
}

export const READY_STATE = { CONNECTING, OPEN, CLOSED } as const;

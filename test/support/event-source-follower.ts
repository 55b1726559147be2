import { EventSource, type FetchLike } from 'eventsource';
import { waitFor } from './async';

/** One event the client received. */
export interface FollowedEvent {
  /** The event's id (`lastEventId` of the MessageEvent). */
  id: string;
  data: string;
  /** Index of the request whose response delivered it. */
  request: number;
}

/** One request the EventSource made (its first connection or a reconnect), and its answer. */
export interface FollowedRequest {
  /** The `Last-Event-ID` header it sent; `null` on a request without one. */
  lastEventId: string | null;
  /** The response's status; `undefined` while waiting, or when the request failed. */
  status?: number;
  /** Why the request failed without a response (connection refused or reset). */
  error?: string;
  /** How many events its response delivered. */
  events: number;
  /** When it was sent, in ms since the follower was created. */
  sentAtMs: number;
}

/** How the EventSource reached `CLOSED`. */
export interface FollowerClosed {
  /** Events received by then. */
  events: number;
  /** The status of the request that closed it (204 for a completed stream). */
  status?: number;
  message?: string;
}

/**
 * A real `EventSource` (npm `eventsource`, as a Node application would use it) following one
 * event type, with every request and answer recorded through its `fetch` option: what a user's
 * client receives, and how often and why it reconnected.
 */
export class EventSourceFollower {
  readonly events: FollowedEvent[] = [];
  readonly requests: FollowedRequest[] = [];
  /** Set once the EventSource is `CLOSED` (it never reconnects after that). */
  closedState?: FollowerClosed;
  /** `Date.now()` when the follower was created. */
  readonly createdAt = Date.now();
  private readonly source: EventSource;

  constructor(
    readonly url: string,
    readonly eventType: string,
  ) {
    const recordingFetch: FetchLike = async (input, init) => {
      const request: FollowedRequest = {
        lastEventId: init.headers['Last-Event-ID'] ?? null,
        events: 0,
        sentAtMs: Date.now() - this.createdAt,
      };
      this.requests.push(request);
      try {
        const response = await fetch(input, init);
        request.status = response.status;
        return response;
      } catch (error) {
        request.error = error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
        throw error;
      }
    };
    this.source = new EventSource(url, { fetch: recordingFetch });
    this.source.addEventListener(eventType, (event: MessageEvent) => {
      const request = this.requests.length - 1;
      this.requests[request].events++;
      this.events.push({ id: event.lastEventId, data: String(event.data), request });
    });
    this.source.addEventListener('error', (event) => {
      if (this.source.readyState !== EventSource.CLOSED || this.closedState) return;
      this.closedState = { events: this.events.length, status: this.requests.at(-1)?.status, message: event.message };
    });
  }

  get readyState(): number {
    return this.source.readyState;
  }

  /** Stops following (no-op once `CLOSED`). */
  close(): void {
    this.source.close();
  }

  /** Resolves once `count` events arrived; rejects if the EventSource closed first, or after `timeoutMs`. */
  waitForEvents(count: number, timeoutMs: number): Promise<void> {
    return waitFor(
      () => {
        if (this.events.length >= count) return true;
        if (this.closedState) throw new Error(`The EventSource closed after ${this.events.length} of ${count} events: ${this.describe()}`);
        return false;
      },
      `${count} '${this.eventType}' events from ${this.url} (${this.describe()})`,
      timeoutMs,
    );
  }

  /** Resolves once the EventSource is `CLOSED`; rejects after `timeoutMs`. */
  async waitForClosed(timeoutMs: number): Promise<FollowerClosed> {
    await waitFor(() => this.closedState !== undefined, `the EventSource on ${this.url} to close (${this.describe()})`, timeoutMs);
    return this.closedState!;
  }

  /** How many requests were answered with each status (`failed` for no answer, `pending` for none yet). */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const request of this.requests) {
      const key = request.status !== undefined ? String(request.status) : request.error !== undefined ? 'failed' : 'pending';
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Each request as `<seconds>s <status>:<events>`, e.g. `3.0s 200:9`. */
  timeline(requests = this.requests): string {
    return requests
      .map(
        (request) =>
          `${(request.sentAtMs / 1000).toFixed(1)}s ${request.status ?? (request.error !== undefined ? 'failed' : 'pending')}:${request.events}`,
      )
      .join(', ');
  }

  /** What happened so far, for failure messages. */
  describe(): string {
    return `${this.events.length} events, requests [sent status:events] ${this.timeline() || 'none'}, readyState ${this.source.readyState}`;
  }
}

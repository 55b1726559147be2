import { setTimeout as delay } from 'node:timers/promises';

/** One publish request of a {@link WriterLoop}. */
export interface WriteAttempt {
  /** The event's number: its data is `{"n":<n>}`. */
  n: number;
  startedAt: number;
  endedAt?: number;
  /** The HTTP status; `undefined` when no answer came (connection error, or the request timed out). */
  status?: number;
  /** The id of an acknowledged (201) event. */
  id?: string;
  /** The answer's body, or the error, when it was not a 201. */
  failure?: string;
}

export interface WriterLoopOptions {
  /** Pause between the end of one request and the start of the next. Default 100 ms. */
  intervalMs?: number;
  /** A request without an answer after this long is given up (its event may or may not be stored). Default 20 s. */
  requestTimeoutMs?: number;
}

/**
 * Publishes `{ data: { n } }` to one stream of the sample, n = 1, 2, ..., one request at a time
 * (so the acknowledged events have one order: the order of n), until stopped, and records every
 * answer. It keeps going whatever the answers are: a 503 while the store is away is recorded and
 * the next event is tried.
 */
export class WriterLoop {
  readonly attempts: WriteAttempt[] = [];
  private stopping = false;
  private readonly done: Promise<void>;

  private constructor(
    private readonly eventsUrl: string,
    private readonly options: Required<WriterLoopOptions>,
  ) {
    this.done = this.run();
  }

  /** Starts publishing to `eventsUrl` (`.../sessions/:sessionId/streams/:streamId/events`). */
  static start(eventsUrl: string, options: WriterLoopOptions = {}): WriterLoop {
    return new WriterLoop(eventsUrl, { intervalMs: options.intervalMs ?? 100, requestTimeoutMs: options.requestTimeoutMs ?? 20_000 });
  }

  /** Events answered 201, in order. */
  get acknowledged(): { n: number; id: string }[] {
    return this.attempts.filter((attempt) => attempt.status === 201).map((attempt) => ({ n: attempt.n, id: attempt.id! }));
  }

  /** Requests that were answered otherwise, or not at all: their events may or may not be stored. */
  get failed(): WriteAttempt[] {
    return this.attempts.filter((attempt) => attempt.endedAt !== undefined && attempt.status !== 201);
  }

  /** How many requests got each status (`none` for no answer). */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const attempt of this.attempts) {
      const key = attempt.endedAt === undefined ? 'pending' : String(attempt.status ?? 'none');
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Resolves once `count` more events than now were acknowledged; rejects after `timeoutMs`. */
  async waitForAcknowledged(count: number, timeoutMs: number): Promise<void> {
    const target = this.acknowledged.length + count;
    const deadline = Date.now() + timeoutMs;
    while (this.acknowledged.length < target) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out after ${timeoutMs} ms waiting for ${count} acknowledged events: ${JSON.stringify(this.statusCounts())}`);
      }
      await delay(20);
    }
  }

  /** Stops after the request in flight; resolves once it was answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.done;
  }

  private async run(): Promise<void> {
    for (let n = 1; !this.stopping; n++) {
      const attempt: WriteAttempt = { n, startedAt: Date.now() };
      this.attempts.push(attempt);
      try {
        const response = await fetch(this.eventsUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ data: { n } }),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        const text = await response.text();
        attempt.status = response.status;
        if (response.status === 201) attempt.id = (JSON.parse(text) as { id: string }).id;
        else attempt.failure = text;
      } catch (error) {
        attempt.failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      attempt.endedAt = Date.now();
      if (!this.stopping) await delay(this.options.intervalMs);
    }
  }
}

/** The `n` of an event's data (`{"n":5}`); throws on anything else, which no writer sent. */
export function numberOf(data: string): number {
  const parsed = JSON.parse(data) as { n?: unknown };
  if (typeof parsed?.n !== 'number') throw new Error(`Unexpected event data: ${data}`);
  return parsed.n;
}

/**
 * Completes the stream, retrying while the sample answers 503 (the store is not back yet), until
 * it answers 204; rejects on any other answer or after `timeoutMs`. Returns how many tries it took.
 */
export async function completeWhenPossible(completeUrl: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    let status: number | string;
    try {
      const response = await fetch(completeUrl, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
      status = response.status;
      const body = await response.text();
      if (status === 204) return tries;
      if (status !== 503) throw new Error(`Completing answered ${status}: ${body}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('Completing answered')) throw error;
      status = String(error);
    }
    if (Date.now() > deadline) throw new Error(`The stream could not be completed within ${timeoutMs} ms (last answer ${status})`);
    await delay(200);
  }
}

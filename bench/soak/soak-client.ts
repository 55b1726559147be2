import { setTimeout as delay } from 'node:timers/promises';
import { streamUrl } from '../../test/support/sample-client';
import { type SseMessage, SseConnection } from '../../test/support/sse-client';
import { now } from '../support/timing';

/**
 * Where a client reconnects after its connection broke: `sticky` retries the same instance until
 * it answers again (an EventSource pointed at one host), `failover` goes to the other instance
 * (a load balancer that routes around a dead one).
 */
export type ReconnectPolicy = 'sticky' | 'failover';

/** What a client needs from the run it belongs to. */
export interface SoakClientContext {
  readonly baseUrls: readonly string[];
  /** The wait before a reconnect until a response has sent `retry:`. */
  readonly retryMs: number;
  /** Aborted when the run gives up waiting: the client disconnects and stops. */
  readonly stop: AbortSignal;
  /** Which process currently serves the instance (0 until it is restarted). */
  generation(instance: number): number;
  /** True once the completion of the stream was sent: a normal end of the response is then the stream's end. */
  completing(stream: number): boolean;
  /** Id of the last event acknowledged on the stream. */
  lastPublishedId(stream: number): string | undefined;
  /**
   * A message arrived at `receivedAt`, sent at `sentAt` (both `now()`); `replayed` when it was
   * published before the connection it came on opened (a backlog, not a live event).
   */
  delivered(sentAt: number, receivedAt: number, replayed: boolean): void;
}

/** The data every published event carries. */
export interface SoakEventData {
  /** Stream index. */
  s: number;
  /** Position in the stream, from 0. */
  n: number;
  /** When the publish request was sent (ms, `now()`). */
  t: number;
}

export interface ConnectionRecord {
  instance: number;
  generation: number;
  /** Sent with Last-Event-ID (every connection but a first one that got no event before it broke). */
  resumed: boolean;
  status: number;
  /** How the response ended: `completed`, `failed` (broken), `closed` (by the client), `refused` (no HTTP answer, or not 200); `pending` until then. */
  end: 'pending' | 'completed' | 'failed' | 'closed' | 'refused';
  /** When the request was sent (ms, `now()`). */
  openedAt: number;
  /** When the first event published after `openedAt` arrived on it: a resuming client is back to live events. */
  firstLiveAt?: number;
}

/** What a client holds at the end, for the checks: plain data, the same in whichever process the client ran. */
export interface SoakClientRecord {
  readonly index: number;
  readonly stream: number;
  readonly policy: ReconnectPolicy;
  readonly receivedIds: string[];
  /** Position in the stream of each received message (`SoakEventData.n`), -1 when it was not one of the stream's events. */
  readonly receivedPositions: number[];
  readonly connections: ConnectionRecord[];
  readonly done: boolean;
  readonly failure?: string;
}

/**
 * One SSE reader of one stream that behaves like a browser's EventSource: whenever its response
 * ends it waits a little and reconnects with the id of the last event it got in Last-Event-ID,
 * until the stream is complete and it holds the stream's last event.
 */
export class SoakClient implements SoakClientRecord {
  readonly receivedIds: string[] = [];
  readonly receivedPositions: number[] = [];
  readonly connections: ConnectionRecord[] = [];
  /** Why the client stopped before the end of its stream, if it did. */
  failure?: string;
  done = false;
  /** The last `retry:` a response sent. */
  private reconnectMs?: number;

  constructor(
    readonly index: number,
    readonly stream: number,
    readonly sessionId: string,
    readonly streamId: string,
    private instance: number,
    readonly policy: ReconnectPolicy,
    private readonly context: SoakClientContext,
  ) {}

  /** Connects and reads until the end of the stream; never rejects. */
  async run(): Promise<void> {
    try {
      await this.readUntilDone();
    } catch (error) {
      this.failure ??= error instanceof Error ? error.message : String(error);
    }
  }

  private async readUntilDone(): Promise<void> {
    const { stop } = this.context;
    let first = true;
    while (!stop.aborted) {
      if (!first) await this.pause();
      first = false;
      if (stop.aborted) break;
      const lastEventId = this.receivedIds.at(-1);
      const record: ConnectionRecord = {
        instance: this.instance,
        generation: this.context.generation(this.instance),
        resumed: lastEventId !== undefined,
        status: 0,
        end: 'pending',
        openedAt: now(),
      };
      this.connections.push(record);
      let connection: SseConnection;
      try {
        connection = await SseConnection.open(streamUrl(this.context.baseUrls[this.instance], this.sessionId, this.streamId, 'events'), {
          lastEventId,
          onMessage: (message) => this.receive(message, record),
        });
      } catch {
        record.end = 'refused';
        this.moveAfterFailure();
        continue;
      }
      record.status = connection.status;
      if (connection.status === 204 && this.holdsLastEvent()) {
        // The stream was completed while this client was away, and it has every event: an EventSource stops here.
        record.end = 'completed';
        this.done = true;
        return;
      }
      if (connection.status !== 200) {
        record.end = 'refused';
        // 5xx: the instance could not serve it now (its cache, or a restart); a browser retries.
        if (connection.status >= 500) continue;
        throw new Error(`GET ${this.describeTarget()} answered ${connection.status}: ${connection.body.slice(0, 200)}`);
      }
      const onStop = (): void => connection.close();
      stop.addEventListener('abort', onStop, { once: true });
      const end = await connection.ended;
      this.reconnectMs = connection.retry ?? this.reconnectMs;
      stop.removeEventListener('abort', onStop);
      record.end = end.reason;
      if (end.reason === 'completed' && this.holdsLastEvent()) {
        this.done = true;
        return;
      }
      if (end.reason === 'failed') this.moveAfterFailure();
    }
    this.failure ??= `stopped waiting after ${this.receivedIds.length} events`;
  }

  /** The stream is being completed and this client holds its last acknowledged event. */
  private holdsLastEvent(): boolean {
    return this.context.completing(this.stream) && this.receivedIds.at(-1) === this.context.lastPublishedId(this.stream);
  }

  private receive(message: SseMessage, connection: ConnectionRecord): void {
    const receivedAt = now();
    let data: Partial<SoakEventData> = {};
    try {
      data = JSON.parse(message.data) as Partial<SoakEventData>;
    } catch {
      // not one of ours: recorded with position -1, which no published event has
    }
    this.receivedIds.push(message.id ?? '');
    this.receivedPositions.push(data.s === this.stream && typeof data.n === 'number' ? data.n : -1);
    if (typeof data.t !== 'number') return;
    const published = data.t >= connection.openedAt;
    if (published) connection.firstLiveAt ??= receivedAt;
    this.context.delivered(data.t, receivedAt, !published);
  }

  /** A broken or refused connection: a failover client tries the other instance next. */
  private moveAfterFailure(): void {
    if (this.policy === 'failover') this.instance = (this.instance + 1) % this.context.baseUrls.length;
  }

  /** The reconnection delay: the last `retry:` a response sent, as `EventSource` waits (any spread is the server's). */
  private async pause(): Promise<void> {
    await delay(this.reconnectMs ?? this.context.retryMs, undefined, { signal: this.context.stop }).catch(() => undefined);
  }

  private describeTarget(): string {
    return `${this.sessionId}/${this.streamId} on instance ${this.instance}`;
  }
}

import { Logger } from '@nestjs/common';
import { concatMap, lastValueFrom } from 'rxjs';
import { SseHistoryExpiredError } from '../errors/sse-history-expired.error';
import { SseInvalidInputError } from '../errors/sse-invalid-input.error';
import { SseLimitExceededError } from '../errors/sse-limit-exceeded.error';
import { SseSessionDeletedError } from '../errors/sse-session-deleted.error';
import type { SseEventStreamReader, SseEventStreamWriter } from '../interfaces/sse-event.interface';
import { SseEventStreamMode } from '../interfaces/sse-event-stream-mode.enum';
import type { SseEventStore } from '../sse-event-store';
import type {
  McpEventId,
  McpEventStore,
  McpJsonRpcMessage,
  McpReplayTarget,
  McpStoredMessage,
  McpStreamId,
} from './mcp-event-store.interface';
import { McpResumeRefusedError } from './mcp-resume-refused.error';
import { printableId } from '../logging/printable-id';
import { ReplayHandover } from './mcp-replay-handover';
import { ownersOf } from './mcp-session-owners';
import { isPrimingMessage, overflowSessionId } from './mcp-store-layout';

/**
 * The MCP session an {@link McpSessionEventStore} belongs to: the id itself, or a function that
 * returns it once it is known (for example `() => transport.sessionId`).
 */
export type McpSessionIdSource = string | (() => string | undefined);

/**
 * A replay that finds writes of its stream still in flight waits for them and reads again, at most
 * this many times in all, so that what was being stored as the client reconnected comes with the
 * replay. What is stored later goes out live (see {@link ReplayHandover}).
 */
const MAX_REPLAY_PASSES = 3;

/**
 * How many completed streams keep their store session in memory (see
 * {@link McpSessionEventStore.retire}): a later message of one of them (the next response of a
 * batch) continues it where it is.
 */
const RETIRED_PLACEMENTS_KEPT = 256;

/**
 * A new stream is tried in at most this many store sessions: the current one, the next one in
 * turn (the oldest, whose completed streams may have expired by then), and a new one.
 */
const MAX_OPEN_ATTEMPTS = 3;

/** The writer of one SDK stream, while it is being opened or open. */
interface WriterSlot {
  readonly writer: Promise<SseEventStreamWriter>;
}

/**
 * The event store of one MCP session, for the MCP TypeScript SDK's Streamable HTTP transport
 * (`new StreamableHTTPServerTransport({ eventStore, ... })`), on top of {@link SseEventStore}.
 * Create one per session and transport:
 *
 * ```ts
 * const sessionId = randomUUID();
 * const eventStore = new McpSessionEventStore(store, sessionId);
 * const transport = new StreamableHTTPServerTransport({
 *   sessionIdGenerator: () => sessionId,
 *   eventStore,
 *   retryInterval: 2_000,
 * });
 * transport.onclose = () => void eventStore.close(); // before server.connect(transport)
 * ```
 *
 * **Session scope.** Every SDK stream becomes a stream of the store under this session
 * (`{ sessionId, streamId }`; or under one of its overflow sessions, see "Long sessions"), and the
 * store's event ids encode both. An id is only resumed when it
 * belongs to this session: an id of another session (even of its `_GET_stream`, which has the
 * same name in every session) gets no stream id from `getStreamIdForEventId`, which the SDK
 * answers with HTTP 400 before anything is replayed.
 *
 * **The session id** must be known when the first event is stored. In stateful mode the SDK
 * generates it while handling `initialize`, before it stores anything, so either generate it
 * yourself and hand it to both (`sessionIdGenerator: () => sessionId`, as above), or pass
 * `() => transport.sessionId`. It is bound on first use and never changes afterwards.
 * Stateless transports (no session id) cannot be resumed and are refused.
 *
 * **Streams.** The SDK stream ids (a random id per POST stream, `_GET_stream` for the standalone
 * stream) are the store's stream ids. Streams are written in polling mode: a replay sends what
 * is stored and ends, and the SDK then delivers new events live on the resumed connection (what is
 * stored while a replay runs is acknowledged once that connection is in place). A POST
 * stream's writer is completed once it stored a response; the standalone stream's stays open.
 * Priming events (stored by the SDK as `{}`) get ids like any event and are never replayed.
 *
 * **Long sessions.** Every POST request with a request in it is a stream of its own, and the
 * store's `maxStreamsPerSession` (default 1,000) counts a stream until its metadata expires (an
 * hour after its last write or read by default), completed or not: a session of the store would
 * refuse the 1,001st request (`initialize` included) of a busy MCP session. So the MCP session's streams are kept in as
 * many store sessions as it needs: its own id first ({@link storeSessionIds}), and once that one
 * is full, overflow sessions (`<session id> overflow-1`, ...). A new stream goes to the current
 * store session; when the store refuses it with `SseLimitExceededError`, it goes to the next one
 * in turn (the oldest, whose completed streams may have expired meanwhile, and which the store
 * then prunes), else to a new one. Every stream stays in its store session and keeps its ids,
 * so any stream, completed or not, resumes as before, within the store's retention settings.
 * What the limit still bounds is the streams of the session that are open (not yet answered):
 * once the store refused one, at most `maxStreamsPerSession` at a time, and a new stream beyond
 * that is refused with `SseLimitExceededError`. Ordinary streams of the store are not affected.
 * A completed stream's store session is remembered for its last 256 (`RETIRED_PLACEMENTS_KEPT`)
 * completed streams (a batch's next response continues its stream): a response that came
 * later than that, after the session moved to another store session, would start the stream
 * over there (only batches, which clients no longer send since protocol 2025-06-18, do this).
 *
 * **Namespace.** The store sessions of an MCP session are its id, and its id followed by a space
 * and more. When the same store is also reachable by other clients (an HTTP API that takes a
 * session id, as the sample's `/sessions`), give MCP sessions ids that those routes refuse, such
 * as a reserved prefix: that API then cannot read, write or delete an MCP session's streams.
 *
 * **Session end.** Call {@link close} when the session ends — the transport's `onclose`, which the
 * SDK calls on DELETE and on `transport.close()`. It deletes the streams of every store session of
 * the MCP session (`deleteStreamsForSession`); nothing of the session can be stored or resumed
 * afterwards. Sessions that are abandoned without either expire with the store's retention
 * settings.
 *
 * **Errors.** A store failure rejects `storeEvent` (the SDK then does not send the message, and
 * reports the error through its `onerror`), and makes a resume fail with HTTP 500. The SDK answers
 * a POST whose priming event could not be stored with HTTP 400 and JSON-RPC -32700 "Parse error",
 * whatever the error: {@link mcpErrorAnswerOf} gives the status and JSON-RPC error that say what
 * happened, for an application that answers such requests itself (as the sample does).
 */
export class McpSessionEventStore implements McpEventStore, AsyncDisposable {
  private readonly logger = new Logger(McpSessionEventStore.name);
  private boundSessionId?: string;
  /** Ends this process's claim on the session (see `McpRemoteResumption`). */
  private releaseOwnership?: () => void;
  /** Open writers, by SDK stream id. */
  private readonly writers = new Map<McpStreamId, WriterSlot>();
  /** Completions of retired writers; a new writer of the stream opens after it. */
  private readonly completions = new Map<McpStreamId, Promise<void>>();
  /** Writes not yet acknowledged, by SDK stream id. */
  private readonly writesInFlight = new Map<McpStreamId, Set<Promise<unknown>>>();
  /** The replays running, by SDK stream id, until the SDK registered their connection. */
  private readonly handovers = new Map<McpStreamId, Set<ReplayHandover>>();
  /** The reader found by the last `getStreamIdForEventId`, which the SDK follows with a replay of the same id. */
  private lastLookup?: { eventId: McpEventId; reader: SseEventStreamReader };
  private closed = false;
  private deletion?: Promise<void>;
  /** The store sessions that hold the streams: the MCP session id, then the overflow sessions opened in turn. */
  private storeSessions?: string[];
  /** Index in {@link storeSessions} of the one new streams go to. */
  private current = 0;
  /** The store session of each open stream, and of the most recently completed ones. */
  private readonly placements = new Map<McpStreamId, string>();
  /** Completed streams whose placement is kept, oldest first. */
  private readonly retiredPlacements = new Set<McpStreamId>();
  /** `maxStreamsPerSession`, once the store refused a stream with it. */
  private streamLimit?: number;

  /**
   * @param store the store that keeps the events (the application's {@link SseEventStore}).
   * @param sessionIdSource the MCP session: its id, or a function that returns it once it is known.
   */
  constructor(
    private readonly store: SseEventStore,
    private readonly sessionIdSource: McpSessionIdSource,
  ) {
    if (typeof sessionIdSource !== 'string' && typeof sessionIdSource !== 'function') {
      throw new SseInvalidInputError('An MCP session event store needs the session id, or a function that returns it.');
    }
  }

  /** The MCP session id, once known. */
  get sessionId(): string | undefined {
    if (this.boundSessionId === undefined && !this.closed) {
      const id = typeof this.sessionIdSource === 'function' ? this.sessionIdSource() : this.sessionIdSource;
      if (typeof id === 'string' && id.length > 0) {
        this.boundSessionId = id;
        // Other instances ask whether the session still lives before they serve its resumptions.
        this.releaseOwnership = ownersOf(this.store)?.hold(id);
      }
    }
    return this.boundSessionId;
  }

  /**
   * The store sessions that hold this MCP session's streams: the session id itself, followed by
   * the overflow sessions (`<session id> overflow-<n>`) opened once it held `maxStreamsPerSession`
   * streams. Empty while the session id is not known.
   */
  get storeSessionIds(): readonly string[] {
    return this.sessionId === undefined ? [] : [...this.boundStoreSessions()];
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stores a message of one of the session's streams and resolves with its event id once the
   * store acknowledged it. Messages of one stream get ids in call order.
   */
  async storeEvent(streamId: McpStreamId, message: McpStoredMessage): Promise<McpEventId> {
    const sessionId = this.requireSessionId();
    if (message === null || typeof message !== 'object') throw new SseInvalidInputError('An MCP message must be an object.');
    for (;;) {
      if (this.closed) throw new SseSessionDeletedError(sessionId);
      const slot = this.writerSlot(streamId);
      const writer = await slot.writer;
      // The slot was retired (a response was stored) or the session closed while this call waited.
      if (this.writers.get(streamId) !== slot) continue;
      const written = writer.write({ data: message });
      this.track(streamId, written);
      if (isResponse(message)) this.retire(streamId, writer, written);
      const { id } = await written;
      const handover = this.handedOver(streamId, id);
      if (handover) await handover;
      return id;
    }
  }

  /**
   * The SDK stream id of an event id of this session, or `undefined` (SDK: HTTP 400) when the id
   * cannot be resumed here: not one of the store's ids, another session's, an unknown stream, a
   * deleted session, or a position whose events expired.
   */
  async getStreamIdForEventId(eventId: McpEventId): Promise<McpStreamId | undefined> {
    const reader = await this.lookup(eventId);
    this.lastLookup = reader ? { eventId, reader } : undefined;
    return reader?.streamId;
  }

  /**
   * Sends every stored message of the stream after `lastEventId`, in order, and resolves with the
   * stream id. Rejects with {@link McpResumeRefusedError}, sending nothing, for an id this session
   * cannot resume (see {@link getStreamIdForEventId}). A message of the stream stored meanwhile
   * that the replay did not send is left to the SDK to send live: its `storeEvent` resolves only
   * once the SDK registered the resumed connection (see `ReplayHandover` in `mcp-replay-handover.ts`).
   */
  async replayEventsAfter(lastEventId: McpEventId, { send }: McpReplayTarget): Promise<McpStreamId> {
    const cached = this.lastLookup;
    this.lastLookup = undefined;
    let reader = cached?.eventId === lastEventId ? cached.reader : await this.lookup(lastEventId);
    if (!reader) throw new McpResumeRefusedError(this.sessionId ?? '');
    const { sessionId, streamId } = reader;
    const handover = this.openHandover(streamId);
    try {
      let lastReplayed = lastEventId;
      let count = 0;
      for (let pass = 1; reader; pass++) {
        await lastValueFrom(
          reader.events().pipe(
            concatMap(async (event) => {
              lastReplayed = event.id;
              if (isPrimingMessage(event.data)) return;
              count++;
              await send(event.id, event.data as McpJsonRpcMessage);
              handover.sent(event.id);
            }),
          ),
          { defaultValue: undefined },
        );
        // A write still in flight may or may not be in what was read: once it is acknowledged, its
        // id tells the hand-over whether the replay sent it. Read on to send it with the replay.
        const inFlight = this.writesInFlight.get(streamId);
        if (!inFlight || inFlight.size === 0) break;
        await Promise.allSettled([...inFlight]);
        if (pass >= MAX_REPLAY_PASSES) break;
        reader = await this.store.getStreamReader(lastReplayed, { sessionId });
      }
      await handover.releaseReplayed();
      this.logger.debug(`Replayed ${count} message(s) of stream ${printableId(streamId)}.`);
      return streamId;
    } finally {
      handover.end(() => this.closeHandover(streamId, handover));
    }
  }

  /**
   * Ends the session's storage: deletes every stream of the session from the store. Idempotent;
   * a failed deletion can be retried by calling again. Call it from the transport's `onclose`.
   */
  close(): Promise<void> {
    this.closed = true;
    this.releaseOwnership?.();
    this.writers.clear();
    this.placements.clear();
    this.retiredPlacements.clear();
    this.lastLookup = undefined;
    this.deletion ??= this.deleteStreams().catch((error: unknown) => {
      this.deletion = undefined;
      throw error;
    });
    return this.deletion;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async deleteStreams(): Promise<void> {
    if (this.sessionId === undefined) return;
    const sessions = this.boundStoreSessions();
    // Deleting a session twice is harmless: a failed close() deletes them all again.
    await Promise.all(sessions.map((storeSessionId) => this.store.deleteStreamsForSession(storeSessionId)));
    this.logger.debug(`Deleted the streams of an MCP session that ended (${sessions.length} store session(s)).`);
  }

  /** The store sessions, starting with the session id; only called once the session id is known. */
  private boundStoreSessions(): string[] {
    this.storeSessions ??= [this.sessionId!];
    return this.storeSessions;
  }

  private requireSessionId(): string {
    const sessionId = this.sessionId;
    if (sessionId === undefined) {
      throw new SseInvalidInputError(
        'The MCP session id is not known: events can only be stored for a stateful transport, once its session id was generated.',
      );
    }
    return sessionId;
  }

  private async lookup(eventId: McpEventId): Promise<SseEventStreamReader | null> {
    if (this.sessionId === undefined || this.closed || typeof eventId !== 'string') return null;
    const sessions = this.boundStoreSessions();
    // The current store session first: most resumes are of recent streams. The store refuses an id
    // of another session before it reads anything, so asking each one costs a parse of the id.
    const candidates = [sessions[this.current], ...sessions.filter((_, index) => index !== this.current)];
    for (const sessionId of candidates) {
      try {
        const reader = await this.store.getStreamReader(eventId, { sessionId });
        if (reader) return reader;
      } catch (error) {
        if (!(error instanceof SseHistoryExpiredError)) throw error;
        this.logger.warn(`Refused to resume stream ${printableId(error.streamId)} of an MCP session: ${error.message}`);
        return null;
      }
    }
    return null;
  }

  /** The writer of the stream, opened (after a retired writer's completion) on first use. */
  private writerSlot(streamId: McpStreamId): WriterSlot {
    const open = this.writers.get(streamId);
    if (open) return open;
    // Written again after it was completed (a batch's next response): its placement is needed again.
    this.retiredPlacements.delete(streamId);
    const previous = this.completions.get(streamId) ?? Promise.resolve();
    const writer = previous.then(() => this.openWriter(streamId));
    const slot: WriterSlot = { writer };
    this.writers.set(streamId, slot);
    writer.then(
      (opened) => {
        // Opened while the session was being closed: release it, nothing more is stored.
        if (this.closed) opened.complete().catch(() => undefined);
      },
      () => {
        if (this.writers.get(streamId) === slot) this.writers.delete(streamId);
      },
    );
    return slot;
  }

  /**
   * Opens the writer of a stream: where the stream already is, or, for a new one, in the current
   * store session, moving on to another when the store refuses it for `maxStreamsPerSession`
   * (see "Long sessions" above).
   */
  private async openWriter(streamId: McpStreamId): Promise<SseEventStreamWriter> {
    const sessions = this.boundStoreSessions();
    const placed = this.placements.get(streamId);
    if (placed === undefined && this.streamLimit !== undefined && this.openStreamsBesides() >= this.streamLimit) {
      // The store sessions together have room, but the limit still bounds the open streams.
      throw SseLimitExceededError.streamsPerSession(sessions[this.current], streamId, this.streamLimit);
    }
    let target = placed ?? sessions[this.current];
    const tried = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      try {
        const writer = await this.store.createStream({ sessionId: target, streamId, mode: SseEventStreamMode.Polling });
        if (!this.closed) this.placements.set(streamId, target);
        return writer;
      } catch (error) {
        if (!(error instanceof SseLimitExceededError) || this.closed || attempt >= MAX_OPEN_ATTEMPTS) throw error;
        this.streamLimit = error.max;
        // The session's open streams (this one aside) fill the limit by themselves: refuse, as the store did.
        if (this.openStreamsBesides() >= error.max) throw error;
        tried.add(target);
        target = this.storeSessionAfter(target, tried);
      }
    }
  }

  /** Streams with a writer open or being opened, besides the one asking. */
  private openStreamsBesides(): number {
    return this.writers.size - 1;
  }

  /**
   * Where new streams go once the store refused one in `full`: the current store session if
   * another call moved on already; else, on the first refusal of this call, the next one in turn
   * (the oldest); else a new one.
   */
  private storeSessionAfter(full: string, tried: ReadonlySet<string>): string {
    const sessions = this.boundStoreSessions();
    if (sessions[this.current] !== full && !tried.has(sessions[this.current])) return sessions[this.current];
    const next = (this.current + 1) % sessions.length;
    if (tried.size === 1 && !tried.has(sessions[next])) {
      this.current = next;
    } else {
      sessions.push(overflowSessionId(sessions[0], sessions.length));
      this.current = sessions.length - 1;
      this.logger.debug(
        `An MCP session holds the store's maxStreamsPerSession streams in each of its store sessions: opened #${this.current + 1}.`,
      );
    }
    return sessions[this.current];
  }

  /** Starts holding back the acknowledgements of the stream's messages for a replay of it. */
  private openHandover(streamId: McpStreamId): ReplayHandover {
    const handover = new ReplayHandover();
    let running = this.handovers.get(streamId);
    if (!running) this.handovers.set(streamId, (running = new Set()));
    running.add(handover);
    return handover;
  }

  private closeHandover(streamId: McpStreamId, handover: ReplayHandover): void {
    const running = this.handovers.get(streamId);
    running?.delete(handover);
    if (running?.size === 0) this.handovers.delete(streamId);
  }

  /** While replays of the stream run: resolves once each of them lets the SDK learn that `eventId` is stored. */
  private handedOver(streamId: McpStreamId, eventId: McpEventId): Promise<unknown> | undefined {
    const running = this.handovers.get(streamId);
    return running && Promise.all([...running].map((handover) => handover.hold(eventId)));
  }

  private track(streamId: McpStreamId, written: Promise<unknown>): void {
    let writes = this.writesInFlight.get(streamId);
    if (!writes) this.writesInFlight.set(streamId, (writes = new Set()));
    const pending = writes;
    pending.add(written);
    const settle = (): void => {
      pending.delete(written);
      if (pending.size === 0 && this.writesInFlight.get(streamId) === pending) this.writesInFlight.delete(streamId);
    };
    written.then(settle, settle);
  }

  /**
   * A POST stream ends with its response: complete its writer once the response is stored, so a
   * long session does not keep one open writer per request. A later message of the same stream
   * (a batch with several requests) opens a new writer, which continues the stream.
   */
  private retire(streamId: McpStreamId, writer: SseEventStreamWriter, written: Promise<unknown>): void {
    this.writers.delete(streamId);
    this.retiredPlacements.delete(streamId); // re-added as the newest
    this.retiredPlacements.add(streamId);
    if (this.retiredPlacements.size > RETIRED_PLACEMENTS_KEPT) {
      const [oldest] = this.retiredPlacements;
      this.retiredPlacements.delete(oldest);
      if (!this.writers.has(oldest)) this.placements.delete(oldest);
    }
    const completion = written
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => writer.complete())
      .catch((error: unknown) => {
        if (!this.closed) this.logger.warn(`Completing stream ${printableId(streamId)} of an MCP session failed: ${String(error)}`);
      });
    this.completions.set(streamId, completion);
    void completion.then(() => {
      if (this.completions.get(streamId) === completion) this.completions.delete(streamId);
    });
  }
}

/** A JSON-RPC response (result or error): the last message of a POST stream. */
function isResponse(message: McpStoredMessage): boolean {
  return !('method' in message) && ('result' in message || 'error' in message);
}

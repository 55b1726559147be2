import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { SseEventStoreError } from '../errors/sse-event-store.error';
import { SseEventStoreConfigurationError } from '../errors/sse-event-store-configuration.error';
import { SseHistoryExpiredError } from '../errors/sse-history-expired.error';
import { drawRetryInterval, isRetryJitter } from '../http/retry-jitter';
import { SseResponseBody } from '../http/sse-response-body';
import type { SseEventStreamReader } from '../interfaces/sse-event.interface';
import type { SseEventStore } from '../sse-event-store';
import { DEFAULT_SSE_EVENT_STORE_OPTIONS } from '../sse-event-store.constants';
import { type McpErrorAnswer, mcpErrorAnswerOf } from './mcp-error-answer';
import { McpResumeRefusedError } from './mcp-resume-refused.error';
import { type McpSessionOwners, ownersOf } from './mcp-session-owners';
import { isPrimingMessage, isStoreSessionOf } from './mcp-store-layout';

/** Options of {@link McpRemoteResumption}. */
export interface McpRemoteResumptionOptions {
  /** How long the instance that holds the session has to answer that it is alive. Default 1 s. */
  ownerTimeout?: number;
  /** How often a resumption being served checks that the session still lives. Default 5 s. */
  ownerCheckInterval?: number;
  /** The `retry:` sent first: how long the client waits before it reconnects. Default 1 s. */
  retryInterval?: number;
  /**
   * How much shorter than `retryInterval` each response's `retry:` may be, as a fraction from 0 to
   * 1, drawn per response: the clients of an instance that goes away then come back spread over
   * that window instead of all at once. Default 0.5, as the module's option of that name.
   */
  retryJitter?: number;
  /** A comment after this many ms of silence, for proxies with idle timeouts; 0 sends none. Default 15 s. */
  keepAliveInterval?: number;
}

/**
 * Serves the resumption of an MCP stream (`GET` with `Last-Event-ID`) that reaches an instance
 * other than the one holding the session — after a cut, a load balancer may send the reconnect
 * anywhere. The SDK's transports keep sessions in the process that created them, so without this
 * the other instance answers 404 and the client loses the rest of its call.
 *
 * The stream is read from the shared store: what the client missed, then what the session's
 * instance writes, woken by the store's push wake-ups (Redis pub/sub, not polling), until the
 * stream completes (a POST stream, once its response is stored) or the instance that holds the
 * session is gone (asked over the same pub/sub every `ownerCheckInterval`), when the response
 * ends so that the client moves on. Sessions register themselves: every
 * {@link McpSessionEventStore} whose session id is known is held by its process.
 *
 * What still needs session affinity: every other request — `POST` (new calls), the standalone
 * `GET` without `Last-Event-ID`, `DELETE` — since only the session's instance has its transport.
 *
 * ```ts
 * // In the MCP controller's GET handler, before answering 404 for an unknown session:
 * if (!transport && (await this.remoteResumption.serve(request, response))) return;
 * ```
 */
export class McpRemoteResumption {
  private readonly logger = new Logger('SseEventStore');
  private readonly owners: McpSessionOwners;
  private readonly settings: Required<McpRemoteResumptionOptions>;

  constructor(
    private readonly store: SseEventStore,
    options: McpRemoteResumptionOptions = {},
  ) {
    const owners = ownersOf(store);
    if (!owners) {
      throw new TypeError(
        'McpRemoteResumption needs the store that SseEventStoreModule (or createSseEventStore) provides; this SseEventStore has no broadcast channel.',
      );
    }
    this.owners = owners;
    // An option given as undefined keeps its default.
    this.settings = {
      ownerTimeout: options.ownerTimeout ?? 1_000,
      ownerCheckInterval: options.ownerCheckInterval ?? 5_000,
      retryInterval: options.retryInterval ?? 1_000,
      retryJitter: options.retryJitter ?? DEFAULT_SSE_EVENT_STORE_OPTIONS.retryJitter,
      keepAliveInterval: options.keepAliveInterval ?? 15_000,
    };
    if (!isRetryJitter(this.settings.retryJitter)) {
      throw new SseEventStoreConfigurationError(
        `McpRemoteResumption: retryJitter must be a number from 0 to 1, got ${String(this.settings.retryJitter)}.`,
      );
    }
  }

  /**
   * Answers the request when it is the resumption of a stream of a session that lives on another
   * instance; resolves false, having sent nothing, for anything else (not a `GET` with
   * `Last-Event-ID` and `Mcp-Session-Id`, a session of this process, or a session that lives
   * nowhere) — the caller answers those as usual (404 for an unknown session).
   */
  async serve(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const lastEventId = singleHeader(request, 'last-event-id');
    const sessionId = singleHeader(request, 'mcp-session-id');
    if (request.method !== 'GET' || !lastEventId || !sessionId || this.owners.holds(sessionId)) return false;
    let reader: SseEventStreamReader | null;
    try {
      reader = await this.store.getStreamReader(lastEventId);
    } catch (error) {
      if (!(error instanceof SseEventStoreError)) throw error;
      if (error instanceof SseHistoryExpiredError && !isStoreSessionOf(error.sessionId, sessionId)) return false;
      reply(response, mcpErrorAnswerOf(error)!);
      return true;
    }
    if (!reader) return false;
    // An id of another session: refused as the SDK refuses it, nothing replayed.
    if (!isStoreSessionOf(reader.sessionId, sessionId)) {
      reply(response, mcpErrorAnswerOf(new McpResumeRefusedError(sessionId))!);
      return true;
    }
    if (!(await this.owners.isAlive(sessionId, this.settings.ownerTimeout))) return false;
    this.stream(reader, sessionId, response);
    return true;
  }

  private stream(reader: SseEventStreamReader, sessionId: string, response: ServerResponse): void {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'Mcp-Session-Id': sessionId,
    });
    const { retryInterval, retryJitter, keepAliveInterval } = this.settings;
    const body = new SseResponseBody({ retryInterval: drawRetryInterval(retryInterval, retryJitter), keepAliveInterval });
    let subscription: Subscription | undefined;
    const ownerCheck = setInterval(() => {
      void this.owners.isAlive(sessionId, this.settings.ownerTimeout).then((alive) => {
        if (alive) return;
        this.logger.debug('Ended a resumption served for an MCP session whose instance is gone.');
        body.finish();
      });
    }, this.settings.ownerCheckInterval);
    ownerCheck.unref();
    const end = (): void => {
      clearInterval(ownerCheck);
      subscription?.unsubscribe();
    };
    body.once('close', end);
    response.once('close', () => body.destroy());
    body.pipe(response);
    subscription = reader.events({ flowControl: body, until: 'completed' }).subscribe({
      next: (event) => {
        if (!isPrimingMessage(event.data)) body.send({ ...event, type: 'message' });
      },
      complete: () => body.finish(),
      // The response has started: ending it makes the client reconnect with its last id.
      error: () => body.finish(),
    });
  }
}

function singleHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function reply(response: ServerResponse, { status, retryAfterSeconds, error }: McpErrorAnswer): void {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  response.writeHead(status, headers);
  response.end(JSON.stringify({ jsonrpc: '2.0', error, id: null }));
}

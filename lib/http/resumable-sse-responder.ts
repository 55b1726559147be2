import {
  BadRequestException,
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SseEventStoreError } from '../errors/sse-event-store.error';
import { SseStoreUnavailableError } from '../errors/sse-store-unavailable.error';
import type { SseEventStreamReader, SseStreamAddress } from '../interfaces/sse-event.interface';
import type { ResolvedSseEventStoreOptions } from '../interfaces/sse-event-store-options.interface';
import { printableId } from '../logging/printable-id';
import { SseEventStore } from '../sse-event-store';
import { SSE_EVENT_STORE_RESOLVED_OPTIONS } from '../sse-event-store.constants';
import type { ResumableSseOptions } from './resumable-sse-options.interface';
import { drawRetryInterval } from './retry-jitter';
import { SseResponseBody } from './sse-response-body';
import { SseStreamFinishedException } from './sse-stream-finished.exception';
import { storeErrorHttpException } from './store-error-http-status';

/** A response of the framework (Express `res`, Fastify `reply`), as far as it is used here. */
interface FrameworkResponse {
  raw?: FrameworkResponse;
  readonly closed?: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** A route's options with the module's defaults filled in. */
export type ResolvedRouteSettings = Required<Omit<ResumableSseOptions, 'lastEventIdQueryParameter'>> & ResumableSseOptions;

/** Longest wait at shutdown for open responses to reach their clients before the server closes. */
const SHUTDOWN_FLUSH_TIMEOUT = 3_000;

/**
 * Serves one resumable SSE request for {@link ResumableSseInterceptor}: decides the answer before
 * anything is sent (see the table in docs/semantics.md), then writes the stream itself, so the same bytes
 * go out on every Nest version and platform: `retry:` first, every event with its stored id,
 * keep-alive comments while idle, one event at a time as the client reads, and a plain end of the
 * response when the reader stops for any reason, so the client reconnects with its real last id.
 */
@Injectable()
export class ResumableSseResponder implements BeforeApplicationShutdown {
  private readonly logger = new Logger('SseEventStore');
  /** The open responses and their bodies, until the connection is closed. */
  private readonly open = new Map<FrameworkResponse, SseResponseBody>();

  constructor(
    private readonly store: SseEventStore,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(SSE_EVENT_STORE_RESOLVED_OPTIONS) private readonly defaults: ResolvedSseEventStoreOptions,
  ) {}

  /** The options of a route, with the module's defaults. */
  settings(route: ResumableSseOptions | undefined): ResolvedRouteSettings {
    return {
      keepAliveInterval: route?.keepAliveInterval ?? this.defaults.keepAliveInterval,
      retryInterval: route?.retryInterval ?? this.defaults.retryInterval,
      retryJitter: route?.retryJitter ?? this.defaults.retryJitter,
      lastEventIdQueryParameter: route?.lastEventIdQueryParameter,
    };
  }

  /**
   * The response body for `address` after `lastEventId`, or an HTTP exception thrown before the
   * response starts.
   */
  async respond(
    address: unknown,
    lastEventId: string | undefined,
    response: FrameworkResponse,
    settings: ResolvedRouteSettings,
  ): Promise<StreamableFile> {
    assertAddress(address);
    const retryInterval = drawRetryInterval(settings.retryInterval, settings.retryJitter);
    let reader: SseEventStreamReader | null;
    try {
      reader =
        lastEventId === undefined
          ? await this.store.getStreamReaderFromStart(address)
          : await this.store.getStreamReader(lastEventId, { sessionId: address.sessionId });
    } catch (error) {
      if (error instanceof SseStoreUnavailableError) {
        // Any status but 200 would make EventSource give up for good: a 200 that only says when to
        // come back keeps it trying while the store is away.
        this.logger.debug(
          `Stream ${printableId(address.streamId)} could not be opened; the client retries in ${retryInterval} ms: ${error.message}`,
        );
        return this.stream(response, new SseResponseBody({ retryInterval, keepAliveInterval: 0 }), true);
      }
      if (error instanceof SseEventStoreError) throw storeErrorHttpException(error);
      throw error;
    }
    if (!reader) {
      throw new NotFoundException(
        lastEventId === undefined
          ? 'The stream does not exist (nothing was written to it yet, or its session was deleted).'
          : 'Last-Event-ID cannot be resumed: it is not an id of this stream, or its stream or session no longer exists.',
      );
    }
    if (reader.streamId !== address.streamId) throw new BadRequestException('Last-Event-ID belongs to another stream of this session.');
    if (reader.finished) throw new SseStreamFinishedException();
    const body = new SseResponseBody({ retryInterval, keepAliveInterval: settings.keepAliveInterval });
    const subscription = reader.events({ flowControl: body, wireData: true }).subscribe({
      next: (event) => body.send(event),
      complete: () => body.finish(),
      error: (error: unknown) => {
        // The response has started: ending it makes the client reconnect with the last id it got,
        // and that request is answered with what explains the problem.
        // A backend outage is logged once by the store, when it starts and when it ends.
        this.logger.debug(
          `Ended a response of stream ${printableId(address.streamId)}: ${error instanceof Error ? error.message : String(error)}`,
        );
        body.finish();
      },
    });
    body.once('close', () => subscription.unsubscribe());
    return this.stream(response, body, false);
  }

  /**
   * Ends every open response and waits (at most 3 s) until they reached their clients. Nest closes
   * the HTTP server right after this hook, and an adapter that closes connections by force would
   * otherwise cut a response whose end is not written yet: the client would see a broken
   * connection instead of a clean end. (The store ended its readers already, in `onModuleDestroy`.)
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.open.size === 0) return;
    const closed = [...this.open].map(([response, body]) => {
      body.finish();
      return new Promise<void>((resolve) => {
        if (response.closed) resolve();
        else response.once('close', resolve);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_TIMEOUT)));
    await Promise.race([Promise.all(closed), timeout]);
    clearTimeout(timer);
  }

  private stream(response: FrameworkResponse, body: SseResponseBody, endAtOnce: boolean): StreamableFile {
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', 'text/event-stream');
    adapter.setHeader(response, 'Cache-Control', 'no-cache, no-transform');
    // nginx buffers proxied responses unless told not to.
    adapter.setHeader(response, 'X-Accel-Buffering', 'no');
    if (endAtOnce) body.finish();
    const raw = response.raw ?? response;
    this.open.set(raw, body);
    raw.once('close', () => {
      this.open.delete(raw);
      // Some versions of the frameworks leave the body open when the client goes away.
      body.destroy();
    });
    // Other versions (Nest 11's Express adapter) report a client that went away mid-stream as an
    // error of the file, logged with a stack: for an SSE response that is how connections end.
    return new StreamableFile(body, { type: 'text/event-stream' }).setErrorLogger((error) => this.logStreamError(error));
  }

  private logStreamError(error: unknown): void {
    if ((error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      this.logger.debug('A client went away before its SSE response ended.');
    } else {
      this.logger.error(error);
    }
  }
}

/** The route handler's bug, not the client's: a 500, logged by Nest. */
function assertAddress(address: unknown): asserts address is SseStreamAddress {
  const candidate = address as Partial<SseStreamAddress> | null;
  if (typeof candidate?.sessionId !== 'string' || typeof candidate.streamId !== 'string') {
    throw new TypeError('A @ResumableSse() handler must return (or resolve to) { sessionId, streamId } with string ids.');
  }
}

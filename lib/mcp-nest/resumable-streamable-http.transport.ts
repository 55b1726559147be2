import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { StreamableHttpTransport, type McpTransportContext, type StreamableHttpTransportOptions } from '@rekog/mcp-nest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpRemoteResumption } from '../mcp/mcp-remote-resumption';
import { McpSessionEventStore } from '../mcp/mcp-session-event-store';
import type { SseEventStore } from '../sse-event-store';
import { storeBroadcastOf } from '../wakeup/store-broadcast';
import {
  assertSupportedContext,
  assertSupportedInternals,
  type McpNestAdaptedRequest,
  type McpNestAdaptedResponse,
  originalHandleGet,
  originalHandleStateful,
  type StreamableHttpInternals,
  unsupportedMcpNest,
} from './mcp-nest-internals';
import { isNonNegativeInteger } from '../sse-event-store-options';
import { isRetryJitter } from '../http/retry-jitter';

/** Options of {@link ResumableStreamableHttpTransport}: mcp-nest's own, and the store. */
export interface ResumableStreamableHttpTransportOptions
  extends Omit<StreamableHttpTransportOptions, 'statefulMode' | 'enableJsonResponse'> {
  /**
   * The application's store, from Nest's container: `app.get(SseEventStore)`. May instead be
   * given later with {@link ResumableStreamableHttpTransport.useStore}, before the strategy starts.
   */
  store?: SseEventStore;
  /**
   * Milliseconds clients wait before they reconnect to a stream the server closed: the SSE
   * `retry` field the SDK sends with the priming event of every POST stream (clients on protocol
   * 2025-11-25 or later), and the longest `retry:` of a resumption that another instance serves
   * (see {@link McpRemoteResumption}; 1 s there when unset). Unset: the SDK sends none, and
   * clients use their own default.
   */
  retryInterval?: number;
  /**
   * Spreads the `retry:` of resumptions served for sessions another instance holds: each is drawn
   * between `retryInterval × (1 − retryJitter)` and `retryInterval`, so the clients of an instance
   * that goes away do not all come back at once. A fraction from 0 to 1. Default 0.5, as the
   * module's option. (The SDK's priming events carry `retryInterval` as it is.)
   */
  retryJitter?: number;
  /** Sessions are what makes streams resumable: always on, `false` is refused. */
  statefulMode?: true;
  /** Answers are SSE streams, which are what is resumed: `true` is refused. */
  enableJsonResponse?: false;
}

type NodeRequest = Parameters<NodeStreamableHTTPServerTransport['handleRequest']>[0];
type NodeResponse = Parameters<NodeStreamableHTTPServerTransport['handleRequest']>[1];

/** The method of mcp-nest's transport that is replaced (see {@link StreamableHttpInternals}). */
const STATEFUL_HANDLER = 'handleStateful';
const GET_HANDLER = 'handleGet';

/**
 * `@rekog/mcp-nest`'s Streamable HTTP transport, made resumable on {@link SseEventStore}: every
 * session's SDK transport (`NodeStreamableHTTPServerTransport`) gets an {@link McpSessionEventStore}
 * of its own, so a client whose connection dropped resumes any stream of its session with
 * `Last-Event-ID` and gets every message once, in memory or on Redis like the rest of the store.
 *
 * ```ts
 * // main.ts: the store comes from Nest's container
 * const app = await NestFactory.create(AppModule); // imports SseEventStoreModule.forRoot()
 * const mcp = new McpStrategy({
 *   name: 'my-server',
 *   version: '1.0.0',
 *   transports: [new ResumableStreamableHttpTransport({ store: app.get(SseEventStore), retryInterval: 1_000 })],
 * });
 * mcp.setHttpAdapter(app.getHttpAdapter());
 * app.connectMicroservice({ strategy: mcp });
 * await app.startAllMicroservices();
 * await app.listen(3000);
 * ```
 *
 * When the strategy is built before the application (a module-level `new McpStrategy(...)`), keep
 * the transport and hand it the store before `startAllMicroservices()`:
 * `transport.useStore(app.get(SseEventStore))`. A transport that starts without a store fails.
 *
 * Takes mcp-nest's `StreamableHttpTransportOptions` (endpoint, session id generator, security,
 * ...), always in stateful mode with SSE answers. In a tool, send progress and log messages with
 * `reportProgressOnCallStream(ctx, ...)` and `logOnCallStream(ctx, ...)`: on the call's own
 * stream, where they are resumed with it and arrive before the result (mcp-nest's
 * `ctx.reportProgress` and `ctx.log` send them on the session's standalone GET stream).
 *
 * Sessions end cleanly: DELETE, the SDK transport's close and the strategy's close delete the
 * session's streams from the store (DELETE is answered once they are deleted).
 *
 * **mcp-nest internals.** mcp-nest has no option to give its SDK transports an event store, so
 * this class replaces its private `handleStateful` for `initialize` requests (every other request
 * goes to the original) and uses its private session records. It is written and tested for
 * `@rekog/mcp-nest` ~2.0.5, and fails at construction, naming what is missing, when the installed
 * version lacks them (and at start-up when the strategy's context does).
 *
 * Protocol 2026-07-28 requests (mcp-nest's `protocol: 'dual'` default) are stateless and served
 * by mcp-nest as usual: that protocol has no resumable streams.
 */
export class ResumableStreamableHttpTransport extends StreamableHttpTransport {
  private store?: SseEventStore;
  /** Serves resumptions of sessions that live on another instance (see {@link McpRemoteResumption}). */
  private remoteResumption?: McpRemoteResumption;
  private readonly retryInterval?: number;
  private readonly retryJitter?: number;
  /** The event stores of the sessions that did not end yet, by session id. */
  private readonly eventStores = new Map<string, McpSessionEventStore>();

  constructor(options: ResumableStreamableHttpTransportOptions = {}) {
    const { store, retryInterval, retryJitter, ...transportOptions } = options;
    super({ ...transportOptions, statefulMode: true, enableJsonResponse: false });
    assertSupportedInternals(this);
    if ((options.statefulMode as unknown) === false) {
      throw new Error('ResumableStreamableHttpTransport needs sessions to resume streams: statefulMode cannot be false.');
    }
    if ((options.enableJsonResponse as unknown) === true) {
      throw new Error(
        'ResumableStreamableHttpTransport answers with SSE streams, which are what is resumed: enableJsonResponse cannot be true.',
      );
    }
    if (retryInterval !== undefined && !isNonNegativeInteger(retryInterval)) {
      throw new Error(
        `ResumableStreamableHttpTransport: retryInterval must be a whole number of milliseconds, got ${String(retryInterval)}.`,
      );
    }
    if (retryJitter !== undefined && !isRetryJitter(retryJitter)) {
      throw new Error(`ResumableStreamableHttpTransport: retryJitter must be a number from 0 to 1, got ${String(retryJitter)}.`);
    }
    this.retryInterval = retryInterval;
    this.retryJitter = retryJitter;
    if (store !== undefined) this.useStore(store);
  }

  /**
   * Gives the transport the application's store (`app.get(SseEventStore)`), when it was not
   * passed to the constructor. Call it before `app.startAllMicroservices()`.
   */
  useStore(store: SseEventStore): this {
    const methods = ['createStream', 'getStreamReader', 'getStreamReaderFromStart', 'deleteStreamsForSession'] as const;
    const candidate = store as unknown as Record<string, unknown> | null | undefined;
    if (!candidate || methods.some((name) => typeof candidate[name] !== 'function')) {
      throw new Error('ResumableStreamableHttpTransport needs an SseEventStore: pass app.get(SseEventStore).');
    }
    this.store = store;
    // A store of this library's (not a fake) can serve resumptions of sessions held elsewhere.
    this.remoteResumption = storeBroadcastOf(store)
      ? new McpRemoteResumption(store, { retryInterval: this.retryInterval, retryJitter: this.retryJitter })
      : undefined;
    return this;
  }

  /** Called by the strategy: checks the store and the context, then mounts as mcp-nest does. */
  override start(ctx: McpTransportContext): void {
    if (!this.store) {
      throw new Error(
        'ResumableStreamableHttpTransport was started without an SseEventStore: pass { store: app.get(SseEventStore) } to its ' +
          'constructor, or call transport.useStore(app.get(SseEventStore)) before app.startAllMicroservices().',
      );
    }
    assertSupportedContext(ctx);
    super.start(ctx);
    if (this.internals().ctx !== ctx) throw unsupportedMcpNest(["the 'ctx' field set by start()"]);
  }

  /** Closes every session as mcp-nest does, and resolves once their streams are deleted from the store. */
  override async close(): Promise<void> {
    const open = [...this.eventStores];
    await super.close();
    await Promise.all(open.map(([sessionId, eventStore]) => this.endEvents(sessionId, eventStore)));
  }

  // The replacement of mcp-nest's private `handleStateful`. TypeScript does not let a subclass
  // declare a member under the name of a private member of its base class, so it is defined on the
  // prototype here; the constructor checks that the base class has the original
  // (assertSupportedInternals), which handles every request but `initialize`.
  static {
    Object.defineProperty(this.prototype, STATEFUL_HANDLER, {
      configurable: true,
      writable: true,
      value: function handleStateful(
        this: ResumableStreamableHttpTransport,
        req: McpNestAdaptedRequest,
        res: McpNestAdaptedResponse,
        body: unknown,
      ) {
        return this.handleResumableStateful(req, res, body);
      },
    });
  }

  // The wrapper of mcp-nest's private `handleGet`, installed the same way.
  static {
    Object.defineProperty(this.prototype, GET_HANDLER, {
      configurable: true,
      writable: true,
      value: function handleGet(this: ResumableStreamableHttpTransport, req: McpNestAdaptedRequest, res: McpNestAdaptedResponse) {
        return this.handleResumableGet(req, res);
      },
    });
  }

  private internals(): StreamableHttpInternals {
    return this as unknown as StreamableHttpInternals;
  }

  /**
   * Wraps mcp-nest's `handleGet`: a `GET` for a session this instance does not hold goes through
   * mcp-nest's checks (Origin, Host) as usual, then, instead of its 404, to
   * {@link McpRemoteResumption}, which serves a resumption (`Last-Event-ID`) of a session that lives
   * on another instance from the store, and leaves anything else to the 404. A stand-in for the
   * session's transport is what mcp-nest finds meanwhile; it answers nothing but that GET.
   */
  private async handleResumableGet(req: McpNestAdaptedRequest, res: McpNestAdaptedResponse): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    const transports = this.internals().transports as Record<string, unknown>;
    const remoteResumption = this.remoteResumption;
    if (typeof sessionId !== 'string' || transports[sessionId] || !remoteResumption) return originalHandleGet().call(this, req, res);
    const standIn = {
      handleRequest: async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
        if (await remoteResumption.serve(request, response)) return;
        response.writeHead(404, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
      },
    };
    transports[sessionId] = standIn;
    try {
      await originalHandleGet().call(this, req, res);
    } finally {
      if (transports[sessionId] === standIn) delete transports[sessionId];
    }
  }

  /** Replaces mcp-nest's `handleStateful` (installed above): a new session on `initialize`, the original otherwise. */
  private async handleResumableStateful(req: McpNestAdaptedRequest, res: McpNestAdaptedResponse, body: unknown): Promise<void> {
    // The same test as mcp-nest's: no session id yet, and an initialize request in the body.
    if (!req.headers['mcp-session-id'] && isInitializeRequest(body)) return this.openSession(req, res, body);
    return originalHandleStateful().call(this, req, res, body);
  }

  /**
   * What mcp-nest does for an `initialize` request, with an event store for the session: the SDK
   * transport is created with the session id generated first (the event store must know it before
   * the SDK stores the first event), the event store, and the retry interval.
   */
  private async openSession(req: McpNestAdaptedRequest, res: McpNestAdaptedResponse, body: unknown): Promise<void> {
    const internals = this.internals();
    const ctx = internals.ctx;
    const store = this.store;
    if (!ctx || !store) throw new Error('ResumableStreamableHttpTransport got a request before it was started.');
    const sessionId = internals.sessionIdGenerator();
    const eventStore = new McpSessionEventStore(store, sessionId);
    const server = ctx.createServer();
    let initialized = false;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      enableJsonResponse: false,
      eventStore,
      retryInterval: this.retryInterval,
      onsessioninitialized: (sid: string) => {
        initialized = true;
        internals.transports[sid] = transport;
        internals.servers[sid] = server;
        this.eventStores.set(sid, eventStore);
      },
      // DELETE: the SDK answers once this resolved, so the session's streams are gone by then.
      onsessionclosed: async (sid: string) => {
        await this.endEvents(sid, eventStore);
        void internals.cleanupSession(sid);
      },
    });
    // Any end of the SDK transport (DELETE, mcp-nest's cleanup, the server's close). Set before
    // connect(): the MCP server chains its own close handling after this one.
    transport.onclose = () => {
      if (internals.transports[sessionId] === transport) {
        delete internals.transports[sessionId];
        delete internals.servers[sessionId];
      }
      void this.endEvents(sessionId, eventStore);
    };
    await server.connect(transport);
    ctx.bindRequestHandlers(server, { transport: this.kind, stateless: false, era: 'legacy' }, req.raw);
    try {
      await transport.handleRequest(req.raw as NodeRequest, res.raw as NodeResponse, body);
    } finally {
      // A refused initialize gave the client no session: close it, which deletes what it stored.
      if (!initialized) await transport.close();
    }
  }

  /** Deletes the session's streams (once, however often it is called); a failure is logged, the events then expire. */
  private async endEvents(sessionId: string, eventStore: McpSessionEventStore): Promise<void> {
    if (this.eventStores.get(sessionId) === eventStore) this.eventStores.delete(sessionId);
    try {
      await eventStore.close();
    } catch (error) {
      this.internals().ctx?.logger.warn(
        `Deleting the streams of MCP session ${sessionId} failed (they expire with the store's retention): ${String(error)}`,
      );
    }
  }
}

/** mcp-nest's test for an `initialize` request: one, or one in a batch. */
function isInitializeRequest(body: unknown): boolean {
  const isInitialize = (message: unknown): boolean =>
    typeof message === 'object' && message !== null && (message as { method?: unknown }).method === 'initialize';
  return Array.isArray(body) ? body.some(isInitialize) : isInitialize(body);
}

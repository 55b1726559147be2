import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SseEventStore } from '../../lib';
import { McpSessionEventStore } from '../../lib/mcp';
import { newMcpSessionId } from './mcp-session-ids';
import { noteStoreError } from './mcp-store-error-answers';

/**
 * How long clients wait before they reconnect to a stream the server closed (the SSE `retry`
 * field, sent with the priming event of every POST stream).
 */
export const MCP_RETRY_INTERVAL_MS = 1_000;

/** What the sample uses of an SDK session transport; the same on both SDK lines. */
export interface McpSessionTransport {
  handleRequest(request: IncomingMessage, response: ServerResponse, parsedBody?: unknown): Promise<void>;
  close(): Promise<void>;
  onerror?: (error: Error) => void;
  onclose?: () => void;
}

/** The options both SDK lines' Streamable HTTP transports take for a resumable session. */
export interface McpSessionTransportOptions {
  sessionIdGenerator: () => string;
  eventStore: McpSessionEventStore;
  retryInterval: number;
  onsessioninitialized: () => void;
  onsessionclosed: () => Promise<void>;
}

/**
 * The MCP sessions of this process, for one SDK line (see the subclasses). Each has its own SDK
 * transport and MCP server, kept in memory, and an event store scoped to the session on the
 * application's {@link SseEventStore}, so any stream of the session can be resumed with
 * `Last-Event-ID` and never replays another session's events. When a session ends (DELETE, or
 * the transport closes) its streams are deleted.
 *
 * Session ids are `mcp:` and a UUID: a namespace of the store's session ids that the plain
 * `/sessions` routes refuse (see `mcp-session-ids.ts`), so neither API can reach the other's
 * streams. The transports live in this process: with several instances, route every new request
 * of a session to the instance that created it (by the `Mcp-Session-Id` header); resumptions can
 * go anywhere (`McpRemoteResumption`).
 */
// Injectable here, so its constructor's parameter types are recorded for the subclasses.
@Injectable()
export abstract class McpSessionRegistry<T extends McpSessionTransport> implements OnModuleDestroy {
  protected readonly logger = new Logger(this.constructor.name);
  private readonly sessions = new Map<string, { transport: T; eventStore: McpSessionEventStore }>();

  constructor(private readonly store: SseEventStore) {}

  /** The SDK line's transport for a new session. */
  protected abstract createTransport(options: McpSessionTransportOptions): T;
  /** Connects a new MCP server of the SDK line (the sample's tools) to the transport. */
  protected abstract connectServer(transport: T): Promise<void>;

  /** The transport of an initialised session, or `undefined` for an unknown or ended one. */
  find(sessionId: string): T | undefined {
    return this.sessions.get(sessionId)?.transport;
  }

  /**
   * A transport for a new session, to hand the `initialize` request to. The session is kept once
   * the SDK has initialised it.
   */
  async open(): Promise<T> {
    // Generated here, so the event store knows the session before the SDK stores the first event.
    const sessionId = newMcpSessionId();
    const eventStore = new McpSessionEventStore(this.store, sessionId);
    const transport = this.createTransport({
      sessionIdGenerator: () => sessionId,
      eventStore,
      retryInterval: MCP_RETRY_INTERVAL_MS,
      onsessioninitialized: () => {
        this.sessions.set(sessionId, { transport, eventStore });
        this.logger.log(`MCP session ${sessionId} initialised.`);
      },
      // DELETE: the SDK answers once this resolved, so the session's events are gone by then.
      onsessionclosed: () => this.deleteEvents(sessionId, eventStore),
    });
    // A store error the transport reports is noted for the request it belongs to, whose answer then
    // says what happened (see mcp-store-error-answers.ts). Set before connect(), as onclose.
    transport.onerror = (error) => {
      const answer = noteStoreError(error);
      if (answer && answer.status >= 500) this.logger.warn(`MCP session ${sessionId}: ${error.message}`);
      else if (answer) this.logger.debug(`MCP session ${sessionId}: ${error.message}`);
    };
    // Any end of the transport (DELETE, close()). Set before connect(): the MCP server chains its
    // own close handling after this one.
    transport.onclose = () => {
      if (this.sessions.get(sessionId)?.transport === transport) {
        this.sessions.delete(sessionId);
        this.logger.log(`MCP session ${sessionId} ended.`);
      }
      void this.deleteEvents(sessionId, eventStore);
    };
    await this.connectServer(transport);
    return transport;
  }

  /** Ends every session on shutdown: their streams close, and their events are deleted. */
  async onModuleDestroy(): Promise<void> {
    const open = [...this.sessions.entries()];
    await Promise.allSettled(open.map(([, { transport }]) => transport.close()));
    await Promise.all(open.map(([sessionId, { eventStore }]) => this.deleteEvents(sessionId, eventStore)));
  }

  /** Deletes the session's streams (once, however often it is called); a failure is logged, the events then expire. */
  private async deleteEvents(sessionId: string, eventStore: McpSessionEventStore): Promise<void> {
    try {
      await eventStore.close();
    } catch (error) {
      this.logger.warn(`Deleting the streams of MCP session ${sessionId} failed (they expire on their own): ${String(error)}`);
    }
  }
}

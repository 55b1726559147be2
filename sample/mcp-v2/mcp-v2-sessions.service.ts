import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { SseEventStore } from '../../lib';
import { McpSessionEventStore } from '../../lib/mcp';
import { newMcpSessionId } from '../mcp/mcp-session-ids';
import { noteStoreError } from '../mcp/mcp-store-error-answers';
import { createSampleMcpV2Server } from './sample-mcp-v2-server';

/**
 * How long clients wait before they reconnect to a stream the server closed (the SSE `retry`
 * field, sent with the priming event of every POST stream). The same as the 1.x endpoint's.
 */
export const MCP_V2_RETRY_INTERVAL_MS = 1_000;

interface McpV2Session {
  transport: NodeStreamableHTTPServerTransport;
  eventStore: McpSessionEventStore;
}

/**
 * The MCP sessions of this process on the SDK v2 (`@modelcontextprotocol/server` and
 * `@modelcontextprotocol/node`), served at `/mcp-v2`. As on the 1.x endpoint (`/mcp`), each
 * session has its own transport (`NodeStreamableHTTPServerTransport`) and MCP server, kept in
 * memory, and an event store scoped to the session on the application's {@link SseEventStore}:
 * any stream of the session can be resumed with `Last-Event-ID`, and never replays another
 * session's events. When a session ends (DELETE, or the transport closes) its streams are deleted.
 * Session ids are in the same `mcp:` namespace as the 1.x endpoint's (`sample/mcp/mcp-session-ids.ts`),
 * which the plain `/sessions` routes refuse, and store errors get the same answers.
 *
 * The transports live in this process: with several instances, route every request of a session
 * to the instance that created it (by the `Mcp-Session-Id` header).
 */
@Injectable()
export class McpV2SessionsService implements OnModuleDestroy {
  private readonly logger = new Logger(McpV2SessionsService.name);
  private readonly sessions = new Map<string, McpV2Session>();

  constructor(private readonly store: SseEventStore) {}

  /** The transport of an initialised session, or `undefined` for an unknown or ended one. */
  find(sessionId: string): NodeStreamableHTTPServerTransport | undefined {
    return this.sessions.get(sessionId)?.transport;
  }

  /**
   * A transport for a new session, to hand the `initialize` request to. The session is kept once
   * the SDK has initialised it.
   */
  async open(): Promise<NodeStreamableHTTPServerTransport> {
    // Generated here, so the event store knows the session before the SDK stores the first event.
    const sessionId = newMcpSessionId();
    const eventStore = new McpSessionEventStore(this.store, sessionId);
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      eventStore,
      retryInterval: MCP_V2_RETRY_INTERVAL_MS,
      onsessioninitialized: () => {
        this.sessions.set(sessionId, { transport, eventStore });
        this.logger.log(`MCP (SDK v2) session ${sessionId} initialised.`);
      },
      // DELETE: the SDK answers once this resolved, so the session's events are gone by then.
      onsessionclosed: () => this.deleteEvents(sessionId, eventStore),
    });
    // A store error the transport reports is noted for the request it belongs to, whose answer then
    // says what happened (see sample/mcp/mcp-store-error-answers.ts). Set before connect(), as onclose.
    transport.onerror = (error) => {
      const answer = noteStoreError(error);
      if (answer && answer.status >= 500) this.logger.warn(`MCP (SDK v2) session ${sessionId}: ${error.message}`);
      else if (answer) this.logger.debug(`MCP (SDK v2) session ${sessionId}: ${error.message}`);
    };
    // Any end of the transport (DELETE, close()). Set before connect(): the MCP server chains its
    // own close handling after this one.
    transport.onclose = () => {
      if (this.sessions.get(sessionId)?.transport === transport) {
        this.sessions.delete(sessionId);
        this.logger.log(`MCP (SDK v2) session ${sessionId} ended.`);
      }
      void this.deleteEvents(sessionId, eventStore);
    };
    await createSampleMcpV2Server(transport).connect(transport);
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
      this.logger.warn(`Deleting the streams of MCP (SDK v2) session ${sessionId} failed (they expire on their own): ${String(error)}`);
    }
  }
}

import { createParser } from 'eventsource-parser';
import { waitFor } from './async';
import type { WireEvent } from './mcp-http';

/** An MCP GET stream read as it arrives (unlike `mcpRequest`, which resolves once the answer is over). */
export interface LiveMcpStream {
  status: number;
  /** The events received so far. */
  readonly events: WireEvent[];
  /** Resolves once `count` events arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<WireEvent[]>;
  /** Disconnects. */
  close(): void;
}

/**
 * Opens a GET on an MCP endpoint (the session's standalone stream, or a resume with `lastEventId`)
 * and resolves once the answer's headers arrived: for the standalone stream, the server has then
 * registered it, and messages sent from now on arrive on it.
 */
export async function openMcpGetStream(
  url: string,
  request: { sessionId: string; protocolVersion: string; lastEventId?: string },
): Promise<LiveMcpStream> {
  const headers: Record<string, string> = {
    Accept: 'text/event-stream',
    'Mcp-Session-Id': request.sessionId,
    'Mcp-Protocol-Version': request.protocolVersion,
  };
  if (request.lastEventId !== undefined) headers['Last-Event-ID'] = request.lastEventId;
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: WireEvent[] = [];
  const parser = createParser({
    onEvent: ({ id, event, data }) => {
      const received: WireEvent = { data };
      if (id !== undefined) received.id = id;
      if (event !== undefined) received.event = event;
      events.push(received);
    },
  });
  if (response.body) {
    const decoder = new TextDecoder();
    void (async () => {
      try {
        for await (const chunk of response.body!) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      } catch {
        // Disconnected by close().
      }
    })();
  }
  return {
    status: response.status,
    events,
    async waitForEvents(count, timeoutMs = 10_000) {
      await waitFor(() => events.length >= count, `${count} events on the GET stream`, timeoutMs);
      return events.slice(0, count);
    },
    close: () => abort.abort(),
  };
}

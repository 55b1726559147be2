import type { CuttingProxy, ForwardedEvent, ProxiedExchange } from './cutting-proxy';

/**
 * One SSE stream of an MCP session as it went through a {@link CuttingProxy}: the exchange that
 * opened it (a POST, or the standalone GET) and every resumption that followed, each a GET with
 * `Last-Event-ID` set to the last id the client had received on the previous exchange, answered
 * 200 (a refused attempt, 409 for example, is not part of the chain; the client tries again).
 */
export class ResumeChain {
  constructor(
    private readonly proxy: CuttingProxy,
    /** Picks the exchange that opened the stream (the first one that matches and was answered 200). */
    private readonly opening: (exchange: ProxiedExchange) => boolean,
  ) {}

  /** The exchanges of the stream so far, in order. */
  exchanges(): ProxiedExchange[] {
    const answered = this.proxy.exchanges.filter((exchange) => exchange.status === 200);
    const first = answered.find(this.opening);
    if (!first) return [];
    const chain = [first];
    const session = sessionOf(first);
    for (;;) {
      const lastId = lastIdOf(chain.at(-1)!.events);
      if (lastId === undefined) return chain;
      const next = answered.find(
        (exchange) =>
          !chain.includes(exchange) && exchange.method === 'GET' && sessionOf(exchange) === session && lastEventIdOf(exchange) === lastId,
      );
      if (!next) return chain;
      chain.push(next);
    }
  }

  /**
   * Arms the proxy to cut the stream after its `cutsAfter[i]`-th message with data, counted over
   * the whole stream (every exchange of the chain): the exchange that carries that message is cut
   * right after it, and the client has to resume. `cutsAfter` must be increasing. Resolves with
   * the cut exchanges, once all of them were cut.
   */
  armCuts(cutsAfter: readonly number[]): Promise<ProxiedExchange[]> {
    cutsAfter.forEach((position, index) => {
      if (!(position > (index === 0 ? 0 : cutsAfter[index - 1]))) throw new Error(`cut positions must increase: ${cutsAfter.join(', ')}`);
    });
    return Promise.all(
      cutsAfter.map((position, index) =>
        this.proxy.cutAfter({
          // Exchange `index` of the chain starts right after the previous cut.
          match: (exchange) => this.exchanges()[index] === exchange,
          afterEvents: position - (index === 0 ? 0 : cutsAfter[index - 1]),
        }),
      ),
    );
  }
}

/** The `Mcp-Session-Id` a request carried. */
export function sessionOf(exchange: ProxiedExchange): string | undefined {
  const header = exchange.requestHeaders['mcp-session-id'];
  return typeof header === 'string' ? header : undefined;
}

/** The `Last-Event-ID` a request carried. */
export function lastEventIdOf(exchange: ProxiedExchange): string | undefined {
  const header = exchange.requestHeaders['last-event-id'];
  return typeof header === 'string' ? header : undefined;
}

/** The id of the last event that had one. */
export function lastIdOf(events: readonly ForwardedEvent[]): string | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    if (events[index].id !== undefined) return events[index].id;
  }
  return undefined;
}

/** True for the POST of a `tools/call` of the named tool. */
export function isToolCall(exchange: ProxiedExchange, name: string): boolean {
  if (exchange.method !== 'POST') return false;
  try {
    const message = JSON.parse(exchange.requestBody) as { method?: string; params?: { name?: string } };
    return message.method === 'tools/call' && message.params?.name === name;
  } catch {
    return false;
  }
}

/** The JSON-RPC messages the exchange forwarded (priming events and other empty data left out). */
export function messagesOf(exchange: ProxiedExchange): Record<string, unknown>[] {
  return exchange.events.filter((event) => event.data !== '').map((event) => JSON.parse(event.data) as Record<string, unknown>);
}

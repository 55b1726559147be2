import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Server-Sent Event the proxy forwarded to the client. */
export interface ForwardedEvent {
  id?: string;
  event?: string;
  /** The data lines joined with `\n`; empty for a priming event. */
  data: string;
  retry?: number;
}

/** One request that went through the proxy, and what came back. */
export interface ProxiedExchange {
  readonly method: string;
  readonly path: string;
  readonly requestHeaders: http.IncomingHttpHeaders;
  /** The request body as received so far (all of it once the upstream answered). */
  requestBody: string;
  /** Set once the upstream answered. */
  status?: number;
  responseHeaders?: http.IncomingHttpHeaders;
  /** Every complete SSE event forwarded to the client, keep-alive comments left out. */
  readonly events: ForwardedEvent[];
  /** True when the proxy dropped the connection on purpose. */
  cut: boolean;
  /** Resolves once the client's side of the exchange is over (ended, cut or abandoned). */
  readonly closed: Promise<void>;
}

/** Which response to cut, and where. */
export interface CutRule {
  /** Picks the exchange: the first one that matches and reaches `afterEvents` is cut. */
  match: (exchange: ProxiedExchange) => boolean;
  /** The connection is dropped right after this many events with data were forwarded. */
  afterEvents: number;
}

interface ArmedCut extends CutRule {
  done: (exchange: ProxiedExchange) => void;
}

/** Hop-by-hop headers: each side of the proxy sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

/**
 * An HTTP proxy in front of a test server that can drop a streaming response mid-way, as a
 * network failure would: the client has received exactly the events before the cut and sees its
 * connection break; the server sees the request aborted. Every exchange is recorded, with the SSE
 * events forwarded, so tests can check what the client was sent and how it reconnected.
 *
 * Event streams are forwarded event by event (a partial event waits for its end), so a cut always
 * falls between two events.
 */
export class CuttingProxy {
  readonly exchanges: ProxiedExchange[] = [];
  private readonly cuts: ArmedCut[] = [];
  private readonly upstreamAgent = new http.Agent({ keepAlive: false });
  private readonly open = new Set<http.ServerResponse>();

  private constructor(
    private readonly server: http.Server,
    private target: URL,
    /** `http://127.0.0.1:<port>` */
    readonly url: string,
  ) {}

  /** Starts a proxy on a free loopback port that forwards everything to `targetUrl` (`http://host:port`). */
  static async start(targetUrl: string): Promise<CuttingProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const proxy = new CuttingProxy(server, new URL(targetUrl), `http://127.0.0.1:${port}`);
    server.on('request', (request, response) => proxy.forward(request, response));
    return proxy;
  }

  /**
   * Arms a cut: the next response that matches is dropped right after its `afterEvents`-th event
   * with data. Resolves with that exchange once it was cut.
   */
  cutAfter(rule: CutRule): Promise<ProxiedExchange> {
    return new Promise((resolve) => this.cuts.push({ ...rule, done: resolve }));
  }

  /**
   * Sends the requests that arrive from now on to another server (`http://host:port`), as a load
   * balancer may send a reconnect to another instance; open exchanges stay where they are.
   */
  switchTo(targetUrl: string): void {
    this.target = new URL(targetUrl);
  }

  /** Drops every open connection and stops listening. */
  async close(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.upstreamAgent.destroy();
  }

  private forward(request: http.IncomingMessage, response: http.ServerResponse): void {
    let markClosed!: () => void;
    const exchange: ProxiedExchange = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      requestHeaders: request.headers,
      requestBody: '',
      events: [],
      cut: false,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    this.exchanges.push(exchange);
    this.open.add(response);

    const upstream = http.request({
      host: this.target.hostname,
      port: this.target.port,
      method: request.method,
      path: request.url,
      headers: { ...withoutHopByHop(request.headers), host: this.target.host },
      agent: this.upstreamAgent,
    });
    response.once('close', () => {
      this.open.delete(response);
      // The client went away (or was cut): the server must see the connection end too.
      if (!response.writableFinished) upstream.destroy();
      markClosed();
    });
    upstream.once('error', () => {
      if (!response.headersSent) {
        response.writeHead(502, { 'Content-Type': 'text/plain' });
        response.end('Upstream unreachable');
      } else {
        response.destroy();
      }
    });
    upstream.once('response', (answer) => {
      exchange.status = answer.statusCode;
      exchange.responseHeaders = answer.headers;
      response.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      if (!/^text\/event-stream/.test(answer.headers['content-type'] ?? '')) {
        answer.pipe(response);
        return;
      }
      let pending = Buffer.alloc(0);
      let eventsWithData = 0;
      answer.on('data', (chunk: Buffer) => {
        if (exchange.cut) return;
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const end = eventEnd(pending);
          if (end < 0) break;
          const block = pending.subarray(0, end);
          pending = pending.subarray(end);
          response.write(block);
          const event = parseEvent(block.toString('utf8'));
          if (!event) continue;
          exchange.events.push(event);
          if (event.data === '') continue;
          eventsWithData++;
          const cut = this.takeCut(exchange, eventsWithData);
          if (cut) {
            exchange.cut = true;
            answer.destroy();
            upstream.destroy();
            // Dropped once the events before the cut are on their way, so the client has all of them.
            response.write('', () => {
              response.destroy();
              cut.done(exchange);
            });
            return;
          }
        }
      });
      answer.once('end', () => {
        if (exchange.cut) return;
        if (pending.length > 0) response.write(pending);
        response.end();
      });
      answer.once('error', () => {
        if (!exchange.cut) response.destroy();
      });
    });
    request.on('data', (chunk: Buffer) => (exchange.requestBody += chunk.toString('utf8')));
    request.pipe(upstream);
  }

  /** The armed cut that is due for the exchange after its `eventsWithData`-th event with data, taken off the list. */
  private takeCut(exchange: ProxiedExchange, eventsWithData: number): ArmedCut | undefined {
    const index = this.cuts.findIndex((cut) => eventsWithData >= cut.afterEvents && cut.match(exchange));
    return index < 0 ? undefined : this.cuts.splice(index, 1)[0];
  }
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

/** Length of the first complete event block (including the blank line that ends it), or -1. */
function eventEnd(buffer: Buffer): number {
  const candidates = [
    { at: buffer.indexOf('\n\n'), length: 2 },
    { at: buffer.indexOf('\r\n\r\n'), length: 4 },
    { at: buffer.indexOf('\r\r'), length: 2 },
  ].filter(({ at }) => at >= 0);
  if (candidates.length === 0) return -1;
  const first = candidates.reduce((best, candidate) => (candidate.at < best.at ? candidate : best));
  return first.at + first.length;
}

/** The fields of one event block; `undefined` for a block of comments only (keep-alives). */
function parseEvent(block: string): ForwardedEvent | undefined {
  const event: ForwardedEvent = { data: '' };
  const data: string[] = [];
  let hasField = false;
  for (const line of block.split(/\r\n|\r|\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    hasField = true;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') data.push(value);
    else if (name === 'id') event.id = value;
    else if (name === 'event') event.event = value;
    else if (name === 'retry' && /^\d+$/.test(value)) event.retry = Number(value);
  }
  if (!hasField) return undefined;
  event.data = data.join('\n');
  return event;
}

import { BadRequestException } from '@nestjs/common';

/** What a request says about where to resume. */
interface RequestWithPosition {
  headers: Record<string, string | string[] | undefined>;
  /**
   * Every line of each header, repeated ones kept (Node's `IncomingMessage`; `headers` joins the
   * lines of a repeated `Last-Event-ID` into one string, "a, b").
   */
  headersDistinct?: Record<string, string[] | undefined>;
  /** Fastify's request: the `IncomingMessage` under it. */
  raw?: { headersDistinct?: Record<string, string[] | undefined> };
  query?: Record<string, unknown>;
}

/**
 * The position the client asks to resume after: the `Last-Event-ID` header (which `EventSource`
 * sends when it reconnects), else the query parameter when the route allows one. An empty value
 * means "no id", as in `EventSource`. `undefined` reads the stream from its start.
 */
export function readLastEventId(request: RequestWithPosition, queryParameter: string | undefined): string | undefined {
  const lines = (request.raw ?? request).headersDistinct?.['last-event-id'];
  const header = request.headers['last-event-id'];
  if ((lines && lines.length > 1) || Array.isArray(header)) throw new BadRequestException('Give at most one Last-Event-ID header.');
  if (header) return header;
  if (queryParameter === undefined) return undefined;
  const query = request.query?.[queryParameter];
  if (query === undefined || query === '') return undefined;
  if (typeof query !== 'string') throw new BadRequestException(`Give at most one ${queryParameter} query parameter.`);
  return query;
}

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { request } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

/** What a throttled read of an SSE response got. */
export interface ThrottledRead {
  status: number;
  contentType: string | undefined;
  /** Every event, in order of arrival. */
  events: EventSourceMessage[];
  /** `retry:` values, in order. */
  retries: number[];
  /** Comment lines (keep-alives). */
  comments: number;
  bytes: number;
  elapsedMs: number;
  /** How the response ended: the server ended it, or the connection broke. */
  end: 'ended' | 'broken';
  /** Longest single pause the client took, in ms. */
  longestPauseMs: number;
  /** The whole body as text, when `keepBody` was set. */
  body?: string;
}

export interface ThrottledReadOptions {
  /** The client reads at most this many bytes per second (on average since it started). */
  bytesPerSecond: number;
  headers?: Record<string, string>;
  /** Called with each event as it is parsed. */
  onEvent?: (event: EventSourceMessage) => void;
  /** Keep the body's text (for short responses a test checks byte for byte). */
  keepBody?: boolean;
}

/**
 * Reads an SSE response over a raw `node:http` connection at a limited rate, as a slow client on
 * a slow link: after each chunk it pauses the socket until its average rate is back under
 * `bytesPerSecond`. Resolves once the server ends the response, or the connection breaks.
 */
export function readThrottled(url: string, options: ThrottledReadOptions): Promise<ThrottledRead> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const req = request(url, { headers: { accept: 'text/event-stream', ...options.headers }, agent: false }, (response) => {
      const events: EventSourceMessage[] = [];
      const retries: number[] = [];
      let comments = 0;
      let bytes = 0;
      let longestPauseMs = 0;
      let settled = false;
      let resumeTimer: NodeJS.Timeout | undefined;
      const parser = createParser({
        onEvent: (event) => {
          events.push(event);
          options.onEvent?.(event);
        },
        onRetry: (retry) => retries.push(retry),
        onComment: () => comments++,
      });
      const decoder = new StringDecoder('utf8');
      let body = '';
      const finish = (end: ThrottledRead['end']): void => {
        if (settled) return;
        settled = true;
        clearTimeout(resumeTimer);
        const rest = decoder.end();
        parser.feed(rest);
        body += rest;
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers['content-type'],
          events,
          retries,
          comments,
          bytes,
          elapsedMs: Date.now() - started,
          end,
          longestPauseMs,
          ...(options.keepBody ? { body } : {}),
        });
      };
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        const text = decoder.write(chunk);
        parser.feed(text);
        if (options.keepBody) body += text;
        const due = started + (bytes / options.bytesPerSecond) * 1000;
        const wait = due - Date.now();
        if (wait > 0) {
          longestPauseMs = Math.max(longestPauseMs, wait);
          response.pause();
          resumeTimer = setTimeout(() => response.resume(), wait);
        }
      });
      response.on('end', () => finish('ended'));
      response.on('error', () => finish('broken'));
      response.on('close', () => finish(response.complete ? 'ended' : 'broken'));
    });
    req.on('error', reject);
    req.end();
  });
}

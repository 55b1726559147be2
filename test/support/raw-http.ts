import { type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';

/** A whole HTTP answer, as the bytes came. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The server ended the response, or the connection broke first. */
  end: 'ended' | 'broken';
}

/**
 * A GET over `node:http` (no pooling, no header normalisation a fetch would do) that reads the
 * answer to its end. A header given an array goes out as one line per value. Rejects when the
 * answer has not ended within `timeoutMs`: only for answers that are meant to end.
 */
export function rawGet(url: string, headers: OutgoingHttpHeaders = {}, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const finish = (end: RawAnswer['end']): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), end });
      };
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => finish('ended'));
      response.on('error', () => finish('broken'));
      response.on('close', () => finish(response.complete ? 'ended' : 'broken'));
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`GET ${url}: the answer did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end();
  });
}

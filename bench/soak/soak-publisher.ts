import { Agent, request } from 'node:http';
import { streamUrl } from '../../test/support/sample-client';

/**
 * Publishes the soak's events on node:http with kept-alive connections rather than fetch: fetch
 * costs the publishing process several times the CPU per request, and on a busy machine every
 * millisecond the publisher's event loop lags is added to the latency the soak measures (an
 * event is timed from when its request is made).
 */
export class SoakPublisher {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  /** Requests sent again after the reset of the kept-alive connection they were first sent on. */
  resent = 0;

  /**
   * Publishes `{ data }`; resolves with the event's id, rejects unless the answer is `201 { id }`.
   * A request sent on a kept-alive connection that the instance closed at that moment (its
   * keep-alive timeout, or its restart) fails with `ECONNRESET` before the instance read it: that
   * one is sent again, once, on a new connection, as Node's documentation of
   * `request.reusedSocket` advises. Had the instance stored it after all, the soak would count the
   * copy as an unexpected event.
   */
  async publish(baseUrl: string, sessionId: string, streamId: string, data: unknown): Promise<string> {
    const body = JSON.stringify({ data });
    try {
      return await this.send(baseUrl, sessionId, streamId, body);
    } catch (error) {
      if (!(error instanceof ReusedConnectionReset)) throw error;
      this.resent++;
      return this.send(baseUrl, sessionId, streamId, body, false);
    }
  }

  /** Sends the request on a kept-alive connection of the pool, or on a new one of its own (`agent: false`). */
  private send(baseUrl: string, sessionId: string, streamId: string, body: string, agent: Agent | false = this.agent): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const outgoing = request(
        streamUrl(baseUrl, sessionId, streamId, 'events'),
        {
          method: 'POST',
          agent,
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('error', reject);
          response.on('end', () => {
            if (response.statusCode !== 201) return reject(new Error(`Publishing answered ${response.statusCode}: ${text}`));
            const { id } = JSON.parse(text) as { id?: unknown };
            if (typeof id !== 'string' || id.length === 0) return reject(new Error(`Publishing answered without an id: ${text}`));
            resolve(id);
          });
        },
      );
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        reject(outgoing.reusedSocket && error.code === 'ECONNRESET' ? new ReusedConnectionReset(error) : error),
      );
      outgoing.end(body);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** A request that failed because the kept-alive connection it was sent on had just been closed. */
class ReusedConnectionReset extends Error {
  constructor(cause: Error) {
    super(`${cause.message} (on a reused connection)`, { cause });
  }
}

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

  /** Publishes `{ data }`; resolves with the event's id, rejects unless the answer is `201 { id }`. */
  publish(baseUrl: string, sessionId: string, streamId: string, data: unknown): Promise<string> {
    const body = JSON.stringify({ data });
    return new Promise<string>((resolve, reject) => {
      const outgoing = request(
        streamUrl(baseUrl, sessionId, streamId, 'events'),
        {
          method: 'POST',
          agent: this.agent,
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
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** Options of {@link ResumableSse}; the module's options give the defaults. */
export interface ResumableSseOptions {
  /**
   * A comment is sent after this many ms in which the stream sent nothing, so proxies and load
   * balancers with an idle timeout (nginx 60 s, many load balancers 60–100 s) keep the
   * connection. Clients ignore comments. `0` sends none. Default: the module's
   * `keepAliveInterval` (15 s).
   */
  keepAliveInterval?: number;
  /**
   * Sent as `retry:` at the start of every response: how long the client waits before it
   * reconnects, after the stream ended or the connection broke. Default: the module's
   * `retryInterval` (3 s).
   */
  retryInterval?: number;
  /**
   * Spreads `retry:` over responses: each response's is drawn at random between
   * `retryInterval × (1 − retryJitter)` and `retryInterval`. A fraction from 0 to 1. Default: the
   * module's `retryJitter` (0.5).
   */
  retryJitter?: number;
  /**
   * Also read the last event id from this query parameter (for clients that cannot set headers,
   * or a page that resumes a stream it stored the id of). The `Last-Event-ID` header wins when
   * both are given. Default: none, the header only.
   */
  lastEventIdQueryParameter?: string;
}

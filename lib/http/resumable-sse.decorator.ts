import { applyDecorators, Get, SetMetadata, UseInterceptors } from '@nestjs/common';
import { checkResumableSseOptions } from './check-resumable-sse-options';
import { RESUMABLE_SSE_OPTIONS } from './resumable-sse.constants';
import type { ResumableSseOptions } from './resumable-sse-options.interface';
import { ResumableSseInterceptor } from './resumable-sse.interceptor';

/**
 * A `GET` route that serves a stream of the store as resumable Server-Sent Events. The handler
 * only names the stream, by returning (or resolving to) its `{ sessionId, streamId }`:
 *
 * ```ts
 * @ResumableSse('jobs/:jobId/progress')
 * progress(@Param('jobId') jobId: string): SseStreamAddress {
 *   return { sessionId: jobId, streamId: 'progress' };
 * }
 * ```
 *
 * The route reads `Last-Event-ID` (and the query parameter named by
 * `lastEventIdQueryParameter`), resumes right after that event, and decides every answer before
 * the response starts: 404 for an id or stream it cannot resume, 400 for another stream's id,
 * 410 when the events after the id are gone, 204 when the client has the last event of a
 * completed stream (so `EventSource` stops), and a 200 that only carries `retry:` while the store
 * is unavailable (so `EventSource` comes back). Once streaming, it sends keep-alive comments while
 * idle, one event at a time as the client reads, and ends the response (never an error event)
 * when the reader stops, so the client resumes with its real last id. Use it in place of
 * `@Get()`/`@Sse()`; it needs `SseEventStoreModule` (or the testing module) in scope.
 *
 * @param path The route path, as for `@Get()`.
 * @throws SseEventStoreConfigurationError when an option cannot work (a negative interval, a
 * `retryJitter` outside 0–1, an empty query parameter name), as the controller is declared.
 */
export function ResumableSse(path?: string | string[], options: ResumableSseOptions = {}): MethodDecorator {
  checkResumableSseOptions(options);
  return applyDecorators(Get(path), SetMetadata(RESUMABLE_SSE_OPTIONS, options), UseInterceptors(ResumableSseInterceptor));
}

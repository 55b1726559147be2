import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor, type StreamableFile } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { mergeMap, type Observable } from 'rxjs';
import { readLastEventId } from './last-event-id';
import { RESUMABLE_SSE_OPTIONS } from './resumable-sse.constants';
import type { ResumableSseOptions } from './resumable-sse-options.interface';
import { ResumableSseResponder } from './resumable-sse-responder';

/**
 * Turns a route handler that names a stream (`{ sessionId, streamId }`) into a resumable SSE
 * endpoint; applied by {@link ResumableSse}. It reads `Last-Event-ID` before the handler runs, so a
 * malformed request is refused first, and serves the stream once the handler has named it.
 */
@Injectable()
export class ResumableSseInterceptor implements NestInterceptor {
  /**
   * Nest injects the interceptor's collaborators; applications never construct it.
   * @internal
   */
  constructor(
    private readonly responder: ResumableSseResponder,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<StreamableFile> {
    const route = this.reflector.get<ResumableSseOptions | undefined>(RESUMABLE_SSE_OPTIONS, context.getHandler());
    const http = context.switchToHttp();
    // Resolved once per request, for reading the position and for the response.
    const settings = this.responder.settings(route);
    const lastEventId = readLastEventId(http.getRequest(), settings.lastEventIdQueryParameter);
    const response = http.getResponse();
    return next.handle().pipe(mergeMap((address: unknown) => this.responder.respond(address, lastEventId, response, settings)));
  }
}

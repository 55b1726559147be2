import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * The answer to a client that already has the last event of a completed stream: 204 No Content,
 * the standard way to tell `EventSource` to stop reconnecting.
 */
export class SseStreamFinishedException extends HttpException {
  constructor() {
    super('The stream is complete: the client has every event.', HttpStatus.NO_CONTENT);
  }
}

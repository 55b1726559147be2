import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Headers,
  HttpCode,
  HttpStatus,
  Logger,
  type MessageEvent,
  NotFoundException,
  Param,
  Post,
  Query,
  Sse,
} from '@nestjs/common';
import { catchError, EMPTY, type Observable } from 'rxjs';
import { SseEventStore, SseEventStoreError, type SseEventStreamReader, type SseStreamAddress } from '../lib';
import { type PublishEventBody, PublishEventBodyPipe } from './publish-event-body.pipe';
import { StreamWritersService } from './stream-writers.service';

/**
 * The sample's HTTP interface: publish to a stream, complete it, read it as Server-Sent Events
 * (resuming after `Last-Event-ID`), and delete a session's streams.
 */
@Controller('sessions/:sessionId')
export class StreamsController {
  private readonly logger = new Logger(StreamsController.name);

  constructor(
    private readonly store: SseEventStore,
    private readonly writers: StreamWritersService,
  ) {}

  /** Appends an event; the stream is created on its first event. Answers `201 { id }`. */
  @Post('streams/:streamId/events')
  async publish(
    @Param('sessionId') sessionId: string,
    @Param('streamId') streamId: string,
    @Body(PublishEventBodyPipe) body: PublishEventBody,
  ): Promise<{ id: string }> {
    // Stored as its JSON text, which readers send as the `data:` field unchanged.
    const event = { data: JSON.stringify(body.data), type: body.type };
    const id = await this.writers.publish({ sessionId, streamId }, event);
    return { id };
  }

  /** Marks the stream completed: readers end after its last event. */
  @Post('streams/:streamId/complete')
  @HttpCode(HttpStatus.NO_CONTENT)
  async complete(@Param('sessionId') sessionId: string, @Param('streamId') streamId: string): Promise<void> {
    await this.writers.complete({ sessionId, streamId });
  }

  /**
   * The stream as Server-Sent Events: from its first event, or right after the event named by the
   * `Last-Event-ID` header (which EventSource sends when it reconnects) or the `lastEventId` query
   * parameter. Stays open until the stream completes. A position that cannot be served is refused
   * with an HTTP error before any event is sent.
   */
  @Sse('streams/:streamId/events')
  async events(
    @Param('sessionId') sessionId: string,
    @Param('streamId') streamId: string,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Query('lastEventId') lastEventIdQuery: unknown,
  ): Promise<Observable<MessageEvent>> {
    if (lastEventIdQuery !== undefined && typeof lastEventIdQuery !== 'string') {
      throw new BadRequestException('Give at most one lastEventId query parameter.');
    }
    // An empty id means "no id", as in EventSource. The header wins: it is the newer position.
    const lastEventId = lastEventIdHeader || lastEventIdQuery || undefined;
    const address = { sessionId, streamId };
    const reader = lastEventId === undefined ? await this.readerFromStart(address) : await this.readerAfter(address, lastEventId);
    return reader.events().pipe(
      catchError((error: unknown) => {
        if (!(error instanceof SseEventStoreError)) throw error;
        // The response has started; ending it makes the client reconnect with its Last-Event-ID,
        // and that request gets the HTTP status that explains the problem.
        this.logger.warn(`Ended a reader of stream '${streamId}': ${error.message}`);
        return EMPTY;
      }),
    );
  }

  /** Deletes every stream of the session. */
  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  async deleteSession(@Param('sessionId') sessionId: string): Promise<void> {
    await this.writers.deleteSession(sessionId);
  }

  private async readerFromStart(address: SseStreamAddress): Promise<SseEventStreamReader> {
    const reader = await this.store.getStreamReaderFromStart(address);
    if (!reader) {
      throw new NotFoundException(`Stream '${address.streamId}' does not exist in this session (or the session was deleted).`);
    }
    return reader;
  }

  private async readerAfter(address: SseStreamAddress, lastEventId: string): Promise<SseEventStreamReader> {
    const reader = await this.store.getStreamReader(lastEventId, { sessionId: address.sessionId });
    if (!reader) {
      throw new NotFoundException(
        'The last event id cannot be resumed: it is not an id of this session, or its stream or session no longer exists.',
      );
    }
    if (reader.streamId !== address.streamId) {
      throw new BadRequestException(`The last event id belongs to another stream than '${address.streamId}'.`);
    }
    return reader;
  }
}

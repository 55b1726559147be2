import { Body, Controller, Delete, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ResumableSse, type SseStreamAddress, SseStreamPublisher } from '../lib';
import { type PublishEventBody, PublishEventBodyPipe } from './publish-event-body.pipe';

/**
 * The sample's HTTP interface: publish to a stream, complete it, read it as Server-Sent Events
 * (resuming after `Last-Event-ID` or `?lastEventId`), and delete a session's streams.
 */
@Controller('sessions/:sessionId')
export class StreamsController {
  constructor(private readonly streams: SseStreamPublisher) {}

  /** Appends an event; the stream is created on its first event. Answers `201 { id }`. */
  @Post('streams/:streamId/events')
  async publish(
    @Param('sessionId') sessionId: string,
    @Param('streamId') streamId: string,
    @Body(PublishEventBodyPipe) body: PublishEventBody,
  ): Promise<{ id: string }> {
    // Stored as its JSON text, which readers send as the `data:` field unchanged.
    const { id } = await this.streams.append({ sessionId, streamId }, { data: JSON.stringify(body.data), type: body.type });
    return { id };
  }

  /** Marks the stream completed: readers end after its last event, and later events are refused (409). */
  @Post('streams/:streamId/complete')
  @HttpCode(HttpStatus.NO_CONTENT)
  async complete(@Param('sessionId') sessionId: string, @Param('streamId') streamId: string): Promise<void> {
    await this.streams.complete({ sessionId, streamId });
  }

  /** The stream as resumable Server-Sent Events (answers in the table of docs/semantics.md). */
  @ResumableSse('streams/:streamId/events', { lastEventIdQueryParameter: 'lastEventId' })
  events(@Param('sessionId') sessionId: string, @Param('streamId') streamId: string): SseStreamAddress {
    return { sessionId, streamId };
  }

  /** Deletes every stream of the session. */
  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  async deleteSession(@Param('sessionId') sessionId: string): Promise<void> {
    await this.streams.deleteSession(sessionId);
  }
}

import { Controller, Headers, Injectable, type MessageEvent, Module, NotFoundException, Param, Sse } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { SseEventStore, SseEventStoreModule } from '../../../lib';

/** The application code under test: it writes a user's notifications to the user's stream. */
@Injectable()
export class NotificationsService {
  constructor(private readonly store: SseEventStore) {}

  /** Publishes the texts on the user's `notifications` stream and completes it; resolves with the event ids. */
  async publish(userId: string, texts: string[]): Promise<string[]> {
    const writer = await this.store.createStream({ sessionId: userId, streamId: 'notifications' });
    const ids: string[] = [];
    for (const text of texts) ids.push((await writer.write({ data: { text }, type: 'notification' })).id);
    await writer.complete();
    return ids;
  }

  /** Forgets everything of the user. */
  forget(userId: string): Promise<void> {
    return this.store.deleteStreamsForSession(userId);
  }
}

/** The resumable SSE endpoint of a user's notifications. */
@Controller('users/:userId/notifications')
export class NotificationsController {
  constructor(private readonly store: SseEventStore) {}

  @Sse()
  async stream(@Param('userId') userId: string, @Headers('last-event-id') lastEventId?: string): Promise<Observable<MessageEvent>> {
    const reader =
      lastEventId === undefined
        ? await this.store.getStreamReaderFromStart({ sessionId: userId, streamId: 'notifications' })
        : await this.store.getStreamReader(lastEventId, { sessionId: userId });
    if (!reader) throw new NotFoundException();
    return reader.events();
  }
}

/** The feature module; it does not import the store's module itself. */
@Module({ providers: [NotificationsService], controllers: [NotificationsController], exports: [NotificationsService] })
export class NotificationsModule {}

/** The application's root module, as it runs in production. */
@Module({ imports: [SseEventStoreModule.forRoot({ isGlobal: true }), NotificationsModule] })
export class AppModule {}

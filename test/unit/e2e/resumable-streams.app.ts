import { CacheModule } from '@nestjs/cache-manager';
import {
  BadRequestException,
  Body,
  Controller,
  GoneException,
  Headers,
  HttpCode,
  type INestApplication,
  type MessageEvent,
  Module,
  NotFoundException,
  Param,
  Post,
  Sse,
} from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import type { Observable } from 'rxjs';
import {
  SseEventStore,
  SseEventStoreModule,
  type SseEventStoreModuleOptions,
  type SseEventStreamReader,
  type SseEventStreamWriter,
  SseHistoryExpiredError,
} from '../../../lib';
import { CapturingLogger } from '../../support/capturing-logger';

export type Platform = 'express' | 'fastify';

/**
 * A controller as an application would write it: POST appends to a stream, GET is the
 * resumable SSE endpoint. A Last-Event-ID that cannot be resumed is answered with an HTTP
 * error before any event is sent.
 */
@Controller('sessions/:sessionId/streams/:streamId')
class StreamsController {
  private readonly writers = new Map<string, Promise<SseEventStreamWriter>>();

  constructor(private readonly store: SseEventStore) {}

  @Post('events')
  @HttpCode(201)
  async write(
    @Param('sessionId') sessionId: string,
    @Param('streamId') streamId: string,
    @Body() body: { data: unknown; type?: string },
  ): Promise<{ id: string }> {
    const writer = await this.writer(sessionId, streamId);
    const { id } = await writer.write({ data: body.data, type: body.type });
    return { id };
  }

  @Post('complete')
  @HttpCode(204)
  async complete(@Param('sessionId') sessionId: string, @Param('streamId') streamId: string): Promise<void> {
    const writer = await this.writer(sessionId, streamId);
    await writer.complete();
    this.writers.delete(JSON.stringify([sessionId, streamId]));
  }

  @Sse()
  async events(
    @Param('sessionId') sessionId: string,
    @Param('streamId') streamId: string,
    @Headers('last-event-id') lastEventId?: string,
  ): Promise<Observable<MessageEvent>> {
    let reader: SseEventStreamReader | null;
    try {
      reader =
        lastEventId === undefined
          ? await this.store.getStreamReaderFromStart({ sessionId, streamId })
          : await this.store.getStreamReader(lastEventId, { sessionId });
    } catch (error) {
      if (error instanceof SseHistoryExpiredError) throw new GoneException('The events after Last-Event-ID are gone; start over.');
      throw error;
    }
    if (!reader) throw new NotFoundException('No stream can be resumed from here.');
    if (reader.streamId !== streamId) throw new BadRequestException('Last-Event-ID belongs to another stream.');
    return reader.events();
  }

  private writer(sessionId: string, streamId: string): Promise<SseEventStreamWriter> {
    const key = JSON.stringify([sessionId, streamId]);
    let writer = this.writers.get(key);
    if (!writer) {
      writer = this.store.createStream({ sessionId, streamId });
      this.writers.set(key, writer);
      writer.catch(() => this.writers.delete(key));
    }
    return writer;
  }
}

/** A running application, its base URL, and what it logged. */
export interface RunningApp {
  app: INestApplication;
  baseUrl: string;
  logger: CapturingLogger;
}

/** Starts the application on an ephemeral port, on Express or Fastify. */
export async function startApp(platform: Platform, storeOptions: SseEventStoreModuleOptions = {}): Promise<RunningApp> {
  @Module({
    imports: [CacheModule.register({ isGlobal: true }), SseEventStoreModule.forRoot(storeOptions)],
    controllers: [StreamsController],
  })
  class AppModule {}

  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .setLogger(logger)
    .compile();
  const app = platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter()) : moduleRef.createNestApplication();
  app.useLogger(logger);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, baseUrl: `http://127.0.0.1:${port}`, logger };
}

/** POSTs an event; resolves with the id the store assigned. */
export async function postEvent(baseUrl: string, sessionId: string, streamId: string, data: unknown): Promise<string> {
  const response = await fetch(`${baseUrl}/sessions/${sessionId}/streams/${streamId}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data }),
  });
  if (response.status !== 201) throw new Error(`POST event answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** Completes the stream: its readers end after its last event. */
export async function completeStream(baseUrl: string, sessionId: string, streamId: string): Promise<void> {
  const response = await fetch(`${baseUrl}/sessions/${sessionId}/streams/${streamId}/complete`, { method: 'POST' });
  if (response.status !== 204) throw new Error(`POST complete answered ${response.status}: ${await response.text()}`);
}

/** The SSE endpoint of a stream. */
export function streamUrl(baseUrl: string, sessionId: string, streamId: string): string {
  return `${baseUrl}/sessions/${sessionId}/streams/${streamId}`;
}

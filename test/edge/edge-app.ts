import KeyvRedis, { createKeyv } from '@keyv/redis';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Body, Controller, Delete, HttpCode, type INestApplication, Module, Param, Post } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Cache } from 'cache-manager';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import {
  ResumableSse,
  SseEventStore,
  SseEventStoreExceptionFilter,
  SseEventStoreModule,
  type SseEventStoreModuleOptions,
  type SseStreamAddress,
  SseStreamPublisher,
} from '../../lib';
import { redisClientOf } from '../support/cache-inspection';
import { REDIS_CONNECT_TIMEOUT_MS, REDIS_URL, uniquePrefix } from '../support/caches';
import { CapturingLogger } from '../support/capturing-logger';

/**
 * The application the edge tests run against, written as an application would be on the HTTP API
 * of the library (and nothing Nest-12-only, so it also runs on Nest 11.0): a controller that
 * publishes with `SseStreamPublisher`, serves the stream with `@ResumableSse`, and the store's
 * errors answered by `SseEventStoreExceptionFilter` registered as `APP_FILTER`.
 */

export type Platform = 'express' | 'fastify';
/** memory: CacheModule's in-memory default (native in-memory path); redis: CacheModule on `@keyv/redis` (native path). */
export type Backend = 'memory' | 'redis';

export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];
export const BACKENDS: readonly Backend[] = ['memory', 'redis'];
/** Every platform on every backend. */
export const COMBINATIONS: readonly { platform: Platform; backend: Backend }[] = PLATFORMS.flatMap((platform) =>
  BACKENDS.map((backend) => ({ platform, backend })),
);

/** The body of a publish request. */
interface PublishBody {
  data?: unknown;
  type?: string;
  id?: string;
}

@Controller('sessions/:sessionId')
class EdgeStreamsController {
  constructor(private readonly streams: SseStreamPublisher) {}

  @Post('streams/:streamId/events')
  @HttpCode(201)
  async publish(
    @Param('sessionId') sessionId: string,
    @Param('streamId') streamId: string,
    @Body() body: PublishBody,
  ): Promise<{ id: string }> {
    const { id } = await this.streams.append({ sessionId, streamId }, { data: body?.data, type: body?.type, id: body?.id });
    return { id };
  }

  @Post('streams/:streamId/complete')
  @HttpCode(204)
  async complete(@Param('sessionId') sessionId: string, @Param('streamId') streamId: string): Promise<void> {
    await this.streams.complete({ sessionId, streamId });
  }

  @ResumableSse('streams/:streamId/events', { lastEventIdQueryParameter: 'lastEventId' })
  events(@Param('sessionId') sessionId: string, @Param('streamId') streamId: string): SseStreamAddress {
    return { sessionId, streamId };
  }

  @Delete()
  @HttpCode(204)
  async deleteSession(@Param('sessionId') sessionId: string): Promise<void> {
    await this.streams.deleteSession(sessionId);
  }
}

/** One request the HTTP server received, as it arrived (before any framework saw it). */
export interface ServedRequest {
  method: string;
  /** Path and query. */
  url: string;
  /** Every `Last-Event-ID` header line the request carried, in order (empty when none). */
  lastEventIds: string[];
  /** The status sent, once the headers went out. */
  readonly status: number | undefined;
  /** True once the response is over (ended, or the connection closed). */
  readonly closed: boolean;
}

export interface EdgeAppOptions {
  platform: Platform;
  backend: Backend;
  /** Store options (the module's); `keyPrefix` defaults to a fresh one. */
  store?: Omit<SseEventStoreModuleOptions, 'cache'>;
  /**
   * A cache of the test's own (one that fails on demand, or on a Redis server the test stops),
   * given as the store's `cache` option; no CacheModule is registered then.
   */
  cache?: Cache;
  /**
   * Where the app logs. Nest's static logger (what the library's `new Logger(...)` and Nest's own
   * classes log through) is one per process and follows the app that started last, so tests that
   * run apps side by side give them one logger and check it for all of them.
   */
  logger?: CapturingLogger;
}

/** A running edge application on an ephemeral loopback port. */
export class EdgeApp {
  private constructor(
    readonly app: INestApplication,
    readonly platform: Platform,
    readonly backend: Backend,
    readonly baseUrl: string,
    readonly logger: CapturingLogger,
    readonly requests: ServedRequest[],
    readonly keyPrefix: string,
  ) {}

  static async start(options: EdgeAppOptions): Promise<EdgeApp> {
    const keyPrefix = options.store?.keyPrefix ?? uniquePrefix();
    const storeOptions: SseEventStoreModuleOptions = {
      ...options.store,
      keyPrefix,
      // The Redis backend must run on the native path: fail at start-up rather than test the other.
      storage: options.store?.storage ?? (options.backend === 'redis' && !options.cache ? 'redis' : 'auto'),
    };
    if (options.cache) storeOptions.cache = options.cache;

    @Module({
      imports: [...(options.cache ? [] : [applicationCache(options.backend)]), SseEventStoreModule.forRoot(storeOptions)],
      controllers: [EdgeStreamsController],
      providers: [{ provide: APP_FILTER, useClass: SseEventStoreExceptionFilter }],
    })
    class EdgeAppModule {}

    const logger = options.logger ?? new CapturingLogger();
    const moduleRef = await Test.createTestingModule({ imports: [EdgeAppModule] })
      .setLogger(logger)
      .compile();
    const app = options.platform === 'fastify' ? moduleRef.createNestApplication(new FastifyAdapter()) : moduleRef.createNestApplication();
    app.useLogger(logger);
    const requests: ServedRequest[] = [];
    await app.init();
    recordRequests(app.getHttpServer() as Server, requests);
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    return new EdgeApp(app, options.platform, options.backend, `http://127.0.0.1:${port}`, logger, requests, keyPrefix);
  }

  get name(): string {
    return `${this.platform}, ${this.backend}`;
  }

  get store(): SseEventStore {
    return this.app.get(SseEventStore);
  }

  get publisher(): SseStreamPublisher {
    return this.app.get(SseStreamPublisher);
  }

  /** The application's CACHE_MANAGER (when the app registered CacheModule). */
  get cache(): Cache {
    return this.app.get<Cache>(CACHE_MANAGER);
  }

  /** The SSE endpoint of a stream. */
  streamUrl({ sessionId, streamId }: SseStreamAddress): string {
    return `${this.baseUrl}/sessions/${encodeURIComponent(sessionId)}/streams/${encodeURIComponent(streamId)}/events`;
  }

  /** The requests the server received for a stream's SSE endpoint. */
  streamRequests(address: SseStreamAddress): ServedRequest[] {
    const path = new URL(this.streamUrl(address)).pathname;
    return this.requests.filter((request) => request.method === 'GET' && request.url.split('?')[0] === path);
  }

  /** POSTs an event; answers the status and JSON body as they came. */
  async publish(
    address: SseStreamAddress,
    event: PublishBody,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
    const response = await fetch(this.streamUrl(address), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
  }

  /** POSTs an event and answers its id; throws unless 201. */
  async append(address: SseStreamAddress, data: unknown, type?: string): Promise<string> {
    const { status, body } = await this.publish(address, type === undefined ? { data } : { data, type });
    if (status !== 201 || typeof body.id !== 'string') throw new Error(`publishing answered ${status}: ${JSON.stringify(body)}`);
    return body.id;
  }

  /** POSTs the completion; answers the status. */
  async complete(address: SseStreamAddress): Promise<number> {
    const url = this.streamUrl(address).replace(/\/events$/, '/complete');
    const response = await fetch(url, { method: 'POST' });
    await response.arrayBuffer();
    return response.status;
  }

  /** DELETEs the session; answers the status. */
  async deleteSession(sessionId: string): Promise<number> {
    const response = await fetch(`${this.baseUrl}/sessions/${encodeURIComponent(sessionId)}`, { method: 'DELETE' });
    await response.arrayBuffer();
    return response.status;
  }

  /** Log entries that carry a stack trace or are errors: none may come from a client's request. */
  errorsLogged(): { level: string; context?: string; message: unknown }[] {
    return this.logger.entries
      .filter((entry) => entry.level === 'error' || entry.level === 'fatal' || /\n\s+at /.test(String(entry.message)))
      .map(({ level, context, message }) => ({ level, context, message }));
  }

  /** Closes the app (its open responses end, CacheModule disconnects) and removes what it stored in Redis. */
  async close(): Promise<void> {
    let client: ReturnType<typeof redisClientOf>;
    try {
      client = this.backend === 'redis' ? redisClientOf(this.cache) : undefined;
    } catch {
      client = undefined; // no CacheModule: the test owns the cache
    }
    if (client?.isReady) {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: `${this.keyPrefix}:*`, COUNT: 1000 })) keys.push(...batch);
      for (let start = 0; start < keys.length; start += 500) await client.unlink(keys.slice(start, start + 500));
    }
    // Node's server.close() also waits for a keep-alive connection of fetch (undici) that it does
    // not count as idle after an aborted request, until the client drops it (70 s on Fastify,
    // which advertises a 72 s keep-alive): the test does not wait for that.
    const server = this.app.getHttpServer() as Server;
    const force = setTimeout(() => server.closeAllConnections(), 1_000);
    try {
      await this.app.close();
    } finally {
      clearTimeout(force);
    }
  }
}

/**
 * Clean-up for a test, run once it ends, last registered first: clients before the proxy in front
 * of an app, before the app (an app waits for its connections while it closes, and a client that
 * is still reconnecting would keep one open).
 */
export function cleanup(t: TestContext): (step: () => unknown) => void {
  const steps: (() => unknown)[] = [];
  t.after(async () => {
    for (const step of steps.reverse()) await step();
  });
  return (step) => void steps.push(step);
}

/** A fresh session id, so runs on the shared Redis never meet. */
export function freshSession(label = 'session'): string {
  return `${label}-${randomUUID()}`;
}

/** CacheModule as an application registers it: the in-memory default, or `@keyv/redis` (start-up fails without Redis). */
function applicationCache(backend: Backend) {
  if (backend === 'memory') return CacheModule.register({ isGlobal: true });
  return CacheModule.registerAsync({
    isGlobal: true,
    useFactory: async () => {
      const keyv = createKeyv(REDIS_URL, { connectionTimeout: REDIS_CONNECT_TIMEOUT_MS });
      await (keyv.store as KeyvRedis<unknown>).getClient();
      return { stores: [keyv] };
    },
  });
}

/** Records every request ahead of the framework's own listener. */
function recordRequests(server: Server, requests: ServedRequest[]): void {
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    let closed = false;
    response.once('close', () => (closed = true));
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      lastEventIds: request.headersDistinct['last-event-id'] ?? [],
      get status() {
        return response.headersSent ? response.statusCode : undefined;
      },
      get closed() {
        return closed;
      },
    });
  });
}

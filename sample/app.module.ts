import KeyvRedis, { createKeyv } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { SseEventStoreExceptionFilter, SseEventStoreModule } from '../lib';
import { McpController } from './mcp/mcp.controller';
import { McpSessionsService } from './mcp/mcp-sessions.service';
import { PageController } from './page.controller';
import type { SampleConfig } from './sample-config';
import { StreamsController } from './streams.controller';

@Module({})
export class AppModule {
  /**
   * Without a Redis URL no cache is registered, and SseEventStoreModule keeps events in an
   * in-memory cache of its own (one instance). With one, every instance shares the streams.
   * The MCP endpoint (`/mcp`) keeps its events in the same store.
   */
  static register(config: SampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...(config.redisUrl ? [sharedRedisCache(config.redisUrl)] : []),
        SseEventStoreModule.forRoot({ keepAliveInterval: config.keepAliveInterval, retryInterval: config.retryInterval }),
      ],
      controllers: [PageController, StreamsController, McpController],
      // The store's typed errors as 4xx/503 answers instead of 500s.
      providers: [McpSessionsService, { provide: APP_FILTER, useClass: SseEventStoreExceptionFilter }],
    };
  }
}

/** How long start-up waits for Redis before it fails. */
const REDIS_CONNECTION_TIMEOUT = 5_000;

/** The application's CACHE_MANAGER on Redis; start-up fails when Redis cannot be reached. */
function sharedRedisCache(redisUrl: string): DynamicModule {
  return CacheModule.registerAsync({
    isGlobal: true,
    useFactory: async () => {
      const keyv = createKeyv(redisUrl, { connectionTimeout: REDIS_CONNECTION_TIMEOUT });
      await (keyv.store as KeyvRedis<unknown>).getClient();
      return { stores: [keyv] };
    },
  });
}

import KeyvRedis, { createKeyv } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { type DynamicModule, Module } from '@nestjs/common';
import { SseEventStoreModule } from '../../lib';
import type { SampleConfig } from '../sample-config';
import { CountdownTools } from './countdown.tools';

/** How long start-up waits for Redis before it fails (as in the main sample). */
const REDIS_CONNECTION_TIMEOUT = 5_000;

/**
 * The `@rekog/mcp-nest` sample's module: the store (in this process's memory, or shared through
 * Redis with `REDIS_URL`, as in the main sample) and the MCP tools. The MCP strategy and its
 * transport are connected in main.ts ({@link connectMcpNestSample}), once the store can be taken
 * from the container.
 */
@Module({})
export class McpNestSampleModule {
  static register(config: SampleConfig): DynamicModule {
    return {
      module: McpNestSampleModule,
      imports: [
        ...(config.redisUrl ? [sharedRedisCache(config.redisUrl)] : []),
        SseEventStoreModule.forRoot({ keepAliveInterval: config.keepAliveInterval, retryInterval: config.retryInterval }),
      ],
      controllers: [CountdownTools],
    };
  }
}

/** The application's CACHE_MANAGER on Redis; start-up fails when Redis cannot be reached (as sample/app.module.ts does). */
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

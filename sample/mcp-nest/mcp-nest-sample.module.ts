import { type DynamicModule, Module } from '@nestjs/common';
import { SseEventStoreModule } from '../../lib';
import type { SampleConfig } from '../sample-config';
import { CountdownTools } from './countdown.tools';
import { sharedRedisCache } from '../shared-redis-cache';

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
        SseEventStoreModule.forRoot({
          keepAliveInterval: config.keepAliveInterval,
          retryInterval: config.retryInterval,
          retryJitter: config.retryJitter,
          keyPrefix: config.keyPrefix,
        }),
      ],
      controllers: [CountdownTools],
    };
  }
}

import KeyvRedis, { createKeyv } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import type { DynamicModule } from '@nestjs/common';

/** How long start-up waits for Redis before it fails. */
const REDIS_CONNECTION_TIMEOUT = 5_000;

/** The application's CACHE_MANAGER on Redis; start-up fails when Redis cannot be reached. */
export function sharedRedisCache(redisUrl: string): DynamicModule {
  return CacheModule.registerAsync({
    isGlobal: true,
    useFactory: async () => {
      const keyv = createKeyv(redisUrl, { connectionTimeout: REDIS_CONNECTION_TIMEOUT });
      await (keyv.store as KeyvRedis<unknown>).getClient();
      return { stores: [keyv] };
    },
  });
}

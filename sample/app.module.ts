import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { SseEventStore, SseEventStoreExceptionFilter, SseEventStoreModule } from '../lib';
import { McpRemoteResumption } from '../lib/mcp';
import { SseEventStoreHealthIndicator } from '../lib/terminus';
import { HealthController } from './health.controller';
import { McpController } from './mcp/mcp.controller';
import { McpSessionNamespaceGuard } from './mcp/mcp-session-namespace.guard';
import { MCP_RETRY_INTERVAL_MS } from './mcp/mcp-session-registry';
import { McpSessionsService } from './mcp/mcp-sessions.service';
import { McpV2Controller } from './mcp-v2/mcp-v2.controller';
import { McpV2SessionsService } from './mcp-v2/mcp-v2-sessions.service';
import { MetricsModule } from './metrics.module';
import { PageController } from './page.controller';
import type { SampleConfig } from './sample-config';
import { StreamsController } from './streams.controller';
import { sharedRedisCache } from './shared-redis-cache';

@Module({})
export class AppModule {
  /**
   * Without a Redis URL no cache is registered, and SseEventStoreModule keeps events in an
   * in-memory cache of its own (one instance). With one, every instance shares the streams.
   * The MCP endpoint (`/mcp`) keeps its events in the same store, under session ids of its own
   * that the `/sessions` routes refuse (McpSessionNamespaceGuard). With `metrics` (from
   * registerSampleMetrics), `GET /metrics` serves the store's figures.
   */
  static register(config: SampleConfig, metrics?: PrometheusExporter): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...(config.redisUrl ? [sharedRedisCache(config.redisUrl)] : []),
        SseEventStoreModule.forRoot({
          keepAliveInterval: config.keepAliveInterval,
          retryInterval: config.retryInterval,
          retryJitter: config.retryJitter,
          keyPrefix: config.keyPrefix,
        }),
        TerminusModule,
        ...(metrics ? [MetricsModule.register(metrics)] : []),
      ],
      controllers: [PageController, StreamsController, McpController, McpV2Controller, HealthController],
      providers: [
        SseEventStoreHealthIndicator,
        McpSessionsService,
        // Resumptions of sessions that live on another instance, served from the shared store.
        {
          provide: McpRemoteResumption,
          useFactory: (store: SseEventStore) =>
            new McpRemoteResumption(store, { retryInterval: MCP_RETRY_INTERVAL_MS, retryJitter: config.retryJitter }),
          inject: [SseEventStore],
        },
        // The same MCP endpoint on the SDK v2, at /mcp-v2.
        McpV2SessionsService,
        // The store's typed errors as 4xx/503 answers instead of 500s.
        { provide: APP_FILTER, useClass: SseEventStoreExceptionFilter },
        // `/sessions/:sessionId` never reaches an MCP session's streams.
        { provide: APP_GUARD, useClass: McpSessionNamespaceGuard },
      ],
    };
  }
}

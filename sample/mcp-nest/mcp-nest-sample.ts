import type { INestApplication } from '@nestjs/common';
import { McpStrategy } from '@rekog/mcp-nest';
import { SseEventStore } from '../../lib';
import { ResumableStreamableHttpTransport } from '../../lib/mcp-nest';
import type { SampleConfig } from '../sample-config';

/** The SSE `retry` sent with priming events: how long clients wait before reconnecting (as the main sample's). */
export const MCP_NEST_RETRY_INTERVAL_MS = 1_000;

/** Where the transport mounts the MCP endpoint. */
export const MCP_NEST_ENDPOINT = '/mcp';

/**
 * Connects the sample's `@rekog/mcp-nest` server to the application: an `McpStrategy` (the tools
 * of the module's `@McpController` classes) on a {@link ResumableStreamableHttpTransport} that
 * keeps its sessions' streams in the application's {@link SseEventStore}, taken from Nest's
 * container. Call it before `app.listen()`; resolves once the endpoint is mounted. `retryJitter`
 * spreads the `retry:` of resumptions served for another instance's sessions (the library's
 * default when unset).
 */
export async function connectMcpNestSample(app: INestApplication, config: Pick<SampleConfig, 'retryJitter'> = {}): Promise<McpStrategy> {
  const transport = new ResumableStreamableHttpTransport({
    store: app.get(SseEventStore),
    endpoint: MCP_NEST_ENDPOINT,
    retryInterval: MCP_NEST_RETRY_INTERVAL_MS,
    retryJitter: config.retryJitter,
  });
  const mcp = new McpStrategy({ name: 'nestjs-sse-event-store-sample-mcp-nest', version: '0.1.0', transports: [transport] });
  mcp.setHttpAdapter(app.getHttpAdapter());
  app.connectMicroservice({ strategy: mcp });
  await app.startAllMicroservices();
  return mcp;
}

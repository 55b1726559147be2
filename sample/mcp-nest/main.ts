// The sample as an `@rekog/mcp-nest` server (`McpStrategy` with `@McpController` tools) whose
// Streamable HTTP sessions are resumable on SseEventStore, through
// `ResumableStreamableHttpTransport` of `nestjs-sse-event-store/mcp-nest`. A second entry point
// beside sample/main.ts (which serves the SDK's own transports at /mcp and /mcp-v2).
//
//   npm run build:all && node build/sample/mcp-nest/main.js
//   PORT=3001 REDIS_URL=redis://127.0.0.1:6379 node build/sample/mcp-nest/main.js
//
// Environment (as sample/main.ts, see sample/sample-config.ts): PORT (default 3000; 0 picks a free
// one), REDIS_URL (streams shared through Redis; unset keeps them in this process's memory).
// Serves POST|GET|DELETE /mcp in stateful mode, with the tools `countdown`, `standalone_countdown`
// and `test_reconnection` (sample/mcp-nest/countdown.tools.ts).
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { readSampleConfig } from '../sample-config';
import { connectMcpNestSample, MCP_NEST_ENDPOINT } from './mcp-nest-sample';
import { McpNestSampleModule } from './mcp-nest-sample.module';

async function bootstrap(): Promise<void> {
  const logger = new Logger('McpNestSample');
  const config = readSampleConfig();
  const app = await NestFactory.create<NestExpressApplication>(McpNestSampleModule.register(config), {
    // Event streams stay open for long: on shutdown, close them rather than wait; clients reconnect.
    forceCloseConnections: true,
  });
  app.enableShutdownHooks();
  // Mounted before listen(), as mcp-nest requires.
  await connectMcpNestSample(app, config);
  await app.listen(config.port);
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(config.redisUrl ? 'Streams are shared through Redis.' : 'Streams are kept in this process (set REDIS_URL to share them).');
  logger.log(`MCP Streamable HTTP endpoint (@rekog/mcp-nest): http://localhost:${port}${MCP_NEST_ENDPOINT}`);
  logger.log(`Listening on http://localhost:${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('McpNestSample').fatal(error instanceof Error ? (error.stack ?? error.message) : String(error));
  // A Redis client that is still retrying would keep the process alive.
  process.exit(1);
});

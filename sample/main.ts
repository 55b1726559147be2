import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { AppModule } from './app.module';
import { registerSampleMetrics } from './metrics';
import { readSampleConfig } from './sample-config';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Sample');
  const config = readSampleConfig();
  // Before the app exists: the store takes its meter from the global provider when it is built.
  const metrics = registerSampleMetrics();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config, metrics), {
    // JSON bodies only: a form-encoded body is refused like any other body that is not JSON.
    bodyParser: false,
    // Event streams stay open for long: on shutdown, close them rather than wait; clients reconnect.
    forceCloseConnections: true,
  });
  app.useBodyParser('json');
  app.enableShutdownHooks();
  await app.listen(config.port);
  const { port } = app.getHttpServer().address() as AddressInfo;
  logger.log(config.redisUrl ? 'Streams are shared through Redis.' : 'Streams are kept in this process (set REDIS_URL to share them).');
  logger.log(`The store's metrics, in Prometheus text format: http://localhost:${port}/metrics`);
  logger.log(`MCP Streamable HTTP endpoints: http://localhost:${port}/mcp (SDK 1.x) and http://localhost:${port}/mcp-v2 (SDK 2.x)`);
  logger.log(`Listening on http://localhost:${port}`);
}

bootstrap().catch((error: unknown) => {
  new Logger('Sample').fatal(error instanceof Error ? (error.stack ?? error.message) : String(error));
  // A Redis client that is still retrying would keep the process alive.
  process.exit(1);
});

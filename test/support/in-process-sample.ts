import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { SseEventStore } from '../../lib';
import { AppModule } from '../../sample/app.module';
import { CapturingLogger } from './capturing-logger';

/** The sample app in the test's process, on a store the test chose (and can break). */
export interface InProcessSample {
  app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  url: string;
  logs: CapturingLogger;
  close(): Promise<void>;
}

/**
 * Starts the sample's `AppModule` as its `main.ts` does (JSON body parser only, connections
 * closed on shutdown), with `store` in place of the one `SseEventStoreModule` would build.
 */
export async function startInProcessSample(store: SseEventStore): Promise<InProcessSample> {
  const logs = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.register({ port: 0 })] })
    .overrideProvider(SseEventStore)
    .useValue(store)
    .setLogger(logs)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, forceCloseConnections: true });
  app.useBodyParser('json');
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, logs, close: () => app.close() };
}

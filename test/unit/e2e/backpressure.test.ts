import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Controller, type INestApplication, Module, Param, Res, Sse } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ServerResponse } from 'node:http';
import { createCache } from 'cache-manager';
import { SseEventStore, SseEventStoreModule } from '../../../lib';
import { countingCache } from '../../support/counting-cache';

const EVENTS = 20_000;
const PAGE = 100;
const counted = countingCache(createCache());

@Controller()
class SlowReaderController {
  constructor(private readonly store: SseEventStore) {}

  @Sse('streams/:streamId')
  async events(@Param('streamId') streamId: string, @Res({ passthrough: true }) response: ServerResponse) {
    const reader = await this.store.getStreamReaderFromStart({ sessionId: 'slow', streamId });
    return reader!.events({ flowControl: response });
  }
}

@Module({
  // The generic path, so that each page the reader reads is a cache call the test can count.
  imports: [SseEventStoreModule.forRoot({ cache: counted.cache, replayPageSize: PAGE, maxEventsPerStream: EVENTS, storage: 'generic' })],
  controllers: [SlowReaderController],
})
class SlowReaderModule {}

let app: INestApplication;
let port: number;

before(async () => {
  app = await NestFactory.create(SlowReaderModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  port = (app.getHttpServer().address() as AddressInfo).port;
  const store = app.get(SseEventStore);
  const writer = await store.createStream({ sessionId: 'slow', streamId: 'big' });
  const padding = 'x'.repeat(1_000);
  for (let n = 1; n <= EVENTS; n += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, offset) => writer.write({ data: { n: n + offset, padding } })));
  }
  await writer.complete();
});

after(async () => {
  await app.close();
});

test('a client that stops reading stops the replay; when it reads again it gets everything in order', { timeout: 120_000 }, async (t) => {
  counted.reset();
  const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
    request({ host: '127.0.0.1', port, path: '/streams/big' }, resolve).on('error', reject).end(),
  );
  assert.equal(response.statusCode, 200);
  response.pause();
  // A failed assertion must not leave a paused connection that keeps the app from closing.
  t.after(() => response.destroy());
  // Wait until the reader stops reading: the count of reads holds still for half a second.
  let reads = -1;
  while (reads !== counted.counts.mget) {
    reads = counted.counts.mget;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const pages = Math.ceil(EVENTS / PAGE);
  assert.ok(reads < pages / 2, `the reader read ${reads} of ${pages} pages for a client that read nothing`);

  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (text += chunk));
  const ended = new Promise((resolve) => response.on('end', resolve));
  response.resume();
  await ended;
  const sequence = [...text.matchAll(/^data: \{"n":(\d+),/gm)].map((match) => Number(match[1]));
  assert.equal(sequence.length, EVENTS);
  assert.ok(sequence.every((n, index) => n === index + 1));
});

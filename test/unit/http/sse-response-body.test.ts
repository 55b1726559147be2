import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { SseResponseBody } from '../../../lib/http/sse-response-body';

const event = (n: number, size = 10) => ({ id: `s.t.${n}`, data: 'x'.repeat(size) });

async function readAll(body: SseResponseBody): Promise<string> {
  let text = '';
  for await (const chunk of body) text += String(chunk);
  return text;
}

describe('SseResponseBody', () => {
  it('starts with retry:, sends events, and ends plainly on finish()', async () => {
    const body = new SseResponseBody({ retryInterval: 1_500, keepAliveInterval: 0 });
    body.send(event(1));
    body.finish();
    body.send(event(2)); // after the end: dropped, not an error
    assert.equal(await readAll(body), `retry: 1500\n\nid: s.t.1\ndata: ${'x'.repeat(10)}\n\n`);
  });

  it('asks its reader to wait while the client has not read a high-water mark, and emits drain once it has', async () => {
    const body = new SseResponseBody({ retryInterval: 1_000, keepAliveInterval: 0 });
    assert.equal(body.writableNeedDrain, false);
    body.send(event(1, 64 * 1024)); // above the 16 KiB high-water mark, unread
    assert.equal(body.writableNeedDrain, true);
    const drained = once(body, 'drain');
    body.read(); // the client reads
    await drained;
    assert.equal(body.writableNeedDrain, false);
    body.destroy();
  });

  it('sends a keep-alive comment only after keepAliveInterval of silence', async () => {
    const body = new SseResponseBody({ retryInterval: 1_000, keepAliveInterval: 40 });
    const chunks: string[] = [];
    body.on('data', (chunk) => chunks.push(String(chunk)));
    await delay(150);
    const comments = chunks.filter((chunk) => chunk === ': keep-alive\n\n').length;
    assert.ok(comments >= 1, `keep-alive comments sent: ${comments}`);
    body.finish();
    await once(body, 'end');
    const after = chunks.length;
    await delay(100);
    assert.equal(chunks.length, after, 'nothing is sent after the end');
  });

  it('stops its keep-alive timer when destroyed (the client went away)', async () => {
    const body = new SseResponseBody({ retryInterval: 1_000, keepAliveInterval: 20 });
    body.resume();
    body.destroy();
    await once(body, 'close');
    await delay(60);
    assert.equal(body.readableLength, 0);
  });
});

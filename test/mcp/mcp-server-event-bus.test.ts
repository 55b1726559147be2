import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer, type ServerEventBus } from '@modelcontextprotocol/server';
import { SseEventStore } from '../../lib';
import { McpServerEventBus, type McpServerEvent } from '../../lib/mcp';
import { createSseEventStore } from '../../lib/testing';
import { type CacheBackend, createTestCache, uniquePrefix } from '../support/caches';
import { waitFor } from '../support/async';

/** How long a test waits, after the last expected event, for an extra one that must not come. */
const SETTLE_MS = 300;
const TOOLS_CHANGED: McpServerEvent = { kind: 'tools_list_changed' };

/** A store on a cache of its own, as one instance of an application has; the same key prefix for every instance. */
async function openInstance(t: TestContext, backend: CacheBackend, keyPrefix: string): Promise<SseEventStore> {
  const cache = await createTestCache(backend);
  const { store, close } = createSseEventStore({ cache: cache.cache, keyPrefix });
  t.after(async () => {
    await close();
    await cache.close();
  });
  return store;
}

describe('McpServerEventBus', () => {
  it('delivers to this process at once, skips the publishing listener, survives a throwing listener', async (t) => {
    const bus = new McpServerEventBus(await openInstance(t, 'memory', uniquePrefix()));
    const received: string[] = [];
    let echoes = 0;
    const unsubscribeThrowing = bus.subscribe(() => {
      throw new Error('a listener that throws');
    });
    const publisher = (event: McpServerEvent): void => {
      if (event.kind === 'tools_list_changed') bus.publish({ kind: 'prompts_list_changed' });
      else echoes++;
    };
    bus.subscribe(publisher);
    const unsubscribe = bus.subscribe((event) => received.push(event.kind));

    bus.publish(TOOLS_CHANGED);
    // Synchronous: the event published from inside a listener is delivered before publish() returns.
    assert.deepEqual(
      received.toSorted(),
      ['prompts_list_changed', 'tools_list_changed'],
      'each once; the throwing listener did not stop them',
    );
    assert.equal(echoes, 0, 'the listener that published from inside its call did not get its own event');

    unsubscribe();
    unsubscribe(); // idempotent
    unsubscribeThrowing();
    bus.publish({ kind: 'resource_updated', uri: 'file:///a' });
    assert.equal(received.length, 2, 'an unsubscribed listener gets nothing more');
    assert.equal(echoes, 1, 'events published by others reach it');
    assert.throws(() => bus.publish({} as McpServerEvent), TypeError);
  });

  it('refuses a store without a broadcast channel (a fake), with a clear error', () => {
    const fake = Object.create(SseEventStore.prototype) as SseEventStore;
    assert.throws(() => new McpServerEventBus(fake), /needs the store that SseEventStoreModule/);
  });

  it('on Redis, an event published on instance A reaches the listeners of A and B exactly once each', async (t) => {
    const keyPrefix = uniquePrefix();
    const a = new McpServerEventBus(await openInstance(t, 'redis', keyPrefix));
    const b = new McpServerEventBus(await openInstance(t, 'redis', keyPrefix));
    const onA: McpServerEvent[] = [];
    const onB: McpServerEvent[] = [];
    a.subscribe((event) => onA.push(event));
    b.subscribe((event) => onB.push(event));
    await delay(100); // the subscriber connections subscribe to the channel

    a.publish({ kind: 'resource_updated', uri: 'file:///x', params: { note: 'from A' } });
    assert.equal(onA.length, 1, 'A: at once');
    await waitFor(() => onB.length >= 1, 'the event reaches B');
    await delay(SETTLE_MS);
    assert.deepEqual(onA, [{ kind: 'resource_updated', uri: 'file:///x', params: { note: 'from A' } }]);
    assert.deepEqual(onB, onA, 'B: once, the same event');
  });
});

/** An MCP v2 HTTP handler (protocol 2026-07-28) on a bus, served on an ephemeral port. */
async function serveHandler(t: TestContext, bus: ServerEventBus): Promise<{ url: URL; notifyToolsChanged(): void }> {
  const handler = createMcpHandler(
    () => {
      const server = new McpServer({ name: 'bus-test', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
      server.registerTool('noop', { description: 'does nothing' }, async () => ({ content: [] }));
      return server;
    },
    { bus },
  );
  const http: Server = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    await handler.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  const { port } = http.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/mcp`), notifyToolsChanged: () => handler.notify.toolsChanged() };
}

/** A v2 client listening for tools/list_changed; counts what it receives. */
async function listeningClient(t: TestContext, url: URL): Promise<{ received: () => number }> {
  const client = new Client({ name: 'bus-test-client', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  let count = 0;
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    count++;
  });
  await client.connect(new StreamableHTTPClientTransport(url));
  const subscription = await client.listen({ toolsListChanged: true });
  t.after(async () => {
    await subscription.close();
    await client.close();
  });
  return { received: () => count };
}

describe('McpServerEventBus with createMcpHandler (MCP SDK v2, subscriptions/listen)', () => {
  it('tools_list_changed published on instance A reaches subscriptions/listen streams on A and B exactly once each', async (t) => {
    const keyPrefix = uniquePrefix();
    const instanceA = await serveHandler(t, new McpServerEventBus(await openInstance(t, 'redis', keyPrefix)));
    const instanceB = await serveHandler(t, new McpServerEventBus(await openInstance(t, 'redis', keyPrefix)));
    const clientA = await listeningClient(t, instanceA.url);
    const clientB = await listeningClient(t, instanceB.url);
    await delay(100);

    instanceA.notifyToolsChanged();
    await waitFor(() => clientA.received() >= 1 && clientB.received() >= 1, 'both listeners get the change', 10_000);
    await delay(SETTLE_MS);
    assert.equal(clientA.received(), 1, 'instance A: once');
    assert.equal(clientB.received(), 1, 'instance B: once');
  });
});

import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import { WebStandardStreamableHTTPServerTransport as V1Transport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { type JSONRPCMessage, WebStandardStreamableHTTPServerTransport as V2Transport } from '@modelcontextprotocol/server';
import { createParser } from 'eventsource-parser';
import { concatMap } from 'rxjs';
import type {
  SseCreateStreamOptions,
  SseEventInput,
  SseEventStreamReader,
  SseEventStreamWriter,
  SseGetStreamReaderOptions,
} from '../../lib';
import { McpSessionEventStore } from '../../lib/mcp';
import { createSseEventStore, type StandaloneSseEventStore } from '../../lib/testing';
import { waitFor } from '../support/async';
import { CapturingLogger } from '../support/capturing-logger';
import { PROTOCOL_2025_11_25 } from '../support/mcp-http';
import { SpyingSseEventStore } from '../support/spying-sse-event-store';

/**
 * The hand-over from a replay to the resumed connection, on each SDK line's own Streamable HTTP
 * transport: a message stored while a replay runs, once the replay read past its position, must
 * still reach the client. The SDK leaves to the replay what it stores before it registered the
 * resumed connection, which it does only once `replayEventsAfter` resolved.
 */

const SESSION = 'handover-session';
const ENDPOINT = 'http://localhost/mcp';
const CALL_ID = 2;

/** The two SDK lines' transports, which McpSessionEventStore serves alike. */
const SDK_LINES = [
  { line: 'SDK 1.x', create: (eventStore: McpSessionEventStore) => new V1Transport({ sessionIdGenerator: () => SESSION, eventStore }) },
  { line: 'SDK v2', create: (eventStore: McpSessionEventStore) => new V2Transport({ sessionIdGenerator: () => SESSION, eventStore }) },
];

function progress(value: number): JSONRPCMessage {
  return { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'call', progress: value } };
}

const RESULT: JSONRPCMessage = { jsonrpc: '2.0', id: CALL_ID, result: { content: [{ type: 'text', text: 'done' }] } };

/** A store that lets the test act between a read of a stream and the delivery of what was read. */
class InterleavingStore extends SpyingSseEventStore {
  private beforeDelivery?: () => Promise<void>;
  private readonly acknowledgements: { data: unknown; acknowledged: () => void }[] = [];

  /** Runs `step` once, when a reader next got an event and before it hands the event on. */
  beforeNextDelivery(step: () => Promise<void>): void {
    this.beforeDelivery = step;
  }

  /** Resolves once the store acknowledged the write of `data` (a deep-equal one). */
  acknowledgementOf(data: unknown): Promise<void> {
    return new Promise((acknowledged) => this.acknowledgements.push({ data, acknowledged }));
  }

  override async createStream(options: SseCreateStreamOptions): Promise<SseEventStreamWriter> {
    const writer = await super.createStream(options);
    return {
      ...writer,
      write: async <T extends SseEventInput>(event: T) => {
        const written = await writer.write(event);
        const waiting = this.acknowledgements.findIndex(({ data }) => JSON.stringify(data) === JSON.stringify(event.data));
        if (waiting >= 0) this.acknowledgements.splice(waiting, 1)[0].acknowledged();
        return written;
      },
    };
  }

  override async getStreamReader(lastEventId: string, options?: SseGetStreamReaderOptions): Promise<SseEventStreamReader | null> {
    const reader = await super.getStreamReader(lastEventId, options);
    if (!reader) return null;
    return {
      ...reader,
      events: (readOptions) =>
        reader.events(readOptions).pipe(
          concatMap(async (event) => {
            const step = this.beforeDelivery;
            this.beforeDelivery = undefined;
            if (step) await step();
            return event;
          }),
        ),
    };
  }
}

interface ReceivedEvent {
  id?: string;
  data: string;
}

/** The events of an SSE body, read to its end. */
async function eventsOf(response: Response): Promise<ReceivedEvent[]> {
  const events: ReceivedEvent[] = [];
  const parser = createParser({ onEvent: ({ id, data }) => events.push({ id, data }) });
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}

function messagesIn(events: ReceivedEvent[]): unknown[] {
  return events.filter((event) => event.data !== '').map((event) => JSON.parse(event.data));
}

function request(method: 'GET' | 'POST', headers: Record<string, string>, message?: unknown): Request {
  return new Request(ENDPOINT, {
    method,
    headers: {
      accept: method === 'POST' ? 'application/json, text/event-stream' : 'text/event-stream',
      ...(message === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: message === undefined ? undefined : JSON.stringify(message),
  });
}

/**
 * What a transport does with an event store, as the SDK does it, but without the replay
 * de-duplication of SDK 1.32 and v2: a message whose `storeEvent` resolves once the resumed
 * connection is registered is written to it, whether the replay sent it or not.
 */
class TransportWithoutDeduplication {
  /** What the resumed connection got: the replay, then what was sent live. */
  private connection?: [string, JSONRPCMessage][];

  constructor(private readonly eventStore: McpSessionEventStore) {}

  async send(streamId: string, message: JSONRPCMessage): Promise<void> {
    const eventId = await this.eventStore.storeEvent(streamId, message);
    this.connection?.push([eventId, message]);
  }

  /** Replays, then registers the connection in the same step, as the SDK does. */
  async resume(lastEventId: string): Promise<[string, JSONRPCMessage][]> {
    const received: [string, JSONRPCMessage][] = [];
    await this.eventStore.replayEventsAfter(lastEventId, { send: async (eventId, message) => void received.push([eventId, message]) });
    this.connection = received;
    return received;
  }
}

describe('McpSessionEventStore hands a replayed stream over to the resumed connection', () => {
  let standalone: StandaloneSseEventStore;

  before(() => {
    Logger.overrideLogger(new CapturingLogger());
  });

  after(() => {
    Logger.overrideLogger(new Logger());
  });

  beforeEach(() => {
    standalone = createSseEventStore();
  });

  afterEach(() => {
    standalone.close();
  });

  for (const { line, create } of SDK_LINES) {
    test(`${line}: a message stored during the replay, after the replay read past it, is sent live once the connection is registered`, async () => {
      const store = new InterleavingStore(standalone.store);
      const eventStore = new McpSessionEventStore(store, SESSION);
      const transport = create(eventStore);
      transport.onmessage = (message: JSONRPCMessage) => {
        if ('method' in message && message.method === 'initialize' && 'id' in message) {
          void transport.send({
            jsonrpc: '2.0',
            id: message.id,
            result: { protocolVersion: PROTOCOL_2025_11_25, capabilities: {}, serverInfo: { name: 'test', version: '1' } },
          });
        }
      };
      try {
        const session = { 'mcp-session-id': SESSION, 'mcp-protocol-version': PROTOCOL_2025_11_25 };
        const initialize = await transport.handleRequest(
          request(
            'POST',
            {},
            {
              jsonrpc: '2.0',
              id: 1,
              method: 'initialize',
              params: { protocolVersion: PROTOCOL_2025_11_25, capabilities: {}, clientInfo: { name: 'test', version: '1' } },
            },
          ),
        );
        assert.equal(initialize.status, 200);
        await eventsOf(initialize);

        const call = await transport.handleRequest(
          request('POST', session, { jsonrpc: '2.0', id: CALL_ID, method: 'tools/call', params: { name: 'countdown' } }),
        );
        assert.equal(call.status, 200);
        await transport.send(progress(1), { relatedRequestId: CALL_ID });
        transport.closeSSEStream(CALL_ID); // the client's connection is gone
        const [priming, first] = await eventsOf(call);
        assert.equal(priming.data, '', 'the POST stream opened with a priming event');
        assert.deepEqual(messagesIn([first]), [progress(1)]);
        await transport.send(progress(2), { relatedRequestId: CALL_ID }); // stored for the replay

        // The client reconnects. Once the replay has read the stream, and before it sends what it
        // read, the tool sends progress 3 and the store acknowledges it.
        let sentDuringReplay: Promise<void> | undefined;
        store.beforeNextDelivery(async () => {
          const stored = store.acknowledgementOf(progress(3));
          sentDuringReplay = transport.send(progress(3), { relatedRequestId: CALL_ID });
          await stored;
          // Whatever the acknowledgement sets off in the SDK runs before the replay goes on.
          await new Promise((resolve) => setImmediate(resolve));
        });
        const resumed = await transport.handleRequest(request('GET', { ...session, 'last-event-id': first.id! }));
        assert.equal(resumed.status, 200);
        assert.ok(sentDuringReplay, 'progress 3 was sent while the replay ran');
        await sentDuringReplay;
        await transport.send(RESULT);

        const received = await eventsOf(resumed);
        assert.deepEqual(
          messagesIn(received),
          [progress(2), progress(3), RESULT],
          'progress 2 replayed, progress 3 and the result live, each once',
        );
        const ids = [first.id, ...received.map((event) => event.id)];
        assert.equal(new Set(ids).size, ids.length, 'every event with an id of its own');
      } finally {
        await transport.close();
        await eventStore.close();
      }
    });
  }

  test('a message the replay sent while its write was in flight is not sent live again, even by an SDK that does not skip it', async () => {
    const store = new SpyingSseEventStore(standalone.store);
    const eventStore = new McpSessionEventStore(store, SESSION);
    const transport = new TransportWithoutDeduplication(eventStore);
    try {
      const first = await eventStore.storeEvent('call-stream', progress(1));
      const held = store.holdWrite((_streamId, event) => JSON.stringify(event.data) === JSON.stringify(progress(2)));
      const sending = transport.send('call-stream', progress(2));
      await held.arrived;

      const resuming = transport.resume(first);
      await waitFor(() => store.readsFinished >= 1, 'the first read of the replay');
      held.release(); // stored while the replay waits for it: the replay reads it again and sends it
      await sending;
      await transport.send('call-stream', progress(3)); // after the hand-over: live

      const connection = await resuming;
      assert.deepEqual(
        connection.map(([, message]) => message),
        [progress(2), progress(3)],
        'progress 2 once, from the replay; progress 3 once, live',
      );
    } finally {
      await eventStore.close();
    }
  });
});

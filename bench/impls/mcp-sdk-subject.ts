import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { now } from '../support/timing';
import type { BenchSubject, StreamAddress, SubjectSpec } from './bench-subject';

/** Thrown from `send` to end a replay early: the SDK's store offers no other way to stop one. */
class StopReplay extends Error {}

/**
 * The MCP TypeScript SDK's example `InMemoryEventStore`, as an SDK user would plug it in. It has
 * no sessions and no live readers (the SDK transport delivers live events itself), so `follow`
 * is absent. Like the SDK's transport, opening a stream stores a priming event (`{}`), which is
 * what a resume "from the start" resumes after.
 */
export function createMcpSdkSubject(spec: SubjectSpec): BenchSubject {
  const store = new InMemoryEventStore();
  const primingIds = new Map<string, string>();
  // The SDK store takes the text before the first '_' of an event id as its stream id.
  const streamIdOf = (address: StreamAddress): string => `${address.sessionId}-${address.streamId}`.replaceAll('_', '-');

  return {
    spec,
    // The example store keeps every event in one Map and never drops any.
    heldEntries: () => (store as unknown as { events: Map<string, unknown> }).events.size,
    async openWriter(address) {
      const streamId = streamIdOf(address);
      primingIds.set(streamId, await store.storeEvent(streamId, {} as JSONRPCMessage));
      return {
        write: (data) => store.storeEvent(streamId, data as unknown as JSONRPCMessage),
        complete: async () => undefined,
      };
    },
    async replay(address, request) {
      const afterId = request.afterId ?? primingIds.get(streamIdOf(address));
      if (afterId === undefined) throw new Error(`mcp-sdk: stream '${address.streamId}' was never written`);
      let delivered = 0;
      try {
        await store.replayEventsAfter(afterId, {
          send: async (_eventId, message) => {
            request.onEvent?.(message);
            if (++delivered >= request.count || now() >= request.deadline) throw new StopReplay();
          },
        });
      } catch (error) {
        if (!(error instanceof StopReplay)) throw error;
      }
      return delivered;
    },
    async close() {},
  };
}

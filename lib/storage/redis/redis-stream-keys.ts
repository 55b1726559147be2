import { encodeIdPart } from '../../event-id/event-id.codec';
import type { SseStreamAddress } from '../../interfaces/sse-event.interface';
import { KeyNamespace } from '../../encoding/key-namespace';

/**
 * Version of the native Redis layout. Its keys live under the session root of {@link KeyNamespace}
 * (so they share the session's hash tag and the library's key version) in a namespace of their
 * own, `r1:`: generic and native data never share a key, and a change of this layout gets a new
 * marker instead of reading old entries.
 */
export const REDIS_LAYOUT_VERSION = 'r1';

/** The keys of one stream, computed once per writer or read. */
export interface RedisStreamKeySet {
  /** Set once the session is deleted (a string). */
  tombstone: string;
  /** The stream's state (a hash: mode, completed, first and last sequence, write times). */
  metadata: string;
  /** The events (a Redis Stream; entry ids are `<sequence>-<written at, ms>`). */
  events: string;
}

/**
 * Key layout of the native Redis storage:
 *
 * - `<prefix>:v1:{<session>}:r1:d` — session tombstone
 * - `<prefix>:v1:{<session>}:r1:i` — session index: a set of encoded stream ids
 * - `<prefix>:v1:{<session>}:r1:m:<stream>` — stream metadata (hash)
 * - `<prefix>:v1:{<session>}:r1:e:<stream>` — stream events (Redis Stream)
 *
 * `<session>` and `<stream>` are base64url, so any id is safe. `{<session>}` is the Redis Cluster
 * hash tag: every key of a session hashes to one slot, so each script and multi-key command stays
 * in that slot. Wake-up channels are not part of the layout: they belong to the wake-ups.
 */
export class RedisStreamKeys {
  private readonly namespace: KeyNamespace;

  constructor(keyPrefix: string) {
    this.namespace = new KeyNamespace(keyPrefix);
  }

  /** Every key of the session starts with this. */
  sessionRoot(sessionId: string): string {
    return `${this.namespace.sessionRoot(sessionId)}${REDIS_LAYOUT_VERSION}:`;
  }

  /** Read by a probe of the server (routed by it on a cluster); never written. */
  get probe(): string {
    return this.namespace.probeKey;
  }

  stream(address: SseStreamAddress): RedisStreamKeySet {
    const [metadata, events] = this.streamKeysOf(address.sessionId, this.indexMember(address.streamId));
    return { tombstone: this.tombstone(address.sessionId), metadata, events };
  }

  tombstone(sessionId: string): string {
    return `${this.sessionRoot(sessionId)}d`;
  }

  index(sessionId: string): string {
    return `${this.sessionRoot(sessionId)}i`;
  }

  /** How a stream is recorded in its session's index: the encoded id, the last part of its keys. */
  indexMember(streamId: string): string {
    return encodeIdPart(streamId);
  }

  /** The stream's metadata and events keys, from its index member. */
  streamKeysOf(sessionId: string, member: string): [metadata: string, events: string] {
    const root = this.sessionRoot(sessionId);
    return [`${root}m:${member}`, `${root}e:${member}`];
  }
}

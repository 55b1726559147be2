import { encodeIdPart } from '../event-id/event-id.codec';
import { KeyNamespace } from '../encoding/key-namespace';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';

/**
 * Cache keys of the generic path. Ids are base64url-encoded, so any characters are safe and two
 * different (session, stream) pairs never share a key; the session part is a Redis Cluster hash
 * tag (see {@link KeyNamespace}), so every key of a session lives in one slot.
 */
export class CacheKeys {
  private readonly namespace: KeyNamespace;

  constructor(keyPrefix: string) {
    this.namespace = new KeyNamespace(keyPrefix);
  }

  /** Read by a probe of the cache; never written. */
  get probe(): string {
    return this.namespace.probeKey;
  }

  /** Every key of a session starts with this; it ends with the session's hash tag and a colon. */
  sessionRoot(sessionId: string): string {
    return this.namespace.sessionRoot(sessionId);
  }

  /** Prefix of the event keys of a stream; the sequence follows. */
  eventPrefix(address: SseStreamAddress): string {
    return `${this.sessionRoot(address.sessionId)}e:${encodeIdPart(address.streamId)}:`;
  }

  metadata(address: SseStreamAddress): string {
    return `${this.sessionRoot(address.sessionId)}m:${encodeIdPart(address.streamId)}`;
  }

  /** The session's list of stream ids. */
  sessionIndex(sessionId: string): string {
    return `${this.sessionRoot(sessionId)}i`;
  }

  /** Present once the session was deleted. */
  sessionTombstone(sessionId: string): string {
    return `${this.sessionRoot(sessionId)}d`;
  }
}

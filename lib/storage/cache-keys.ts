import { encodeIdPart } from '../event-id/event-id.codec';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import { STORAGE_FORMAT_VERSION } from '../sse-event-store.constants';

/**
 * Cache keys. Ids are base64url-encoded, so any characters are safe and two different
 * (session, stream) pairs never share a key; the session part is a Redis Cluster hash tag, so
 * every key of a session lives in one slot.
 */
export class CacheKeys {
  private readonly root: string;

  constructor(keyPrefix: string) {
    this.root = `${keyPrefix}:${STORAGE_FORMAT_VERSION}:`;
  }

  /** Every key and channel of a session starts with this; it ends with the session's hash tag and a colon. */
  sessionRoot(sessionId: string): string {
    // Redis ignores an empty hash tag ('{}'), which would scatter the empty session's keys over
    // slots; '.' is outside the base64url alphabet, so it stands for '' and nothing else.
    return `${this.root}{${encodeIdPart(sessionId) || '.'}}:`;
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

  /** Pub/sub channel that wakes the readers of a stream. */
  streamChannel(address: SseStreamAddress): string {
    return `${this.sessionRoot(address.sessionId)}w:${encodeIdPart(address.streamId)}`;
  }

  /** Pub/sub channel that wakes every reader of a session (when it is deleted). */
  sessionChannel(sessionId: string): string {
    return `${this.sessionRoot(sessionId)}w`;
  }

  /**
   * Pub/sub channel of a broadcast topic (messages of the application's own, such as MCP's
   * `ServerEventBus`, on the wake-up connection); outside every session.
   */
  broadcastChannel(topic: string): string {
    return `${this.root}b:${encodeIdPart(topic)}`;
  }

  /** Present once the session was deleted. */
  sessionTombstone(sessionId: string): string {
    return `${this.sessionRoot(sessionId)}d`;
  }
}

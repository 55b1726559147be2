import { encodeIdPart } from '../event-id/event-id.codec';
import { STORAGE_FORMAT_VERSION } from '../sse-event-store.constants';

/**
 * The namespace every key and pub/sub channel of a store lives in: `<keyPrefix>:<format version>:`,
 * then, for what belongs to a session, the session's Redis Cluster hash tag. Storage keys and
 * wake-up channels both build on it, so a session's keys and channels share one slot.
 */
export class KeyNamespace {
  /** Every key and channel of the store starts with this. */
  readonly root: string;

  constructor(keyPrefix: string) {
    this.root = `${keyPrefix}:${STORAGE_FORMAT_VERSION}:`;
  }

  /** A key no stream or session uses: what a probe of the backend reads. */
  get probeKey(): string {
    return `${this.root}probe`;
  }

  /** Every key and channel of a session starts with this; it ends with the session's hash tag and a colon. */
  sessionRoot(sessionId: string): string {
    // Redis ignores an empty hash tag ('{}'), which would scatter the empty session's keys over
    // slots; '.' is outside the base64url alphabet, so it stands for '' and nothing else.
    return `${this.root}{${encodeIdPart(sessionId) || '.'}}:`;
  }
}

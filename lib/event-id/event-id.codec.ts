import type { SseStreamAddress } from '../interfaces/sse-event.interface';

/** A parsed event id: the stream it belongs to and its sequence number in that stream. */
export interface EventPosition extends SseStreamAddress {
  sequence: number;
}

const SEPARATOR = '.';
const BASE64URL = /^[A-Za-z0-9_-]*$/;
// Sequence 0 means "before the first event"; no leading zeros, at most 16 digits (then checked against MAX_SAFE_INTEGER).
const SEQUENCE = /^(?:0|[1-9][0-9]{0,15})$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** base64url without padding: safe in ids and keys, and free of `.`, `:` and Redis hash-tag braces. */
export function encodeIdPart(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** Decodes a part only if it is the canonical encoding of valid UTF-8; otherwise `undefined`. */
function decodeIdPart(part: string): string | undefined {
  if (!BASE64URL.test(part) || part.length % 4 === 1) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) return undefined;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Event ids: `base64url(sessionId).base64url(streamId).sequence`. They are unique across all
 * streams of a session and round-trip any session or stream id. Parsing is strict and bounded:
 * anything else gives `undefined`, never a throw.
 */
export class EventIdCodec {
  private readonly maxLength: number;

  constructor(maxIdLength: number) {
    // A UTF-8 character is at most 4 bytes, and base64 turns 3 bytes into 4 characters.
    const maxPartLength = Math.ceil((maxIdLength * 4 * 4) / 3);
    this.maxLength = 2 * maxPartLength + 2 * SEPARATOR.length + 16;
  }

  /** The part of every id of a stream that comes before the sequence; computed once per writer. */
  streamPrefix(address: SseStreamAddress): string {
    return encodeIdPart(address.sessionId) + SEPARATOR + encodeIdPart(address.streamId) + SEPARATOR;
  }

  format(address: SseStreamAddress, sequence: number): string {
    return this.streamPrefix(address) + sequence;
  }

  parse(id: unknown): EventPosition | undefined {
    if (typeof id !== 'string' || id.length > this.maxLength) return undefined;
    const parts = id.split(SEPARATOR);
    if (parts.length !== 3) return undefined;
    const [sessionPart, streamPart, sequencePart] = parts;
    if (!SEQUENCE.test(sequencePart)) return undefined;
    const sequence = Number(sequencePart);
    if (!Number.isSafeInteger(sequence)) return undefined;
    const sessionId = decodeIdPart(sessionPart);
    const streamId = decodeIdPart(streamPart);
    if (sessionId === undefined || streamId === undefined) return undefined;
    return { sessionId, streamId, sequence };
  }
}

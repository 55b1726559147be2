import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import { decodeCanonicalBase64url } from './base64url';
import type { EventIdFormat, EventPosition, StreamEventIds } from './event-id-format.interface';

const SEPARATOR = '.';
// Sequence 0 means "before the first event"; no leading zeros, at most 16 digits (then checked against MAX_SAFE_INTEGER).
const SEQUENCE = /^(?:0|[1-9][0-9]{0,15})$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** base64url without padding: safe in ids and keys, and free of `.`, `:` and Redis hash-tag braces. */
export function encodeIdPart(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

/** Decodes a part only if it is the canonical encoding of valid UTF-8; otherwise `undefined`. */
function decodeIdPart(part: string): string | undefined {
  const bytes = decodeCanonicalBase64url(part);
  if (!bytes) return undefined;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Parses a decimal sequence number as ids write it: no sign, no leading zeros, a safe integer.
 * `undefined` for anything else.
 */
export function parseSequence(text: string): number | undefined {
  if (!SEQUENCE.test(text)) return undefined;
  const sequence = Number(text);
  return Number.isSafeInteger(sequence) ? sequence : undefined;
}

/**
 * The plain event id format (the default): `base64url(sessionId).base64url(streamId).sequence`.
 * Ids are unique across all streams of a session and round-trip any session or stream id.
 * Parsing is strict and bounded: anything else gives `undefined`, never a throw.
 */
export class EventIdCodec implements EventIdFormat {
  private readonly maxLength: number;

  constructor(maxIdLength: number) {
    // A UTF-8 character is at most 4 bytes, and base64 turns 3 bytes into 4 characters.
    const maxPartLength = Math.ceil((maxIdLength * 4 * 4) / 3);
    this.maxLength = 2 * maxPartLength + 2 * SEPARATOR.length + 16;
  }

  /** The part of every id of a stream that comes before the sequence. */
  streamPrefix(address: SseStreamAddress): string {
    return encodeIdPart(address.sessionId) + SEPARATOR + encodeIdPart(address.streamId) + SEPARATOR;
  }

  forStream(address: SseStreamAddress): StreamEventIds {
    const prefix = this.streamPrefix(address);
    return (sequence) => prefix + sequence;
  }

  format(address: SseStreamAddress, sequence: number): string {
    return this.streamPrefix(address) + sequence;
  }

  parse(id: unknown): EventPosition | undefined {
    if (typeof id !== 'string' || id.length > this.maxLength) return undefined;
    const parts = id.split(SEPARATOR);
    if (parts.length !== 3) return undefined;
    const [sessionPart, streamPart, sequencePart] = parts;
    const sequence = parseSequence(sequencePart);
    if (sequence === undefined) return undefined;
    const sessionId = decodeIdPart(sessionPart);
    const streamId = decodeIdPart(streamPart);
    if (sessionId === undefined || streamId === undefined) return undefined;
    return { sessionId, streamId, sequence };
  }
}

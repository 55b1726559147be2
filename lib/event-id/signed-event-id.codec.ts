import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { SseStreamAddress } from '../interfaces/sse-event.interface';
import { decodeCanonicalBase64url } from './base64url';
import { parseSequence } from './event-id.codec';
import type { EventIdFormat, EventPosition, StreamEventIds } from './event-id-format.interface';

/** Shortest accepted secret, in bytes (UTF-8 for strings): the 256 bits of the keys derived from it. */
export const MIN_EVENT_ID_SECRET_BYTES = 32;

/** A secret as the `eventIdSecret` option takes it. */
export type EventIdSecret = string | Buffer;

const SEPARATOR = '.';
const KEY_BYTES = 32;
/** Synthetic IV: the first 16 bytes of an HMAC of the plaintext. */
const SIV_BYTES = 16;
/** The session id's length, before the session and stream ids in the plaintext. */
const LENGTH_BYTES = 4;
/** 128-bit MAC: forging one takes about 2^128 guesses. */
const MAC_BYTES = 16;
const MAC_TEXT_LENGTH = Math.ceil((MAC_BYTES * 4) / 3);
const KEY_DERIVATION_INFO = 'nestjs-sse-event-store event-id v1';
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The three independent keys derived from one secret. */
interface EventIdKeys {
  /** Derives the synthetic IV from the plaintext. */
  siv: Buffer;
  /** AES-256-CTR key of the stream token. */
  encryption: Buffer;
  /** HMAC-SHA256 key of the id's MAC. */
  mac: Buffer;
}

/**
 * Signed, opaque event ids (the `eventIdSecret` option): `token.sequence.mac`.
 *
 * - `token` is base64url(`iv ‖ AES-256-CTR(iv, len(session) ‖ session ‖ stream)`), where `iv` is
 *   an HMAC of that plaintext. This is the SIV construction (RFC 5297, with HMAC-SHA256 in place
 *   of CMAC, which node:crypto lacks): deterministic, so a stream's token is computed once per
 *   writer or reader and every id of the stream shares it, and safe without a random nonce,
 *   because the IV differs whenever the plaintext does. The session and stream ids are not
 *   readable in it; only their combined length shows.
 * - `mac` is base64url(HMAC-SHA256(`token.sequence`)), truncated to 128 bits: it binds the
 *   sequence to the stream, so a changed sequence, a token of another stream or an id made
 *   without the secret is refused. It is checked first, in constant time, before decrypting.
 *
 * Every secret yields its own keys (HKDF-SHA256). The first secret signs; all of them verify,
 * so a new secret can be rolled out while ids signed with the previous one still resume.
 */
export class SignedEventIdCodec implements EventIdFormat {
  private readonly keys: readonly EventIdKeys[];
  private readonly maxLength: number;

  /** @param secrets The first signs, every one verifies; at least one, each at least {@link MIN_EVENT_ID_SECRET_BYTES}. */
  constructor(secrets: readonly EventIdSecret[], maxIdLength: number) {
    if (secrets.length === 0) throw new RangeError('A signed event id codec needs at least one secret.');
    this.keys = secrets.map(deriveKeys);
    // A UTF-8 character is at most 4 bytes, and base64 turns 3 bytes into 4 characters.
    const maxTokenLength = Math.ceil(((SIV_BYTES + LENGTH_BYTES + 2 * maxIdLength * 4) * 4) / 3);
    this.maxLength = maxTokenLength + SEPARATOR.length + 16 + SEPARATOR.length + MAC_TEXT_LENGTH;
  }

  forStream(address: SseStreamAddress): StreamEventIds {
    const signing = this.keys[0];
    const token = seal(address, signing);
    return (sequence) => {
      const body = token + SEPARATOR + sequence;
      return body + SEPARATOR + macOf(signing, body).toString('base64url');
    };
  }

  format(address: SseStreamAddress, sequence: number): string {
    return this.forStream(address)(sequence);
  }

  parse(id: unknown): EventPosition | undefined {
    if (typeof id !== 'string' || id.length > this.maxLength) return undefined;
    const parts = id.split(SEPARATOR);
    if (parts.length !== 3) return undefined;
    const [tokenText, sequenceText, macText] = parts;
    const sequence = parseSequence(sequenceText);
    const mac = decodeCanonicalBase64url(macText);
    if (sequence === undefined || mac?.length !== MAC_BYTES) return undefined;
    const body = tokenText + SEPARATOR + sequenceText;
    const keys = this.keys.find((candidate) => timingSafeEqual(macOf(candidate, body), mac));
    if (!keys) return undefined;
    const token = decodeCanonicalBase64url(tokenText);
    const address = token && open(token, keys);
    return address && { ...address, sequence };
  }
}

function deriveKeys(secret: EventIdSecret): EventIdKeys {
  const material = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_DERIVATION_INFO, 3 * KEY_BYTES));
  return {
    siv: material.subarray(0, KEY_BYTES),
    encryption: material.subarray(KEY_BYTES, 2 * KEY_BYTES),
    mac: material.subarray(2 * KEY_BYTES),
  };
}

function macOf(keys: EventIdKeys, body: string): Buffer {
  return createHmac('sha256', keys.mac).update(body).digest().subarray(0, MAC_BYTES);
}

function seal({ sessionId, streamId }: SseStreamAddress, keys: EventIdKeys): string {
  const session = Buffer.from(sessionId, 'utf8');
  const length = Buffer.alloc(LENGTH_BYTES);
  length.writeUInt32BE(session.length);
  // The length prefix keeps (session, stream) pairs apart whatever characters the ids contain.
  const plaintext = Buffer.concat([length, session, Buffer.from(streamId, 'utf8')]);
  const iv = createHmac('sha256', keys.siv).update(plaintext).digest().subarray(0, SIV_BYTES);
  const cipher = createCipheriv('aes-256-ctr', keys.encryption, iv);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]).toString('base64url');
}

/** The address in a token whose MAC was verified with `keys`; `undefined` if it is malformed all the same. */
function open(token: Buffer, keys: EventIdKeys): SseStreamAddress | undefined {
  if (token.length < SIV_BYTES + LENGTH_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-ctr', keys.encryption, token.subarray(0, SIV_BYTES));
  const plaintext = Buffer.concat([decipher.update(token.subarray(SIV_BYTES)), decipher.final()]);
  const sessionLength = plaintext.readUInt32BE(0);
  if (sessionLength > plaintext.length - LENGTH_BYTES) return undefined;
  try {
    return {
      sessionId: strictUtf8.decode(plaintext.subarray(LENGTH_BYTES, LENGTH_BYTES + sessionLength)),
      streamId: strictUtf8.decode(plaintext.subarray(LENGTH_BYTES + sessionLength)),
    };
  } catch {
    return undefined;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url only if `text` is the canonical encoding of the bytes (so every
 * byte string has exactly one accepted text form); otherwise `undefined`, never a throw.
 */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

// RFC 4648 §5: base64url without padding, the encoding of every BufferSource in WebAuthn's JSON forms.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

type ToBase64 = (this: Uint8Array, options: { alphabet: 'base64url'; omitPadding: true }) => string;
/**
 * The engine's own encoder (Uint8Array.prototype.toBase64: Chromium 140+, Firefox 133+), where it has one: a sign-in
 * encodes its client data, authenticator data and signature, and this took about a tenth of the time of the loop
 * below in Chromium's service worker (measured). Node 20 has none, so the unit tests run the loop.
 */
const nativeToBase64 = (Uint8Array.prototype as { toBase64?: ToBase64 }).toBase64;

export function encode(bytes: Uint8Array): string {
  if (nativeToBase64) return nativeToBase64.call(bytes, { alphabet: 'base64url', omitPadding: true });
  return encodeLoop(bytes);
}

/** RFC 4648 §5 by hand: for engines without toBase64 (exported for the tests that compare the two). */
export function encodeLoop(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/** Strict decoder: rejects padding, other alphabets, a dangling character and non-zero trailing bits. */
export function decode(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`base64url: expected string, got ${typeof text}`);
  if (text.length % 4 === 1) throw new RangeError('base64url: invalid length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new RangeError(`base64url: invalid character at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new RangeError('base64url: non-zero trailing bits');
  return out;
}

/** Whether decode() would accept `text`, without decoding it (every request's challenge and ids are checked). */
export function isBase64url(text: unknown): text is string {
  if (typeof text !== 'string' || text.length % 4 === 1) return false;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) return false;
  }
  // The last character's unused low bits: 4 of them after 2 characters in a group, 2 after 3.
  const tail = text.length % 4;
  return tail === 2 ? (v & 15) === 0 : tail === 3 ? (v & 3) === 0 : true;
}

/** Base64 as people paste it: standard (RFC 4648 §4) or url-safe, padded or not. Still strict about the rest. */
export function decodeAnyBase64(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`base64: expected string, got ${typeof text}`);
  const unpadded = text.replace(/={1,2}$/, '');
  if (/[+/]/.test(unpadded) && /[-_]/.test(unpadded)) throw new RangeError('base64: mixes the standard and url-safe alphabets');
  return decode(unpadded.replace(/\+/g, '-').replace(/\//g, '_'));
}

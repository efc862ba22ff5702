// WebAuthn L3 §10.1.4 Pseudo-random function extension (prf), evaluated the way CTAP2's hmac-secret
// does it: salt = SHA-256("WebAuthn PRF" || 0x00 || input), output = HMAC-SHA-256(credential secret, salt).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decode, encode } from './base64url.ts';

const PREFIX = new TextEncoder().encode('WebAuthn PRF\0');

export function prfSalt(input: Uint8Array): Uint8Array {
  const m = new Uint8Array(PREFIX.length + input.length);
  m.set(PREFIX);
  m.set(input, PREFIX.length);
  return sha256(m);
}

export function evaluatePrf(secret: Uint8Array, values: { first: string; second?: string }): { first: string; second?: string } {
  const out: { first: string; second?: string } = { first: encode(hmac(sha256, secret, prfSalt(decode(values.first)))) };
  if (values.second !== undefined) out.second = encode(hmac(sha256, secret, prfSalt(decode(values.second))));
  return out;
}

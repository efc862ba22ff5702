// WebAuthn L3 §10.1.4 Pseudo-random function extension (prf), evaluated the way CTAP2's hmac-secret does it.
// The client's half: salt = SHA-256("WebAuthn PRF" || 0x00 || input). The authenticator's half:
// output = HMAC-SHA-256(credential secret, salt).
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decode, encode } from './base64url.ts';

const PREFIX = new TextEncoder().encode('WebAuthn PRF\0');

export interface PrfSalts {
  first: Uint8Array;
  second?: Uint8Array;
}
export interface PrfOutputs {
  first: Uint8Array;
  second?: Uint8Array;
}
type PrfValuesJSON = { first: string; second?: string };

/** The client's half: a PRF input (base64url, as the JSON options carry it) to a hmac-secret salt. */
export function prfSalt(input: Uint8Array): Uint8Array {
  const m = new Uint8Array(PREFIX.length + input.length);
  m.set(PREFIX);
  m.set(input, PREFIX.length);
  return sha256(m);
}

export function prfSalts(values: PrfValuesJSON): PrfSalts {
  const salts: PrfSalts = { first: prfSalt(decode(values.first)) };
  if (values.second !== undefined) salts.second = prfSalt(decode(values.second));
  return salts;
}

/** The authenticator's half (hmac-secret). */
export function hmacSecret(secret: Uint8Array, salts: PrfSalts): PrfOutputs {
  const out: PrfOutputs = { first: hmac(sha256, secret, salts.first) };
  if (salts.second !== undefined) out.second = hmac(sha256, secret, salts.second);
  return out;
}

export function encodePrfOutputs(out: PrfOutputs): PrfValuesJSON {
  return out.second === undefined ? { first: encode(out.first) } : { first: encode(out.first), second: encode(out.second) };
}

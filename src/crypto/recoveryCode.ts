// Recovery codes: 144 random bits and a 16-bit checksum (the first two bytes of SHA-256 of the
// random part), 160 bits written as 32 Crockford base32 characters in eight groups of four.
// The checksum catches a typo before any key is derived or any network call is made.
import { sha256 } from '@noble/hashes/sha2.js';
import { hkdf } from '@noble/hashes/hkdf.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford: no I, L, O, U
const ENTROPY_BYTES = 18;

export class RecoveryCodeError extends Error {
  override name = 'RecoveryCodeError';
}

function toBase32(bytes: Uint8Array): string {
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

export function generateRecoveryCode(): { code: string; entropy: Uint8Array } {
  const entropy = globalThis.crypto.getRandomValues(new Uint8Array(ENTROPY_BYTES));
  return { code: formatRecoveryCode(entropy), entropy };
}

export function formatRecoveryCode(entropy: Uint8Array): string {
  const sum = sha256(entropy).subarray(0, 2);
  const all = new Uint8Array(ENTROPY_BYTES + 2);
  all.set(entropy);
  all.set(sum, ENTROPY_BYTES);
  return toBase32(all).match(/.{4}/g)!.join('-');
}

/** Parses what a person typed: case, spaces and dashes are free; I/L read as 1 and O as 0 (Crockford). */
export function parseRecoveryCode(input: string): Uint8Array {
  const chars = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (chars.length !== 32) throw new RecoveryCodeError(`A recovery code has 32 characters; this one has ${chars.length}.`);
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  for (const ch of chars) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new RecoveryCodeError(`"${ch}" is not a character of a recovery code.`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  const all = Uint8Array.from(out);
  const entropy = all.slice(0, ENTROPY_BYTES);
  const sum = sha256(entropy);
  if (sum[0] !== all[ENTROPY_BYTES] || sum[1] !== all[ENTROPY_BYTES + 1]) {
    throw new RecoveryCodeError('This recovery code has a typo: its checksum does not match. Check each group.');
  }
  return entropy;
}

/** RFC 5869 HKDF-SHA256 with a distinct label per use (wrapping key, sync lookup id, sync token). */
export function deriveFromRecovery(entropy: Uint8Array, label: 'wrap' | 'lookup' | 'token'): Uint8Array {
  return hkdf(sha256, entropy, undefined, new TextEncoder().encode(`keyport/recovery/${label}/v1`), 32);
}

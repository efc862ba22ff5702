// Bitwarden's password-protected export crypto, as bitwarden/clients does it:
// - key: KDF(password, salt) with the salt string's UTF-8 bytes as PBKDF2's salt, or SHA-256 of them as
//   Argon2id's (libs/key-management key-generation.service deriveKeyFromPassword; Argon2 memory in MiB);
// - "stretched" into a 64-byte key: HKDF-Expand (RFC 5869 §2.3, no Extract) with info "enc" and "mac",
//   32 bytes each (stretchKey);
// - EncString type 2 (AesCbc256_HmacSha256_B64): "2." + b64(iv) + "|" + b64(ct) + "|" + b64(mac), AES-256-CBC
//   with PKCS#7 padding, mac = HMAC-SHA-256(macKey, iv || ct), checked before anything is decrypted.
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { expand } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64, encodeBase64 } from './base64.ts';

export type BitwardenKdf = { type: 'pbkdf2'; iterations: number } | { type: 'argon2id'; iterations: number; memory: number; parallelism: number };

/** KdfType in the file: 0 PBKDF2_SHA256, 1 Argon2id. */
export const KDF_TYPE = { pbkdf2: 0, argon2id: 1 } as const;

/**
 * Bounds Bitwarden accepts on import (libs/importer/.../password-protected-kdf-config.ts): PBKDF2 5000 to
 * 2 000 000 iterations; Argon2id 2 to 10 iterations, 16 to 1024 MiB, parallelism 1 to 16. A file's parameters
 * are attacker-controlled, so they are checked before deriving anything.
 */
export const KDF_BOUNDS = {
  pbkdf2: { iterations: [5000, 2_000_000] },
  argon2id: { iterations: [2, 10], memory: [16, 1024], parallelism: [1, 16] },
} as const;

/** What Bitwarden writes today: Argon2id 3 iterations, 64 MiB, parallelism 4 (Argon2KdfConfig defaults), or PBKDF2 600 000. */
export const DEFAULT_ARGON2ID: BitwardenKdf = { type: 'argon2id', iterations: 3, memory: 64, parallelism: 4 };
export const DEFAULT_PBKDF2: BitwardenKdf = { type: 'pbkdf2', iterations: 600_000 };

const inRange = (x: number, [lo, hi]: readonly [number, number]) => Number.isSafeInteger(x) && x >= lo && x <= hi;

/** Returns a sentence when the parameters are outside the bounds, else undefined. */
export function kdfProblem(kdf: BitwardenKdf): string | undefined {
  if (kdf.type === 'pbkdf2') {
    return inRange(kdf.iterations, KDF_BOUNDS.pbkdf2.iterations) ? undefined : `PBKDF2 iterations must be between 5000 and 2000000, not ${kdf.iterations}`;
  }
  const b = KDF_BOUNDS.argon2id;
  if (!inRange(kdf.iterations, b.iterations)) return `Argon2id iterations must be between 2 and 10, not ${kdf.iterations}`;
  if (!inRange(kdf.memory, b.memory)) return `Argon2id memory must be between 16 and 1024 MiB, not ${kdf.memory}`;
  if (!inRange(kdf.parallelism, b.parallelism)) return `Argon2id parallelism must be between 1 and 16, not ${kdf.parallelism}`;
  return undefined;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** 32 bytes from the password (deriveKeyFromPassword). */
async function deriveMasterKey(password: string, salt: string, kdf: BitwardenKdf): Promise<Uint8Array> {
  const pw = utf8(password);
  try {
    if (kdf.type === 'pbkdf2') {
      const subtle = globalThis.crypto.subtle;
      const base = await subtle.importKey('raw', pw as BufferSource, 'PBKDF2', false, ['deriveBits']);
      const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: utf8(salt) as BufferSource, iterations: kdf.iterations }, base, 256);
      return new Uint8Array(bits);
    }
    return await argon2idAsync(pw, sha256(utf8(salt)), {
      t: kdf.iterations,
      m: kdf.memory * 1024,
      p: kdf.parallelism,
      dkLen: 32,
      maxmem: 1024 * 1024 * 1024 + 1,
      asyncTick: 20,
    });
  } finally {
    pw.fill(0);
  }
}

export interface StretchedKey {
  encKey: Uint8Array;
  macKey: Uint8Array;
}

/** The export key: stretchKey(deriveKeyFromPassword(password, salt, kdf)). */
export async function deriveExportKey(password: string, salt: string, kdf: BitwardenKdf): Promise<StretchedKey> {
  const problem = kdfProblem(kdf);
  if (problem) throw new RangeError(problem);
  const master = await deriveMasterKey(password, salt, kdf);
  try {
    return { encKey: expand(sha256, master, utf8('enc'), 32), macKey: expand(sha256, master, utf8('mac'), 32) };
  } finally {
    master.fill(0);
  }
}

export function wipeKey(key: StretchedKey): void {
  key.encKey.fill(0);
  key.macKey.fill(0);
}

function macOf(key: StretchedKey, iv: Uint8Array, ct: Uint8Array): Uint8Array {
  const m = new Uint8Array(iv.length + ct.length);
  m.set(iv);
  m.set(ct, iv.length);
  return hmac(sha256, key.macKey, m);
}

function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Why an EncString could not be opened. */
export class EncStringError extends Error {
  override name = 'EncStringError';
  constructor(
    message: string,
    readonly reason: 'malformed' | 'mac',
  ) {
    super(message);
  }
}

export async function encryptString(plain: string, key: StretchedKey): Promise<string> {
  const subtle = globalThis.crypto.subtle;
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const aes = await subtle.importKey('raw', key.encKey as BufferSource, 'AES-CBC', false, ['encrypt']);
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-CBC', iv }, aes, utf8(plain)));
  return `2.${encodeBase64(iv)}|${encodeBase64(ct)}|${encodeBase64(macOf(key, iv, ct))}`;
}

/** Opens a type 2 EncString: the MAC is verified first, so a wrong key or a changed byte never reaches AES. */
export async function decryptString(enc: string, key: StretchedKey): Promise<string> {
  const m = /^2\.([^|]+)\|([^|]+)\|([^|]+)$/.exec(enc);
  if (!m) {
    const type = /^(\d+)\./.exec(enc)?.[1];
    throw new EncStringError(type && type !== '2' ? `it is an EncString of type ${type}; only type 2 (AES-CBC with HMAC) is used for exports` : 'it is not an EncString ("2.iv|data|mac")', 'malformed');
  }
  let iv: Uint8Array, ct: Uint8Array, mac: Uint8Array;
  try {
    [iv, ct, mac] = [decodeBase64(m[1]!), decodeBase64(m[2]!), decodeBase64(m[3]!)];
  } catch (e) {
    throw new EncStringError(`its parts are not base64 (${(e as Error).message})`, 'malformed');
  }
  if (iv.length !== 16 || mac.length !== 32 || ct.length === 0 || ct.length % 16 !== 0) throw new EncStringError('its IV, data or MAC has the wrong length', 'malformed');
  if (!equalConstantTime(macOf(key, iv, ct), mac)) throw new EncStringError('its MAC does not verify', 'mac');
  const subtle = globalThis.crypto.subtle;
  const aes = await subtle.importKey('raw', key.encKey as BufferSource, 'AES-CBC', false, ['decrypt']);
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(await subtle.decrypt({ name: 'AES-CBC', iv: iv as BufferSource }, aes, ct as BufferSource));
  } catch {
    throw new EncStringError('its padding is wrong although the MAC verified', 'malformed');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    throw new EncStringError('it does not decrypt to UTF-8 text', 'malformed');
  } finally {
    plain.fill(0);
  }
}

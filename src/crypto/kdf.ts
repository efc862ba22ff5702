// Argon2id (RFC 9106) of the master password: the key that wraps the vault key. Parameters are stored
// beside the salt so they can be raised later. RFC 9106 §4 second recommended option is m = 64 MiB, t = 3, p = 1.
import { argon2idAsync } from '@noble/hashes/argon2.js';

export interface KdfParams {
  algorithm: 'argon2id';
  salt: Uint8Array; // 16 bytes
  m: number; // KiB
  t: number;
  p: number;
}

export const DEFAULT_KDF = { m: 64 * 1024, t: 3, p: 1 } as const;
export const MIN_KDF = { m: 64 * 1024, t: 3, p: 1 } as const;
/**
 * The most a vault header that came from elsewhere (a backup file) may ask for: the upper bounds an import's
 * Argon2id accepts (formats/bitwardenCrypto.ts KDF_BOUNDS: 1024 MiB, 10 passes, parallelism 16). A file's
 * parameters are attacker-controlled: beyond these one derivation would hang or exhaust the background.
 */
export const MAX_KDF = { m: 1024 * 1024, t: 10, p: 16 } as const;

/** A sentence when a header's Argon2id parameters are outside [MIN_KDF, MAX_KDF], else undefined. Checked before deriving. */
export function kdfParamsProblem(params: { m: number; t: number; p: number }): string | undefined {
  const within = (x: number, lo: number, hi: number) => Number.isSafeInteger(x) && x >= lo && x <= hi;
  if (!within(params.m, MIN_KDF.m, MAX_KDF.m)) return `Argon2id memory must be between ${MIN_KDF.m / 1024} and ${MAX_KDF.m / 1024} MiB, not ${Number(params.m) / 1024} MiB`;
  if (!within(params.t, MIN_KDF.t, MAX_KDF.t)) return `Argon2id passes must be between ${MIN_KDF.t} and ${MAX_KDF.t}, not ${params.t}`;
  if (!within(params.p, MIN_KDF.p, MAX_KDF.p)) return `Argon2id parallelism must be between ${MIN_KDF.p} and ${MAX_KDF.p}, not ${params.p}`;
  return undefined;
}

export function newKdfParams(params: { m?: number; t?: number; p?: number } = {}): KdfParams {
  const m = params.m ?? DEFAULT_KDF.m;
  const t = params.t ?? DEFAULT_KDF.t;
  const p = params.p ?? DEFAULT_KDF.p;
  if (m < MIN_KDF.m || t < MIN_KDF.t || p < 1) throw new RangeError(`Argon2id: parameters below the floor m=${MIN_KDF.m} KiB, t=${MIN_KDF.t}`);
  return { algorithm: 'argon2id', salt: globalThis.crypto.getRandomValues(new Uint8Array(16)), m, t, p };
}

/** Derives 32 bytes; onProgress receives 0..1 so the screen can show progress (it takes about 2 s). */
export async function deriveKey(password: string, params: KdfParams, onProgress?: (fraction: number) => void): Promise<Uint8Array> {
  if (typeof password !== 'string' || password.length === 0) throw new TypeError('password must be a non-empty string');
  if (params.algorithm !== 'argon2id') throw new RangeError(`unsupported KDF ${String(params.algorithm)}`);
  return argon2idAsync(password.normalize('NFKC'), params.salt, {
    m: params.m,
    t: params.t,
    p: params.p,
    dkLen: 32,
    asyncTick: 20,
    onProgress,
  });
}

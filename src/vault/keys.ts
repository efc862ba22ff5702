// The vault key and its two wrappings (DESIGN.md, Keys): one under Argon2id of the master password,
// one under HKDF of the recovery code. Both are AES-256-GCM seals of the 32-byte vault key with a label
// as associated data.
import * as v from 'valibot';
import { encode as b64u, decode as fromB64u } from '../webauthn/base64url.ts';
import { importAeadKey, open, seal, TamperedError } from '../crypto/aead.ts';
import { type KdfParams, deriveKey, newKdfParams } from '../crypto/kdf.ts';
import { deriveFromRecovery, generateRecoveryCode, parseRecoveryCode } from '../crypto/recoveryCode.ts';

const PASSWORD_AAD = 'keyport/vault-key/password/v1';
const RECOVERY_AAD = 'keyport/vault-key/recovery/v1';

export interface VaultMeta {
  version: 1;
  kdf: { algorithm: 'argon2id'; salt: string; m: number; t: number; p: number };
  passwordWrap: { iv: string; ct: string };
  recoveryWrap: { iv: string; ct: string };
  createdAt: number;
}

const SealedJSON = v.object({ iv: v.string(), ct: v.string() });
export const VaultMetaSchema = v.object({
  version: v.literal(1),
  kdf: v.object({ algorithm: v.literal('argon2id'), salt: v.string(), m: v.number(), t: v.number(), p: v.number() }),
  passwordWrap: SealedJSON,
  recoveryWrap: SealedJSON,
  createdAt: v.number(),
});

export class WrongPasswordError extends Error {
  override name = 'WrongPasswordError';
  constructor() {
    super('The master password is not correct.');
  }
}

const toJSON = (s: { iv: Uint8Array; ct: Uint8Array }) => ({ iv: b64u(s.iv), ct: b64u(s.ct) });
const fromJSON = (s: { iv: string; ct: string }) => ({ iv: fromB64u(s.iv), ct: fromB64u(s.ct) });
const kdfOf = (meta: VaultMeta): KdfParams => ({ ...meta.kdf, salt: fromB64u(meta.kdf.salt) });

async function wrap(wrappingKey: Uint8Array, vaultKey: Uint8Array, aad: string) {
  const k = await importAeadKey(wrappingKey);
  wrappingKey.fill(0);
  return toJSON(await seal(k, vaultKey, aad));
}

async function unwrap(wrappingKey: Uint8Array, sealed: { iv: string; ct: string }, aad: string): Promise<Uint8Array> {
  const k = await importAeadKey(wrappingKey);
  wrappingKey.fill(0);
  return open(k, fromJSON(sealed), aad);
}

export interface NewVault {
  meta: VaultMeta;
  vaultKey: Uint8Array;
  recoveryCode: string;
}

export async function createVaultKeys(
  password: string,
  opts: { kdf?: { m?: number; t?: number; p?: number }; now: number; onProgress?: (f: number) => void },
): Promise<NewVault> {
  const vaultKey = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const kdf = newKdfParams(opts.kdf);
  const passwordKey = await deriveKey(password, kdf, opts.onProgress);
  const { code, entropy } = generateRecoveryCode();
  const meta: VaultMeta = {
    version: 1,
    kdf: { algorithm: 'argon2id', salt: b64u(kdf.salt), m: kdf.m, t: kdf.t, p: kdf.p },
    passwordWrap: await wrap(passwordKey, vaultKey, PASSWORD_AAD),
    recoveryWrap: await wrap(deriveFromRecovery(entropy, 'wrap'), vaultKey, RECOVERY_AAD),
    createdAt: opts.now,
  };
  entropy.fill(0);
  return { meta, vaultKey, recoveryCode: code };
}

export async function unlockWithPassword(meta: VaultMeta, password: string, onProgress?: (f: number) => void): Promise<Uint8Array> {
  const key = await deriveKey(password, kdfOf(meta), onProgress);
  try {
    return await unwrap(key, meta.passwordWrap, PASSWORD_AAD);
  } catch (e) {
    if (e instanceof TamperedError) throw new WrongPasswordError();
    throw e;
  }
}

export async function unlockWithRecoveryCode(meta: VaultMeta, code: string): Promise<Uint8Array> {
  const entropy = parseRecoveryCode(code); // a typo is caught here, before any key is derived
  try {
    return await unwrap(deriveFromRecovery(entropy, 'wrap'), meta.recoveryWrap, RECOVERY_AAD);
  } catch (e) {
    if (e instanceof TamperedError) throw new WrongPasswordError();
    throw e;
  } finally {
    entropy.fill(0);
  }
}

// The vault key and its two wrappings (docs/design.md, Keys): one under Argon2id of the master password,
// one under HKDF of the recovery code. Both are AES-256-GCM seals of the 32-byte vault key with a label
// as associated data. The password KDF is a port (Kdf): the extension passes argon2id, unit tests a fast one.
import * as v from 'valibot';
import { encode as b64u, decode as fromB64u } from '../webauthn/base64url.ts';
import { importAeadKey, open, seal, TamperedError } from '../crypto/aead.ts';
import { type KdfParams, deriveKey, newKdfParams } from '../crypto/kdf.ts';
import { deriveFromRecovery, generateRecoveryCode, parseRecoveryCode } from '../crypto/recoveryCode.ts';

/** Derives the 32-byte key that wraps the vault key from the master password, under a header's salt and parameters. */
export interface Kdf {
  derive(password: string, params: KdfParams, onProgress?: (fraction: number) => void): Promise<Uint8Array>;
}

/** The real one: Argon2id (RFC 9106), src/crypto/kdf.ts. */
export const argon2id: Kdf = { derive: deriveKey };

const PASSWORD_AAD = 'keyport/vault-key/password/v1';
const RECOVERY_AAD = 'keyport/vault-key/recovery/v1';
const SYNC_AAD = 'keyport/sync-identity/v1';

export interface VaultMeta {
  version: 1;
  kdf: { algorithm: 'argon2id'; salt: string; m: number; t: number; p: number };
  passwordWrap: { iv: string; ct: string };
  recoveryWrap: { iv: string; ct: string };
  /** The sync identity ({vaultId, token}, from the recovery code), sealed under the vault key. */
  syncIdentity?: { iv: string; ct: string };
  createdAt: number;
}

/** Where a vault lives on a sync server, derived from the recovery code (docs/design.md, Keys). */
export interface SyncIdentity {
  vaultId: string;
  token: string;
}

const SealedJSON = v.object({ iv: v.string(), ct: v.string() });
export const VaultMetaSchema = v.object({
  version: v.literal(1),
  kdf: v.object({ algorithm: v.literal('argon2id'), salt: v.string(), m: v.number(), t: v.number(), p: v.number() }),
  passwordWrap: SealedJSON,
  recoveryWrap: SealedJSON,
  syncIdentity: v.optional(SealedJSON),
  createdAt: v.number(),
});

export class WrongPasswordError extends Error {
  override name = 'WrongPasswordError';
  constructor(message = 'The master password is not correct.') {
    super(message);
  }
}

const toJSON = (s: { iv: Uint8Array; ct: Uint8Array }) => ({ iv: b64u(s.iv), ct: b64u(s.ct) });
const fromJSON = (s: { iv: string; ct: string }) => ({ iv: fromB64u(s.iv), ct: fromB64u(s.ct) });
const kdfOf = (meta: VaultMeta): KdfParams => ({ ...meta.kdf, salt: fromB64u(meta.kdf.salt) });
const headerKdf = (p: KdfParams): VaultMeta['kdf'] => ({ algorithm: 'argon2id', salt: b64u(p.salt), m: p.m, t: p.t, p: p.p });

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

/** The sync server's id and token for a recovery code (HKDF labels "lookup" and "token"). */
export function syncIdentityOf(entropy: Uint8Array): SyncIdentity {
  return { vaultId: b64u(deriveFromRecovery(entropy, 'lookup')), token: b64u(deriveFromRecovery(entropy, 'token')) };
}

async function sealIdentity(vaultKey: Uint8Array, id: SyncIdentity) {
  const k = await importAeadKey(vaultKey);
  return toJSON(await seal(k, new TextEncoder().encode(JSON.stringify(id)), SYNC_AAD));
}

export async function openSyncIdentity(meta: VaultMeta, vaultKey: CryptoKey): Promise<SyncIdentity | undefined> {
  if (!meta.syncIdentity) return undefined;
  const id = JSON.parse(new TextDecoder().decode(await open(vaultKey, fromJSON(meta.syncIdentity), SYNC_AAD))) as SyncIdentity;
  return { vaultId: String(id.vaultId), token: String(id.token) };
}

/** The recovery wrapping as the sync server keeps it: base64url of iv || ciphertext. */
export function recoveryKeyBlob(meta: VaultMeta): string {
  return b64u(new Uint8Array([...fromB64u(meta.recoveryWrap.iv), ...fromB64u(meta.recoveryWrap.ct)]));
}

export function recoveryWrapFromBlob(blob: string): { iv: string; ct: string } {
  const bytes = fromB64u(blob);
  if (bytes.length < 12 + 16) throw new TamperedError('the key blob is too short');
  return { iv: b64u(bytes.slice(0, 12)), ct: b64u(bytes.slice(12)) };
}

/** A new recovery code for an unlocked vault: a new wrapping, a new sync identity; the old code stops opening anything. */
export async function rotateRecovery(meta: VaultMeta, vaultKey: Uint8Array): Promise<{ meta: VaultMeta; recoveryCode: string; identity: SyncIdentity }> {
  const { code, entropy } = generateRecoveryCode();
  const identity = syncIdentityOf(entropy);
  const next: VaultMeta = {
    ...meta,
    recoveryWrap: await wrap(deriveFromRecovery(entropy, 'wrap'), vaultKey, RECOVERY_AAD),
    syncIdentity: await sealIdentity(vaultKey, identity),
  };
  entropy.fill(0);
  return { meta: next, recoveryCode: code, identity };
}

/**
 * The vault key under a (new) master password, with a new salt: the current KDF strength, or the one chosen
 * (lower or higher, never below MIN_KDF: newKdfParams throws RangeError and nothing changes).
 */
export async function rewrapPassword(
  kdf: Kdf,
  meta: VaultMeta,
  vaultKey: Uint8Array,
  password: string,
  opts: { kdf?: { m?: number; t?: number; p?: number }; onProgress?: (f: number) => void } = {},
): Promise<VaultMeta> {
  const params = newKdfParams({ m: opts.kdf?.m ?? meta.kdf.m, t: opts.kdf?.t ?? meta.kdf.t, p: opts.kdf?.p ?? meta.kdf.p });
  const passwordKey = await kdf.derive(password, params, opts.onProgress);
  return { ...meta, kdf: headerKdf(params), passwordWrap: await wrap(passwordKey, vaultKey, PASSWORD_AAD) };
}

/**
 * The header of a vault that came from elsewhere (a sync server by recovery code, or another browser by
 * pairing): its key, the recovery wrapping as the server keeps it (so the recovery code keeps working), the
 * sync identity, and a new master password for this browser.
 */
export async function pairedVaultKeys(
  kdf: Kdf,
  vaultKey: Uint8Array,
  recoveryWrap: { iv: string; ct: string },
  identity: SyncIdentity,
  password: string,
  opts: { now: number; kdf?: { m?: number; t?: number; p?: number }; onProgress?: (f: number) => void },
): Promise<VaultMeta> {
  const params = newKdfParams(opts.kdf);
  return {
    version: 1,
    kdf: headerKdf(params),
    passwordWrap: await wrap(await kdf.derive(password, params, opts.onProgress), vaultKey, PASSWORD_AAD),
    recoveryWrap,
    syncIdentity: await sealIdentity(vaultKey, identity),
    createdAt: opts.now,
  };
}

/**
 * A vault restored from a recovery code on a fresh browser: the recovery wrapping as the server kept it (so the
 * same code keeps working), a new master password, and the sync identity.
 */
export async function restoredVaultKeys(
  kdf: Kdf,
  recoveryCode: string,
  recoveryWrap: { iv: string; ct: string },
  password: string,
  opts: { now: number; kdf?: { m?: number; t?: number; p?: number }; onProgress?: (f: number) => void },
): Promise<{ meta: VaultMeta; vaultKey: Uint8Array; identity: SyncIdentity }> {
  const entropy = parseRecoveryCode(recoveryCode);
  const identity = syncIdentityOf(entropy);
  let vaultKey: Uint8Array;
  try {
    vaultKey = await unwrap(deriveFromRecovery(entropy, 'wrap'), recoveryWrap, RECOVERY_AAD);
  } catch (e) {
    if (e instanceof TamperedError) throw new WrongPasswordError('This recovery code does not open this vault.');
    throw e;
  } finally {
    entropy.fill(0);
  }
  return { meta: await pairedVaultKeys(kdf, vaultKey, recoveryWrap, identity, password, opts), vaultKey, identity };
}

export async function createVaultKeys(
  kdf: Kdf,
  password: string,
  opts: { kdf?: { m?: number; t?: number; p?: number }; now: number; onProgress?: (f: number) => void },
): Promise<NewVault> {
  const vaultKey = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const params = newKdfParams(opts.kdf);
  const passwordKey = await kdf.derive(password, params, opts.onProgress);
  const { code, entropy } = generateRecoveryCode();
  const meta: VaultMeta = {
    version: 1,
    kdf: headerKdf(params),
    passwordWrap: await wrap(passwordKey, vaultKey, PASSWORD_AAD),
    recoveryWrap: await wrap(deriveFromRecovery(entropy, 'wrap'), vaultKey, RECOVERY_AAD),
    syncIdentity: await sealIdentity(vaultKey, syncIdentityOf(entropy)),
    createdAt: opts.now,
  };
  entropy.fill(0);
  return { meta, vaultKey, recoveryCode: code };
}

export async function unlockWithPassword(kdf: Kdf, meta: VaultMeta, password: string, onProgress?: (f: number) => void): Promise<Uint8Array> {
  const key = await kdf.derive(password, kdfOf(meta), onProgress);
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
    if (e instanceof TamperedError) throw new WrongPasswordError('This recovery code does not open this vault (was it replaced by a newer one?).');
    throw e;
  } finally {
    entropy.fill(0);
  }
}

// The vault key's life: set up, unlocked by the master password or the recovery code, resumed after a
// service-worker restart, locked; restored on a fresh browser (from a sync server, a backup file's header, a
// paired browser); re-wrapped under a new password, given a new recovery code. The raw key is held here only
// while unlocked (docs/design.md rule 3), and in the session store so that a restarted worker need not ask for
// the password again; lock wipes both. The vault header (wrapped keys, KDF parameters) is read once and kept.
import * as v from 'valibot';
import { importAeadKey } from '../crypto/aead.ts';
import { DEFAULT_KDF } from '../crypto/kdf.ts';
import {
  type Kdf,
  type NewVault,
  type SyncIdentity,
  type VaultMeta,
  VaultMetaSchema,
  createVaultKeys,
  openSyncIdentity,
  pairedVaultKeys,
  recoveryKeyBlob,
  restoredVaultKeys,
  rewrapPassword,
  rotateRecovery,
  unlockWithPassword,
  unlockWithRecoveryCode,
} from './keys.ts';
import type { SessionKeyStore, VaultStorage } from './storage.ts';
import { VaultLockedError, VaultNotSetUpError } from './errors.ts';

type Progress = (fraction: number) => void;
type KdfStrength = { m?: number; t?: number; p?: number };
const OVERWRITE = 'Keyport already holds a vault here; a restore would replace it. Nothing was changed.';

export interface KeySessionDeps {
  storage: Pick<VaultStorage, 'getMeta' | 'putMeta'>;
  session: SessionKeyStore;
  kdf: Kdf;
  now: () => number;
  /** Opens what the key seals (the records); the vault counts as unlocked only once this has succeeded. */
  open(key: CryptoKey): Promise<void>;
}

export type KeySession = ReturnType<typeof createKeySession>;

export function createKeySession(deps: KeySessionDeps) {
  let header: VaultMeta | undefined;
  let unlocked: { key: CryptoKey; raw: Uint8Array } | undefined;
  /** The last successful password derivation: how long it took, and its cost (m × t). */
  let derivation: { ms: number; cost: number } | undefined;

  async function loadHeader(): Promise<VaultMeta | undefined> {
    if (header) return header;
    const raw = await deps.storage.getMeta();
    if (raw === undefined) return undefined;
    const r = v.safeParse(VaultMetaSchema, raw);
    if (!r.success) throw new Error('The vault header is damaged: it does not have the expected shape. Nothing was changed.');
    return (header = r.output);
  }

  async function existingHeader(): Promise<VaultMeta> {
    const m = await loadHeader();
    if (!m) throw new VaultNotSetUpError();
    return m;
  }

  async function storeHeader(next: VaultMeta): Promise<void> {
    await deps.storage.putMeta(next);
    header = next;
  }

  async function refuseOverwrite(message = OVERWRITE): Promise<void> {
    if (await loadHeader()) throw new Error(message);
  }

  function current(): { key: CryptoKey; raw: Uint8Array } {
    if (!unlocked) throw new VaultLockedError();
    return unlocked;
  }

  /** Opens the records with a just-unwrapped key; keeps a copy of it, and leaves the caller's to wipe. */
  async function openWith(rawKey: Uint8Array): Promise<void> {
    const key = await importAeadKey(rawKey);
    await deps.open(key);
    unlocked = { key, raw: rawKey.slice() };
  }

  /** Opens, keeps the key for a restarted worker, and wipes this copy. */
  async function adopt(rawKey: Uint8Array): Promise<void> {
    await openWith(rawKey);
    await deps.session.set(rawKey);
    rawKey.fill(0);
  }

  /** Times one password derivation (unlock, verify, re-wrap) that succeeds. */
  async function timed<T>(cost: { m: number; t: number }, f: () => Promise<T>): Promise<T> {
    const start = deps.now();
    const r = await f();
    derivation = { ms: deps.now() - start, cost: cost.m * cost.t };
    return r;
  }

  const byPassword = async (password: string, onProgress?: Progress) => {
    const m = await existingHeader();
    return timed(m.kdf, () => unlockWithPassword(deps.kdf, m, password, onProgress));
  };
  const byRecoveryCode = async (code: string) => unlockWithRecoveryCode(await existingHeader(), code);

  async function changePassword(password: string, opts: { kdf?: { m: number; t: number; p?: number }; onProgress?: Progress } = {}): Promise<void> {
    const m = await existingHeader();
    const raw = current().raw;
    const cost = opts.kdf ? { m: opts.kdf.m, t: opts.kdf.t } : m.kdf;
    await storeHeader(await timed(cost, () => rewrapPassword(deps.kdf, m, raw, password, opts)));
  }

  return {
    async isSetUp(): Promise<boolean> {
      return (await loadHeader()) !== undefined;
    },
    isUnlocked: (): boolean => unlocked !== undefined,
    async setup(password: string, opts: { kdf?: KdfStrength; onProgress?: Progress } = {}): Promise<Pick<NewVault, 'recoveryCode'>> {
      await refuseOverwrite('Keyport is already set up.');
      const cost = { m: opts.kdf?.m ?? DEFAULT_KDF.m, t: opts.kdf?.t ?? DEFAULT_KDF.t };
      const created = await timed(cost, () => createVaultKeys(deps.kdf, password, { ...opts, now: deps.now() }));
      await storeHeader(created.meta);
      await adopt(created.vaultKey);
      return { recoveryCode: created.recoveryCode };
    },
    unlock: async (password: string, onProgress?: Progress): Promise<void> => adopt(await byPassword(password, onProgress)),
    unlockWithRecoveryCode: async (code: string): Promise<void> => adopt(await byRecoveryCode(code)),
    /** User verification (§6.2.3) while unlocked: proves the master password again; the key stays as it is. */
    async verifyPassword(password: string, onProgress?: Progress): Promise<void> {
      (await byPassword(password, onProgress)).fill(0);
    },
    /** How long the last successful password derivation took, and its cost (m × t): the screens estimate unlock times from it. */
    lastDerivation: (): { ms: number; cost: number } | undefined => derivation,
    /** After a service-worker restart: the key kept in storage.session, if the vault was unlocked. */
    async resumeSession(): Promise<boolean> {
      if (unlocked) return true;
      const rawKey = await deps.session.get();
      if (!rawKey) return false;
      if (!(await loadHeader())) return false;
      await openWith(rawKey);
      rawKey.fill(0);
      return true;
    },
    /** Wipes the key here and in the session store (the records are closed first: src/vault/vault.ts lock). */
    async lock(): Promise<void> {
      unlocked?.raw.fill(0);
      unlocked = undefined;
      await deps.session.clear();
    },
    /** Where this vault lives on a sync server; undefined for a vault made before sync existed (rotate the recovery code). */
    async syncIdentity(): Promise<SyncIdentity | undefined> {
      const m = await loadHeader();
      return m ? openSyncIdentity(m, current().key) : undefined;
    },
    /** The vault header as stored (wrapped keys only): the sync service sends its recovery wrapping to the server. */
    header: (): Promise<VaultMeta | undefined> => loadHeader(),
    /**
     * A new master password for the unlocked vault (or the same one under another KDF strength: `kdf`, at or above
     * MIN_KDF, else RangeError and nothing changes); the recovery code is unchanged. The caller proves the current
     * password first (verifyPassword).
     */
    changePassword,
    /** A forgotten master password: the recovery code opens the vault, a new password replaces the old one. */
    async resetPassword(recoveryCode: string, password: string, onProgress?: Progress): Promise<void> {
      await adopt(await byRecoveryCode(recoveryCode));
      await changePassword(password, { onProgress });
    },
    /**
     * A new recovery code. Returned prepared: `commit()` stores it once the sync server (if any) has moved the vault,
     * so a failure in between leaves the old code working everywhere.
     */
    async prepareRecoveryRotation(): Promise<{ recoveryCode: string; identity: SyncIdentity; keyBlob: string; commit: () => Promise<void> }> {
      const r = await rotateRecovery(await existingHeader(), current().raw);
      return { recoveryCode: r.recoveryCode, identity: r.identity, keyBlob: recoveryKeyBlob(r.meta), commit: () => storeHeader(r.meta) };
    },
    /** A fresh browser: the vault from its recovery wrapping (a server or a backup), under a new master password. Refuses to overwrite a vault. */
    async restore(recoveryCode: string, recoveryWrap: { iv: string; ct: string }, password: string, onProgress?: Progress): Promise<SyncIdentity> {
      await refuseOverwrite();
      const r = await restoredVaultKeys(deps.kdf, recoveryCode, recoveryWrap, password, { now: deps.now(), onProgress });
      await storeHeader(r.meta);
      await adopt(r.vaultKey);
      return r.identity;
    },
    /**
     * A fresh browser from a backup file's header: the file's password or recovery code opens its vault key, a new
     * master password wraps it here, the recovery code stays the same. Refuses to overwrite a vault.
     */
    async restoreFromHeader(fileMeta: VaultMeta, secret: { recoveryCode: string } | { password: string }, password: string, onProgress?: Progress): Promise<void> {
      await refuseOverwrite();
      const vaultKey = 'recoveryCode' in secret ? await unlockWithRecoveryCode(fileMeta, secret.recoveryCode) : await unlockWithPassword(deps.kdf, fileMeta, secret.password);
      await storeHeader(await rewrapPassword(deps.kdf, fileMeta, vaultKey, password, { onProgress }));
      await adopt(vaultKey);
    },
    /** A copy of the raw vault key, for pairing a new browser (sealed to it under the agreed key). Background only. */
    rawKeyCopy: (): Uint8Array => current().raw.slice(),
    /** A fresh browser paired with another: the vault key it sent, under a new master password here. Refuses to overwrite a vault. */
    async restoreFromKey(vaultKey: Uint8Array, recoveryWrap: { iv: string; ct: string }, identity: SyncIdentity, password: string, onProgress?: Progress): Promise<void> {
      await refuseOverwrite('Keyport already holds a vault here; pairing would replace it. Nothing was changed.');
      await storeHeader(await pairedVaultKeys(deps.kdf, vaultKey, recoveryWrap, identity, password, { now: deps.now(), onProgress }));
      await adopt(vaultKey);
    },
    /** The vault key (AES-GCM, not extractable) that seals sync items. */
    cryptoKey: (): CryptoKey => current().key,
  };
}

// The vault: locked or unlocked, and while unlocked the only holder of decrypted passkeys
// (DESIGN.md rule 3: private keys exist unencrypted only in the background's memory).
// Storage is a port (IndexedDB in the extension, fake-indexeddb in tests); every write is one transaction.
import * as v from 'valibot';
import { importAeadKey } from '../crypto/aead.ts';
import { type GeneratedKey, type Signer, generateCredentialKey, importSigner } from '../crypto/credentialKeys.ts';
import type { Alg } from '../webauthn/cose.ts';
import type { CredentialMeta, CredentialStore, NewCredential } from '../webauthn/authenticator.ts';
import { type NewVault, type VaultMeta, VaultMetaSchema, createVaultKeys, unlockWithPassword, unlockWithRecoveryCode } from './keys.ts';
import { type Passkey, RecordError, type StoredRecord, newRecordId, openPasskey, sealPasskey } from './record.ts';

export interface VaultStorage {
  getMeta(): Promise<unknown>;
  putMeta(meta: VaultMeta): Promise<void>;
  listRecords(): Promise<StoredRecord[]>;
  putRecord(record: StoredRecord): Promise<void>;
  deleteRecord(id: string): Promise<void>;
}

/** Where the unlocked vault key waits across a service-worker restart (storage.session); cleared on lock. */
export interface SessionKeyStore {
  get(): Promise<Uint8Array | undefined>;
  set(key: Uint8Array): Promise<void>;
  clear(): Promise<void>;
}

export class VaultLockedError extends Error {
  override name = 'VaultLockedError';
  constructor() {
    super('The vault is locked.');
  }
}

export class VaultNotSetUpError extends Error {
  override name = 'VaultNotSetUpError';
  constructor() {
    super('Keyport is not set up yet: choose a master password first.');
  }
}

interface Entry {
  recordId: string;
  passkey: Passkey;
  signer?: Promise<Signer>;
}

interface Unlocked {
  key: CryptoKey;
  entries: Map<string, Entry>;
  damaged: RecordError[];
}

export type Vault = ReturnType<typeof createVault>;

export function createVault(deps: { storage: VaultStorage; session: SessionKeyStore; now: () => number; touchDelayMs?: number }) {
  let state: Unlocked | undefined;
  let meta: VaultMeta | undefined;
  const pendingTouch = new Map<string, ReturnType<typeof setTimeout>>();

  async function loadMeta(): Promise<VaultMeta | undefined> {
    if (meta) return meta;
    const raw = await deps.storage.getMeta();
    if (raw === undefined) return undefined;
    const r = v.safeParse(VaultMetaSchema, raw);
    if (!r.success) throw new Error('The vault header is damaged: it does not have the expected shape. Nothing was changed.');
    return (meta = r.output as VaultMeta);
  }

  async function openWith(rawKey: Uint8Array): Promise<void> {
    const key = await importAeadKey(rawKey);
    const entries = new Map<string, Entry>();
    const damaged: RecordError[] = [];
    for (const record of await deps.storage.listRecords()) {
      try {
        const passkey = await openPasskey(key, record);
        entries.set(passkey.credentialId, { recordId: record.id, passkey });
      } catch (e) {
        // Rule 4: a record that fails is reported and kept as it is, never dropped.
        damaged.push(e instanceof RecordError ? e : new RecordError(record.id, String(e)));
      }
    }
    state = { key, entries, damaged };
  }

  /** The raw vault key, unwrapped by one of the two wrappings (password or recovery code). */
  async function unwrapped(unwrap: (meta: VaultMeta) => Promise<Uint8Array>): Promise<Uint8Array> {
    const m = await loadMeta();
    if (!m) throw new VaultNotSetUpError();
    return unwrap(m);
  }

  /** Opens the records with a just-unwrapped key, keeps it for a restarted worker, and wipes this copy. */
  async function adopt(rawKey: Promise<Uint8Array>): Promise<void> {
    const key = await rawKey;
    await openWith(key);
    await deps.session.set(key);
    key.fill(0);
  }

  function unlocked(): Unlocked {
    if (!state) throw new VaultLockedError();
    return state;
  }

  function entry(credentialId: string): Entry {
    const e = unlocked().entries.get(credentialId);
    if (!e) throw new Error(`No passkey with id ${credentialId}.`);
    return e;
  }

  async function write(e: Entry): Promise<void> {
    await deps.storage.putRecord(await sealPasskey(unlocked().key, e.recordId, e.passkey));
  }

  function meta_(p: Passkey): CredentialMeta {
    const { pkcs8: _k, publicKeyCose: _c, prfSecret: _s, ...m } = p;
    return m;
  }

  const store: CredentialStore = {
    list(rpId) {
      const out: CredentialMeta[] = [];
      for (const e of unlocked().entries.values()) if (e.passkey.rpId === rpId) out.push(meta_(e.passkey));
      return out;
    },
    async add(c: NewCredential) {
      const e: Entry = { recordId: newRecordId(), passkey: { ...c, pkcs8: c.pkcs8.slice() } };
      await write(e);
      unlocked().entries.set(c.credentialId, e);
    },
    async sign(credentialId, data) {
      const e = entry(credentialId);
      e.signer ??= importSigner(e.passkey.alg, e.passkey.pkcs8);
      return (await e.signer)(data);
    },
    prfSecret: (credentialId) => entry(credentialId).passkey.prfSecret,
    touch(credentialId, at) {
      const e = entry(credentialId);
      e.passkey.lastUsedAt = at;
      // Coalesce: a burst of sign-ins writes the record once, after the answer has gone out.
      if (pendingTouch.has(credentialId)) return;
      pendingTouch.set(
        credentialId,
        setTimeout(() => {
          pendingTouch.delete(credentialId);
          if (state?.entries.get(credentialId) === e) write(e).catch(() => {});
        }, deps.touchDelayMs ?? 1000),
      );
    },
    generateKey: (alg: Alg): Promise<GeneratedKey> => generateCredentialKey(alg),
  };

  return {
    store,
    async isSetUp(): Promise<boolean> {
      return (await loadMeta()) !== undefined;
    },
    isUnlocked: () => state !== undefined,
    async setup(password: string, opts: { kdf?: { m?: number; t?: number; p?: number }; onProgress?: (f: number) => void } = {}): Promise<Pick<NewVault, 'recoveryCode'>> {
      if (await loadMeta()) throw new Error('Keyport is already set up.');
      const created = await createVaultKeys(password, { ...opts, now: deps.now() });
      await deps.storage.putMeta(created.meta);
      meta = created.meta;
      await adopt(Promise.resolve(created.vaultKey));
      return { recoveryCode: created.recoveryCode };
    },
    unlock: (password: string, onProgress?: (f: number) => void): Promise<void> => adopt(unwrapped((m) => unlockWithPassword(m, password, onProgress))),
    unlockWithRecoveryCode: (code: string): Promise<void> => adopt(unwrapped((m) => unlockWithRecoveryCode(m, code))),
    /** User verification (§6.2.3) while unlocked: proves the master password again; the key stays as it is. */
    async verifyPassword(password: string): Promise<void> {
      (await unwrapped((m) => unlockWithPassword(m, password))).fill(0);
    },
    /** After a service-worker restart: the key kept in storage.session, if the vault was unlocked. */
    async resumeSession(): Promise<boolean> {
      if (state) return true;
      const rawKey = await deps.session.get();
      if (!rawKey) return false;
      if (!(await loadMeta())) return false;
      await openWith(rawKey);
      rawKey.fill(0);
      return true;
    },
    async lock(): Promise<void> {
      for (const t of pendingTouch.values()) clearTimeout(t);
      // Write pending last-used dates before the key goes away.
      const s = state;
      if (s) for (const id of pendingTouch.keys()) { const e = s.entries.get(id); if (e) await write(e).catch(() => {}); }
      pendingTouch.clear();
      if (s) for (const e of s.entries.values()) { e.passkey.pkcs8.fill(0); e.passkey.prfSecret.fill(0); }
      state = undefined;
      await deps.session.clear();
    },
    all(): CredentialMeta[] {
      return [...unlocked().entries.values()].map((e) => meta_(e.passkey));
    },
    damaged(): { recordId: string; message: string }[] {
      return unlocked().damaged.map((d) => ({ recordId: d.recordId, message: d.message }));
    },
    async remove(credentialId: string): Promise<boolean> {
      const s = unlocked();
      const e = s.entries.get(credentialId);
      if (!e) return false;
      await deps.storage.deleteRecord(e.recordId);
      s.entries.delete(credentialId);
      e.passkey.pkcs8.fill(0);
      return true;
    },
  };
}

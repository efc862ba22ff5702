// The vault: locked or unlocked, and while unlocked the only holder of decrypted passkeys
// (docs/design.md rule 3: private keys exist unencrypted only in the background's memory).
// Storage is a port (IndexedDB in the extension, fake-indexeddb in tests); every write is one transaction.
import * as v from 'valibot';
import { importAeadKey } from '../crypto/aead.ts';
import { DEFAULT_KDF } from '../crypto/kdf.ts';
import { type GeneratedKey, type Signer, generateCredentialKey, importSigner } from '../webauthn/authenticator/keys.ts';
import type { Alg } from '../webauthn/cose.ts';
import type { CredentialMeta, CredentialStore, NewCredential } from '../webauthn/authenticator/model.ts';
import {
  type Kdf,
  type NewVault,
  type SyncIdentity,
  type VaultMeta,
  VaultMetaSchema,
  createVaultKeys,
  openSyncIdentity,
  pairedVaultKeys,
  restoredVaultKeys,
  rewrapPassword,
  recoveryKeyBlob,
  rotateRecovery,
  unlockWithPassword,
  unlockWithRecoveryCode,
} from './keys.ts';
import { encode as b64u, decode as fromB64u } from '../webauthn/base64url.ts';
import type { PortablePasskey } from '../formats/types.ts';
import { type Passkey, RecordError, type StoredRecord, newRecordId, openPasskey, openRecord, passkeyFromData, passkeyToData, sealRecord } from './record.ts';
import { type Clock, createClock, decode as decodeHlc, encode as encodeHlc, newNodeId } from '../sync/hlc.ts';
import { type SyncItem, isSyncItem, itemFingerprint } from '../sync/item.ts';
import { tombstoneFor } from '../sync/merge.ts';
import type { Commit, LocalEntry, Replica } from '../sync/engine.ts';

/** A record's place in sync: the server seq its version is based on (0: never pushed) and whether it changed since. */
export interface RecordSyncState {
  id: string;
  seq: number;
  dirty: boolean;
}

/** The vault's sync position: the pull cursor, and this browser's clock node id. */
export interface SyncHead {
  cursor: number;
  node: string;
}

/** One transaction's writes (rule 4: all of them or none). */
export interface VaultWrite {
  /** Whole records, their sync state included. */
  records?: StoredRecord[];
  /** New sync states for records already stored (a push accepted): the ciphertext is left as it is. */
  states?: RecordSyncState[];
  head?: SyncHead;
}

export interface VaultStorage {
  getMeta(): Promise<unknown>;
  putMeta(meta: VaultMeta): Promise<void>;
  listRecords(): Promise<StoredRecord[]>;
  getHead(): Promise<SyncHead | undefined>;
  write(w: VaultWrite): Promise<void>;
  putRecord(record: StoredRecord): Promise<void>;
  deleteRecord(id: string): Promise<void>;
}

/** What an import would do, before anything is written: metadata only. */
export interface ImportPlan {
  add: PortablePasskey[];
  duplicates: PortablePasskey[];
  /** A credential id that another site's passkey here already uses: refused, never overwritten. */
  conflicts: PortablePasskey[];
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

/** A live passkey: its record, and the decoded passkey the ceremonies use. */
interface Entry {
  recordId: string;
  passkey: Passkey;
  signer?: Promise<Signer>;
}

/** Every record, live or tombstone, as sync sees it. */
interface Held {
  item: SyncItem;
  seq: number;
  dirty: boolean;
}

interface Unlocked {
  key: CryptoKey;
  /** The raw vault key, for re-wrapping (new password, new recovery code, backups); wiped on lock. */
  raw: Uint8Array;
  /** Live passkeys by credential id. */
  entries: Map<string, Entry>;
  /** Credential id of each live passkey's record. */
  byRecord: Map<string, string>;
  /** Every record by record id, tombstones included. */
  held: Map<string, Held>;
  damaged: RecordError[];
  clock: Clock;
  cursor: number;
}

/** How long a removed passkey can be brought back. */
export const UNDO_MS = 30_000;

/** A record written before sync existed: a timestamp from its creation, never pushed. */
const LEGACY_NODE = '0'.repeat(16);

export type Vault = ReturnType<typeof createVault>;

export function createVault(deps: { storage: VaultStorage; session: SessionKeyStore; kdf: Kdf; now: () => number; touchDelayMs?: number }) {
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
    const byRecord = new Map<string, string>();
    const held = new Map<string, Held>();
    const damaged: RecordError[] = [];
    const [records, head] = await Promise.all([deps.storage.listRecords(), deps.storage.getHead()]);
    let latest = '';
    for (const record of records) {
      try {
        const item = await itemOf(key, record);
        held.set(item.id, { item, seq: record.seq ?? 0, dirty: record.dirty ?? true });
        if (item.hlc > latest) latest = item.hlc;
        if (!item.deleted && item.kind === 'passkey') {
          const passkey = passkeyFromData(record.id, item.data);
          entries.set(passkey.credentialId, { recordId: record.id, passkey });
          byRecord.set(record.id, passkey.credentialId);
        }
      } catch (e) {
        // Rule 4: a record that fails is reported and kept as it is, never dropped.
        damaged.push(e instanceof RecordError ? e : new RecordError(record.id, String(e)));
      }
    }
    const node = head?.node ?? newNodeId();
    const clock = createClock(node, latest ? { ...decodeHlc(latest), node } : undefined);
    state = { key, raw: rawKey.slice(), entries, byRecord, held, damaged, clock, cursor: head?.cursor ?? 0 };
    if (!head) await deps.storage.write({ head: { cursor: 0, node } });
  }

  /** A stored record as a sync item: an item record, or a passkey record from before sync. */
  async function itemOf(key: CryptoKey, record: StoredRecord): Promise<SyncItem> {
    if (record.kind === 'passkey') {
      const p = await openPasskey(key, record);
      return { id: record.id, kind: 'passkey', hlc: encodeHlc({ wall: p.createdAt, counter: 0, node: LEGACY_NODE }), deleted: false, data: passkeyToData(p) };
    }
    const item = await openRecord(key, record);
    if (!isSyncItem(item) || item.id !== record.id) throw new RecordError(record.id, `Record ${record.id} has an unexpected shape.`);
    return item;
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

  let derivation: { ms: number; cost: number } | undefined;
  const newKdfCost = (kdf?: { m?: number; t?: number }) => ({ m: kdf?.m ?? DEFAULT_KDF.m, t: kdf?.t ?? DEFAULT_KDF.t });
  /** Times one Argon2id run (unlock, verify, re-wrap) that succeeds. */
  async function timed<T>(kdf: { m: number; t: number }, f: () => Promise<T>): Promise<T> {
    const start = deps.now();
    const r = await f();
    derivation = { ms: deps.now() - start, cost: kdf.m * kdf.t };
    return r;
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

  /** Writes records and their sync state in one transaction, then (only then) updates memory. */
  async function persist(changes: { item: SyncItem; seq: number; dirty: boolean }[], head?: SyncHead): Promise<void> {
    const s = unlocked();
    const records = await Promise.all(changes.map(async (c) => ({ ...(await sealRecord(s.key, c.item.id, 'item', c.item)), seq: c.seq, dirty: c.dirty })));
    await deps.storage.write({ records, ...(head ? { head } : {}) });
    for (const c of changes) adoptItem(s, c);
    if (head) s.cursor = head.cursor;
    if (changes.some((c) => c.dirty)) changed();
  }

  /** Memory after a write: the record, and the live passkey it holds (or none for a tombstone). */
  function adoptItem(s: Unlocked, c: Held): void {
    s.held.set(c.item.id, { item: c.item, seq: c.seq, dirty: c.dirty });
    const before = s.byRecord.get(c.item.id);
    if (before !== undefined) {
      const e = s.entries.get(before);
      s.entries.delete(before);
      s.byRecord.delete(c.item.id);
      e?.passkey.pkcs8.fill(0); // the old copy of the key; the new version decodes its own

    }
    if (c.item.deleted || c.item.kind !== 'passkey') return;
    try {
      const passkey = passkeyFromData(c.item.id, c.item.data);
      s.entries.set(passkey.credentialId, { recordId: c.item.id, passkey });
      s.byRecord.set(c.item.id, passkey.credentialId);
    } catch (e) {
      s.damaged.push(e instanceof RecordError ? e : new RecordError(c.item.id, String(e)));
    }
  }

  /** A local edit of a live passkey: a timestamp after the record's own, so it wins over what this browser has seen. */
  function edited(s: Unlocked, e: Entry): Held {
    const h = s.held.get(e.recordId)!;
    const hlc = encodeHlc(s.clock.receive(decodeHlc(h.item.hlc), deps.now()));
    return { item: { ...h.item, hlc, data: passkeyToData(e.passkey) }, seq: h.seq, dirty: true };
  }

  /** A sign-in (last use, counter): monotone fields only, the timestamp unchanged (src/sync/engine.ts Replica rules). */
  function used(s: Unlocked, e: Entry): Held {
    const h = s.held.get(e.recordId)!;
    return { item: { ...h.item, data: passkeyToData(e.passkey) }, seq: h.seq, dirty: true };
  }

  const listeners = new Set<() => void>();
  const changed = () => {
    for (const f of listeners) f();
  };

  /** Coalesces: a burst of sign-ins writes the record once, after the answer has gone out. */
  function writeSoon(credentialId: string, e: Entry): void {
    if (pendingTouch.has(credentialId)) return;
    pendingTouch.set(
      credentialId,
      setTimeout(() => {
        pendingTouch.delete(credentialId);
        const s = state;
        if (s?.entries.get(credentialId) === e) persist([used(s, e)]).catch(() => {});
      }, deps.touchDelayMs ?? 1000),
    );
  }

  /** A new record: a fresh timestamp, never pushed. */
  function created(s: Unlocked, passkey: Passkey, recordId = newRecordId()): Held {
    return { item: { id: recordId, kind: 'passkey', hlc: encodeHlc(s.clock.tick(deps.now())), deleted: false, data: passkeyToData(passkey) }, seq: 0, dirty: true };
  }

  /** A delete: a tombstone after the record's current version (monotone fields kept, never a key). */
  function deleted(s: Unlocked, recordId: string): Held {
    const h = s.held.get(recordId)!;
    return { item: tombstoneFor(h.item, encodeHlc(s.clock.receive(decodeHlc(h.item.hlc), deps.now()))), seq: h.seq, dirty: true };
  }

  /** The passkey removed last, for undo: its record and payload, kept in memory for UNDO_MS. */
  let undoable: { recordId: string; data: SyncItem['data'] & object; at: number } | undefined;

  let backupPolicy: ((p: CredentialMeta, state: { seq: number; dirty: boolean }) => boolean) | undefined;

  function meta_(p: Passkey, recordId?: string): CredentialMeta {
    const { pkcs8: _k, publicKeyCose: _c, prfSecret: _s, ...m } = p;
    const h = recordId ? state?.held.get(recordId) : undefined;
    if (backupPolicy) m.backedUp = backupPolicy(m, h ?? { seq: 0, dirty: true });
    return m;
  }

  const store: CredentialStore = {
    list(rpId) {
      const out: CredentialMeta[] = [];
      for (const e of unlocked().entries.values()) if (e.passkey.rpId === rpId) out.push(meta_(e.passkey, e.recordId));
      return out;
    },
    async add(c: NewCredential) {
      const s = unlocked();
      const passkey: Passkey = { ...c, pkcs8: c.pkcs8.slice() };
      await persist([created(s, passkey)]);
    },
    async sign(credentialId, data) {
      const e = entry(credentialId);
      e.signer ??= importSigner(e.passkey.alg, e.passkey.pkcs8);
      return (await e.signer)(data);
    },
    prfSecret: (credentialId) => entry(credentialId).passkey.prfSecret,
    touch(credentialId, at) {
      const e = entry(credentialId);
      e.passkey.lastUsedAt = Math.max(e.passkey.lastUsedAt ?? 0, at);
      writeSoon(credentialId, e);
    },
    setSignCount(credentialId, count) {
      const e = entry(credentialId);
      e.passkey.signCount = count;
      writeSoon(credentialId, e);
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
      const created = await timed(newKdfCost(opts.kdf), () => createVaultKeys(deps.kdf, password, { ...opts, now: deps.now() }));
      await deps.storage.putMeta(created.meta);
      meta = created.meta;
      await adopt(Promise.resolve(created.vaultKey));
      return { recoveryCode: created.recoveryCode };
    },
    unlock: (password: string, onProgress?: (f: number) => void): Promise<void> => adopt(unwrapped((m) => timed(m.kdf, () => unlockWithPassword(deps.kdf, m, password, onProgress)))),
    unlockWithRecoveryCode: (code: string): Promise<void> => adopt(unwrapped((m) => unlockWithRecoveryCode(m, code))),
    /** User verification (§6.2.3) while unlocked: proves the master password again; the key stays as it is. */
    async verifyPassword(password: string, onProgress?: (f: number) => void): Promise<void> {
      (await unwrapped((m) => timed(m.kdf, () => unlockWithPassword(deps.kdf, m, password, onProgress)))).fill(0);
    },
    /** How long the last successful Argon2id run took, and its cost (m × t): the screens estimate unlock times from it. */
    lastDerivation: (): { ms: number; cost: number } | undefined => derivation,
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
      if (s) {
        const pending = [...pendingTouch.keys()].map((id) => s.entries.get(id)).filter((e): e is Entry => !!e);
        if (pending.length) await persist(pending.map((e) => used(s, e))).catch(() => {});
      }
      pendingTouch.clear();
      if (s) for (const e of s.entries.values()) { e.passkey.pkcs8.fill(0); e.passkey.prfSecret.fill(0); }
      s?.raw.fill(0);
      undoable = undefined;
      state = undefined;
      await deps.session.clear();
    },
    all(): CredentialMeta[] {
      return [...unlocked().entries.values()].map((e) => meta_(e.passkey, e.recordId));
    },
    /** Where this vault lives on a sync server; undefined for a vault made before sync existed (rotate the recovery code). */
    async syncIdentity(): Promise<SyncIdentity | undefined> {
      const m = await loadMeta();
      return m ? openSyncIdentity(m, unlocked().key) : undefined;
    },
    /** The vault header as stored (wrapped keys only): the sync service sends its recovery wrapping to the server. */
    async header(): Promise<VaultMeta | undefined> {
      return loadMeta();
    },
    /**
     * A new master password for the unlocked vault (or the same one under another KDF strength: `kdf`, at or above
     * MIN_KDF, else RangeError and nothing changes); the recovery code is unchanged. The caller proves the current
     * password first (verifyPassword).
     */
    async changePassword(password: string, opts: { kdf?: { m: number; t: number; p?: number }; onProgress?: (f: number) => void } = {}): Promise<void> {
      const m = await loadMeta();
      if (!m) throw new VaultNotSetUpError();
      const raw = unlocked().raw;
      const cost = opts.kdf ? { m: opts.kdf.m, t: opts.kdf.t } : m.kdf;
      const next = await timed(cost, () => rewrapPassword(deps.kdf, m, raw, password, opts));
      await deps.storage.putMeta(next);
      meta = next;
    },
    /** A forgotten master password: the recovery code opens the vault, a new password replaces the old one. */
    async resetPassword(recoveryCode: string, password: string, onProgress?: (f: number) => void): Promise<void> {
      await adopt(unwrapped((m) => unlockWithRecoveryCode(m, recoveryCode)));
      await this.changePassword(password, { onProgress });
    },
    /**
     * A new recovery code. Returned prepared: `commit()` stores it once the sync server (if any) has moved the vault,
     * so a failure in between leaves the old code working everywhere.
     */
    async prepareRecoveryRotation(): Promise<{ recoveryCode: string; identity: SyncIdentity; keyBlob: string; commit: () => Promise<void> }> {
      const m = await loadMeta();
      if (!m) throw new VaultNotSetUpError();
      const r = await rotateRecovery(m, unlocked().raw);
      return {
        recoveryCode: r.recoveryCode,
        identity: r.identity,
        keyBlob: recoveryKeyBlob(r.meta),
        commit: async () => {
          await deps.storage.putMeta(r.meta);
          meta = r.meta;
        },
      };
    },
    /** A fresh browser: the vault from its recovery wrapping (a server or a backup), under a new master password. Refuses to overwrite a vault. */
    async restore(recoveryCode: string, recoveryWrap: { iv: string; ct: string }, password: string, onProgress?: (f: number) => void): Promise<SyncIdentity> {
      if (await loadMeta()) throw new Error('Keyport already holds a vault here; a restore would replace it. Nothing was changed.');
      const r = await restoredVaultKeys(deps.kdf, recoveryCode, recoveryWrap, password, { now: deps.now(), onProgress });
      await deps.storage.putMeta(r.meta);
      meta = r.meta;
      await adopt(Promise.resolve(r.vaultKey));
      return r.identity;
    },
    /**
     * A fresh browser from a backup file's header: the file's password or recovery code opens its vault key, a new
     * master password wraps it here, the recovery code stays the same. Refuses to overwrite a vault.
     */
    async restoreFromHeader(fileMeta: VaultMeta, secret: { recoveryCode: string } | { password: string }, password: string, onProgress?: (f: number) => void): Promise<void> {
      if (await loadMeta()) throw new Error('Keyport already holds a vault here; a restore would replace it. Nothing was changed.');
      const vaultKey = 'recoveryCode' in secret ? await unlockWithRecoveryCode(fileMeta, secret.recoveryCode) : await unlockWithPassword(deps.kdf, fileMeta, secret.password);
      const next = await rewrapPassword(deps.kdf, fileMeta, vaultKey, password, { onProgress });
      await deps.storage.putMeta(next);
      meta = next;
      await adopt(Promise.resolve(vaultKey));
    },
    /** A copy of the raw vault key, for pairing a new browser (sealed to it under the agreed key). Background only. */
    rawKeyCopy(): Uint8Array {
      return unlocked().raw.slice();
    },
    /** A fresh browser paired with another: the vault key it sent, under a new master password here. Refuses to overwrite a vault. */
    async restoreFromKey(vaultKey: Uint8Array, recoveryWrap: { iv: string; ct: string }, identity: SyncIdentity, password: string, onProgress?: (f: number) => void): Promise<void> {
      if (await loadMeta()) throw new Error('Keyport already holds a vault here; pairing would replace it. Nothing was changed.');
      const next = await pairedVaultKeys(deps.kdf, vaultKey, recoveryWrap, identity, password, { now: deps.now(), onProgress });
      await deps.storage.putMeta(next);
      meta = next;
      await adopt(Promise.resolve(vaultKey));
    },
    /** What BS (backed up) says for a passkey: set by the sync service (sync on, or in a backup since its last change). */
    setBackupPolicy(policy: (p: CredentialMeta, state: { seq: number; dirty: boolean }) => boolean): void {
      backupPolicy = policy;
    },
    /** The COSE public key of a passkey (public data: the inspector checks signatures with it). */
    publicKeyCose(credentialId: string): Uint8Array | undefined {
      return state?.entries.get(credentialId)?.passkey.publicKeyCose.slice();
    },
    damaged(): { recordId: string; message: string }[] {
      return unlocked().damaged.map((d) => ({ recordId: d.recordId, message: d.message }));
    },
    /** Sorts what a file holds into new passkeys, duplicates (same RP ID and credential id) and conflicts. */
    planImport(items: PortablePasskey[]): ImportPlan {
      const entries = unlocked().entries;
      const plan: ImportPlan = { add: [], duplicates: [], conflicts: [] };
      const seen = new Set<string>();
      for (const item of items) {
        const id = b64u(item.credentialId);
        const here = entries.get(id);
        if (here) (here.passkey.rpId === item.rpId ? plan.duplicates : plan.conflicts).push(item);
        else if (seen.has(id)) plan.duplicates.push(item);
        else {
          seen.add(id);
          plan.add.push(item);
        }
      }
      return plan;
    },
    /** Adds the plan's new passkeys in one transaction (rule 4): all of them, or none and an error. */
    async importPasskeys(plan: ImportPlan, opts: { backedUp: boolean }): Promise<CredentialMeta[]> {
      const s = unlocked();
      const fresh = plan.add
        .filter((p) => !s.entries.has(b64u(p.credentialId)))
        .map(
          (p): Passkey => ({
            credentialId: b64u(p.credentialId),
            rpId: p.rpId,
            userHandle: b64u(p.userHandle),
            userName: p.userName,
            userDisplayName: p.userDisplayName,
            alg: p.alg,
            discoverable: p.discoverable ?? true,
            backedUp: opts.backedUp,
            createdAt: p.createdAt ?? deps.now(),
            ...(p.lastUsedAt !== undefined ? { lastUsedAt: p.lastUsedAt } : {}),
            ...(p.signCount !== undefined ? { signCount: p.signCount } : {}),
            pkcs8: p.pkcs8.slice(),
            publicKeyCose: p.publicKeyCose.slice(),
            // A manager that did not carry the PRF secret: a new one (the site's PRF outputs change).
            prfSecret: p.prfSecret?.slice() ?? globalThis.crypto.getRandomValues(new Uint8Array(32)),
          }),
        );
      await persist(fresh.map((p) => created(s, p)));
      return fresh.map((p) => meta_(p));
    },
    /** Copies of passkeys with their keys, for an export the person asked for. Stays in the background (rule 3). */
    exportPasskeys(credentialIds?: readonly string[]): PortablePasskey[] {
      const s = unlocked();
      const chosen = credentialIds ? credentialIds.map((id) => entry(id)) : [...s.entries.values()];
      return chosen.map(({ passkey: p }) => ({
        credentialId: fromB64u(p.credentialId),
        rpId: p.rpId,
        userHandle: fromB64u(p.userHandle),
        userName: p.userName,
        userDisplayName: p.userDisplayName,
        pkcs8: p.pkcs8.slice(),
        alg: p.alg,
        publicKeyCose: p.publicKeyCose.slice(),
        prfSecret: p.prfSecret.slice(),
        createdAt: p.createdAt,
        ...(p.lastUsedAt !== undefined ? { lastUsedAt: p.lastUsedAt } : {}),
        ...(p.signCount !== undefined ? { signCount: p.signCount } : {}),
        discoverable: p.discoverable,
      }));
    },
    /** Removes every passkey in one transaction (the testing fixture's clearCredentials). */
    async clear(): Promise<number> {
      const s = unlocked();
      const all = [...s.entries.values()];
      await persist(all.map((e) => deleted(s, e.recordId)));
      return all.length;
    },
    async remove(credentialId: string): Promise<boolean> {
      const s = unlocked();
      const e = s.entries.get(credentialId);
      if (!e) return false;
      const before = s.held.get(e.recordId)!;
      await persist([deleted(s, e.recordId)]);
      // Undo (below) needs the passkey back; only in memory, only briefly, wiped on lock with the rest.
      undoable = { recordId: e.recordId, data: before.item.data!, at: deps.now() };
      return true;
    },
    /** Brings back the passkey removed last, within UNDO_MS, as a new version of its record (synced like an edit). */
    async undoRemove(): Promise<CredentialMeta | undefined> {
      const s = unlocked();
      const u = undoable;
      undoable = undefined;
      if (!u || deps.now() - u.at > UNDO_MS) return undefined;
      const h = s.held.get(u.recordId);
      if (!h || !h.item.deleted) return undefined;
      const hlc = encodeHlc(s.clock.receive(decodeHlc(h.item.hlc), deps.now()));
      await persist([{ item: { ...h.item, hlc, deleted: false, data: u.data }, seq: h.seq, dirty: true }]);
      const credentialId = s.byRecord.get(u.recordId);
      return credentialId ? meta_(s.entries.get(credentialId)!.passkey, u.recordId) : undefined;
    },
    /** A new account name or display name for a passkey (what the person sees; the site keeps its own). */
    async rename(credentialId: string, names: { userName?: string; userDisplayName?: string }): Promise<void> {
      const s = unlocked();
      const e = entry(credentialId);
      const next: Passkey = { ...e.passkey, ...(names.userName !== undefined ? { userName: names.userName } : {}), ...(names.userDisplayName !== undefined ? { userDisplayName: names.userDisplayName } : {}) };
      await persist([edited(s, { ...e, passkey: next })]);
    },
    /**
     * What a file held besides passkeys (other items, other credential types), kept sealed like a passkey on this
     * browser, so that exporting in the same format writes it back. One record per imported file.
     */
    async carry(format: string, preserved: unknown): Promise<void> {
      const s = unlocked();
      const item: SyncItem = { id: newRecordId(), kind: 'settings', hlc: encodeHlc(s.clock.tick(deps.now())), deleted: false, data: { type: 'carried', format, at: deps.now(), preserved } };
      // Kept on this browser only (never dirty, so never pushed): a whole file's other items can be far larger
      // than a sync record may be (storage.sync: 8 KB an item), and they are not passkeys.
      await persist([{ item, seq: 0, dirty: false }]);
    },
    /** The most recent file content carried for `format` (see carry), if any. */
    carried(format: string): unknown {
      let best: { at: number; preserved: unknown } | undefined;
      for (const { item } of unlocked().held.values()) {
        const d = item.data as { type?: unknown; format?: unknown; at?: unknown; preserved?: unknown } | undefined;
        if (item.deleted || item.kind !== 'settings' || d?.type !== 'carried' || d.format !== format || typeof d.at !== 'number') continue;
        if (!best || d.at > best.at) best = { at: d.at, preserved: d.preserved };
      }
      return best?.preserved;
    },
    /** Called after every local change that sync should carry (the scheduler's "on change"). */
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The vault as the sync engine's replica (src/sync/engine.ts): every record, its sync state, one transaction per commit. */
    replica: {
      async cursor() {
        return unlocked().cursor;
      },
      async get(ids) {
        const s = unlocked();
        return ids.flatMap((id) => {
          const h = s.held.get(id);
          return h ? [{ ...h }] : [];
        });
      },
      async dirty() {
        return [...unlocked().held.values()].filter((h) => h.dirty).map((h) => ({ ...h }));
      },
      async all() {
        return [...unlocked().held.values()].map((h) => ({ ...h }));
      },
      async commit(c: Commit) {
        const s = unlocked();
        for (const u of c.upserts) {
          const cur = s.held.get(u.item.id);
          if ((cur ? itemFingerprint(cur.item) : null) !== u.expect) return false;
        }
        for (const u of c.upserts) s.clock.receive(decodeHlc(u.item.hlc), deps.now());
        const marks: RecordSyncState[] = [];
        const upserted = new Map(c.upserts.map((u) => [u.item.id, u]));
        for (const m of c.synced) {
          const cur = upserted.get(m.id) ?? s.held.get(m.id);
          if (cur) marks.push({ id: m.id, seq: m.seq, dirty: cur.dirty && itemFingerprint(cur.item) !== m.fingerprint });
        }
        const markOf = new Map(marks.map((m) => [m.id, m]));
        // A record written now carries its final sync state; a mark alone updates a stored record's state.
        const records = await Promise.all(
          c.upserts.map(async (u) => {
            const m = markOf.get(u.item.id);
            return { ...(await sealRecord(s.key, u.item.id, 'item', u.item)), seq: m?.seq ?? u.seq, dirty: m?.dirty ?? u.dirty };
          }),
        );
        const states = marks.filter((m) => !upserted.has(m.id));
        const head = c.cursor !== undefined ? { cursor: c.cursor, node: s.clock.node } : undefined;
        await deps.storage.write({ records, states, ...(head ? { head } : {}) });
        for (const u of c.upserts) adoptItem(s, { item: u.item, seq: u.seq, dirty: u.dirty });
        for (const m of marks) {
          const h = s.held.get(m.id);
          if (h) s.held.set(m.id, { ...h, seq: m.seq, dirty: m.dirty });
        }
        if (head) s.cursor = head.cursor;
        return true;
      },
    } satisfies Replica,
    /** Every record as a sync item, for a backup file. */
    items(): LocalEntry[] {
      return [...unlocked().held.values()].map((h) => ({ ...h }));
    },
    /** The vault key (AES-GCM, not extractable) that seals sync items. */
    cryptoKey(): CryptoKey {
      return unlocked().key;
    },
  };
}

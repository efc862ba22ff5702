// The passkeys as the person and the ceremonies see them: the authenticator's CredentialStore (list, add, sign,
// sign-in counters), the list the screens show, rename, remove and its undo. What a passkey's backed-up flag
// (BS) says is the sync service's policy. Sign-ins change memory at once and are written soon after, coalesced.
import { type GeneratedKey, type Signer, generateCredentialKey, importSigner } from '../webauthn/authenticator/keys.ts';
import type { Alg } from '../webauthn/cose.ts';
import type { CredentialMeta, CredentialStore, NewCredential } from '../webauthn/authenticator/model.ts';
import { type HiddenBySite, type Passkey, passkeyToData } from './record.ts';
import type { Entry, Records } from './replica.ts';
import type { JsonObject } from '../sync/item.ts';

/** How long a removed passkey can be brought back. */
export const UNDO_MS = 30_000;
/** How long a passkey hidden by its site waits to be restored before it is deleted. */
export const HIDDEN_KEEP_MS = 30 * 24 * 3600_000;

/** A passkey as the screens see it: its metadata, and whether its site hid it. */
export type PasskeyMeta = CredentialMeta & { hiddenBySite?: HiddenBySite };

export type BackupPolicy = (p: CredentialMeta, state: { seq: number; dirty: boolean }) => boolean;

export type PasskeyStore = ReturnType<typeof createPasskeyStore>;

export function createPasskeyStore(deps: { records: Records; now: () => number; touchDelayMs?: number }) {
  const { records } = deps;
  /** Sign-ins waiting to be written, by credential id. */
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  /** The passkey removed last, for undo: its record and payload, kept in memory for UNDO_MS. */
  let undoable: { recordId: string; data: JsonObject; at: number } | undefined;
  let backupPolicy: BackupPolicy | undefined;
  /**
   * Imported signing keys, by the decoded private key they came from: a new version of a record that holds the same
   * key keeps that decoded key (replica.ts adopt), and so its signer; lock zeroes and drops them all.
   */
  const signers = new WeakMap<Uint8Array, Promise<Signer>>();

  /**
   * What may leave the background about a passkey: its metadata, named one by one, so that a field added to a
   * passkey stays inside until it is added here (docs/design.md rule 3). The keys and the site's blobs never leave.
   * Built field by field rather than by rest destructuring: about 20 times faster, for a site with many accounts.
   */
  function metaOf(p: Passkey, recordId: string | undefined): CredentialMeta {
    const m: CredentialMeta = {
      credentialId: p.credentialId, rpId: p.rpId, userHandle: p.userHandle, userName: p.userName, userDisplayName: p.userDisplayName,
      alg: p.alg, discoverable: p.discoverable, backedUp: p.backedUp, createdAt: p.createdAt,
    };
    if (p.lastUsedAt !== undefined) m.lastUsedAt = p.lastUsedAt;
    if (p.signCount !== undefined) m.signCount = p.signCount;
    const h = recordId && records.isOpen() ? records.record(recordId) : undefined;
    if (backupPolicy) m.backedUp = backupPolicy(m, h ?? { seq: 0, dirty: true });
    return m;
  }
  /** A passkey as the screens see it: its metadata, and whether its site hid it. */
  function describe(p: Passkey, recordId?: string): PasskeyMeta {
    const m: PasskeyMeta = metaOf(p, recordId);
    if (p.hiddenBySite) m.hiddenBySite = { ...p.hiddenBySite };
    return m;
  }

  /** Coalesces: a burst of sign-ins writes the record once, after the answer has gone out. */
  function writeSoon(credentialId: string, e: Entry): void {
    if (pending.has(credentialId)) return;
    pending.set(
      credentialId,
      setTimeout(() => {
        pending.delete(credentialId);
        if (records.isOpen() && records.findEntry(credentialId) === e) records.persist([records.used(e)]).catch(() => {});
      }, deps.touchDelayMs ?? 1000),
    );
  }

  const store: CredentialStore = {
    // A passkey hidden by its site is in no ceremony and no autofill list (WebAuthn L3 §5.1.10).
    list(rpId, ids) {
      const out: CredentialMeta[] = [];
      // Named passkeys are looked up (in the site's order, each once); otherwise the site's own, from its index.
      const found = ids ? [...new Set(ids)].map((id) => records.findEntry(id)) : records.entriesFor(rpId);
      for (const e of found) {
        if (!e || e.passkey.rpId !== rpId || e.passkey.hiddenBySite) continue;
        out.push(metaOf(e.passkey, e.recordId));
      }
      return out;
    },
    async add(c: NewCredential) {
      const passkey: Passkey = { ...c, pkcs8: c.pkcs8.slice() };
      if (!passkey.largeBlob) delete passkey.largeBlob;
      if (!passkey.credBlob) delete passkey.credBlob;
      await records.persist([records.added('passkey', passkeyToData(passkey))]);
    },
    async sign(credentialId, data) {
      const e = records.entry(credentialId);
      let signer = signers.get(e.passkey.pkcs8);
      if (!signer) signers.set(e.passkey.pkcs8, (signer = importSigner(e.passkey.alg, e.passkey.pkcs8)));
      return (await signer)(data);
    },
    prfSecret: (credentialId) => records.entry(credentialId).passkey.prfSecret,
    blobs(credentialId) {
      const { largeBlob, credBlob } = records.entry(credentialId).passkey;
      return { ...(largeBlob ? { largeBlob } : {}), ...(credBlob ? { credBlob } : {}) };
    },
    // An edit (a new version of the record, so it syncs), written before the answer says `written: true`.
    async writeLargeBlob(credentialId, blob) {
      const e = records.entry(credentialId);
      if (!e.passkey.largeBlob) return false;
      await records.persist([records.edited(e.recordId, { data: passkeyToData({ ...e.passkey, largeBlob: blob.slice() }) })]);
      return true;
    },
    // A sign-in's monotone fields: changed in memory now, written by writeSoon.
    touch(credentialId, at) {
      const e = records.entry(credentialId);
      e.passkey.lastUsedAt = Math.max(e.passkey.lastUsedAt ?? 0, at);
      writeSoon(credentialId, e);
    },
    setSignCount(credentialId, count) {
      const e = records.entry(credentialId);
      e.passkey.signCount = count;
      writeSoon(credentialId, e);
    },
    generateKey: (alg: Alg): Promise<GeneratedKey> => generateCredentialKey(alg),
  };

  /** Writes new versions of these passkeys in one transaction (each an edit, so it syncs). */
  async function rewrite(changes: { e: Entry; next: Passkey }[]): Promise<number> {
    if (changes.length) await records.persist(changes.map(({ e, next }) => records.edited(e.recordId, { data: passkeyToData(next) })));
    return changes.length;
  }
  const hide = (e: Entry, by: HiddenBySite) => ({ e, next: { ...e.passkey, hiddenBySite: by } });
  const unhide = (e: Entry) => {
    const { hiddenBySite: _h, ...next } = e.passkey;
    return { e, next: next as Passkey };
  };
  /** The live passkeys of one account on one site. */
  const account = (rpId: string, userId: string) => {
    return records.entriesFor(rpId).filter((e) => e.passkey.userHandle === userId);
  };

  return {
    store,
    describe,
    all: (): PasskeyMeta[] => records.entries().map((e) => describe(e.passkey, e.recordId)),
    /** The COSE public key of a passkey (public data: the inspector checks signatures with it). */
    publicKeyCose(credentialId: string): Uint8Array | undefined {
      return records.isOpen() ? records.findEntry(credentialId)?.passkey.publicKeyCose.slice() : undefined;
    },
    /** What BS (backed up) says for a passkey: set by the sync service (sync on, or in a backup since its last change). */
    setBackupPolicy(policy: BackupPolicy): void {
      backupPolicy = policy;
    },
    /** A new account name or display name for a passkey (what the person sees; the site keeps its own). */
    async rename(credentialId: string, names: { userName?: string; userDisplayName?: string }): Promise<void> {
      const e = records.entry(credentialId);
      const next: Passkey = { ...e.passkey, ...(names.userName !== undefined ? { userName: names.userName } : {}), ...(names.userDisplayName !== undefined ? { userDisplayName: names.userDisplayName } : {}) };
      await records.persist([records.edited(e.recordId, { data: passkeyToData(next) })]);
    },
    async remove(credentialId: string): Promise<boolean> {
      const e = records.findEntry(credentialId);
      if (!e) return false;
      const before = records.record(e.recordId)!;
      await records.persist([records.deleted(e.recordId)]);
      // Undo (below) needs the passkey back; only in memory, only briefly, wiped on lock with the rest.
      undoable = { recordId: e.recordId, data: before.item.data!, at: deps.now() };
      return true;
    },
    /** Brings back the passkey removed last, within UNDO_MS, as a new version of its record (synced like an edit). */
    async undoRemove(): Promise<CredentialMeta | undefined> {
      records.assertOpen();
      const u = undoable;
      undoable = undefined;
      if (!u || deps.now() - u.at > UNDO_MS) return undefined;
      if (!records.record(u.recordId)?.item.deleted) return undefined;
      await records.persist([records.edited(u.recordId, { deleted: false, data: u.data })]);
      const back = records.entries().find((e) => e.recordId === u.recordId);
      return back ? describe(back.passkey, u.recordId) : undefined;
    },
    /** Removes every passkey in one transaction (the testing fixture's clearCredentials). */
    async clear(): Promise<number> {
      const all = records.entries();
      await records.persist(all.map((e) => records.deleted(e.recordId)));
      return all.length;
    },
    // ---- Signals (WebAuthn L3 §5.1.10), already validated (client/validate.ts validateSignal: ids are strict base64url,
    // one spelling per byte string, so they compare as strings); each answers how many passkeys changed ----
    /** signalUnknownCredential: the site no longer knows this passkey; it is hidden, not deleted. */
    async signalUnknown(s: { rpId: string; credentialId: string; origin: string }): Promise<number> {
      const e = records.findEntry(s.credentialId);
      if (!e || e.passkey.rpId !== s.rpId || e.passkey.hiddenBySite) return 0;
      return rewrite([hide(e, { at: deps.now(), origin: s.origin, signal: 'unknown' })]);
    },
    /**
     * signalAllAcceptedCredentials: this account's passkeys the site does not list are hidden; one it lists again
     * comes back. Only what the site hid comes back: a passkey the person deleted is a tombstone, not here.
     */
    async signalAllAccepted(s: { rpId: string; userId: string; allAcceptedCredentialIds: string[]; origin: string }): Promise<number> {
      const accepted = new Set(s.allAcceptedCredentialIds);
      const at = deps.now();
      return rewrite(
        account(s.rpId, s.userId).flatMap((e) => {
          const listed = accepted.has(e.passkey.credentialId);
          if (listed && e.passkey.hiddenBySite) return [unhide(e)];
          if (!listed && !e.passkey.hiddenBySite) return [hide(e, { at, origin: s.origin, signal: 'allAccepted' })];
          return [];
        }),
      );
    },
    /** signalCurrentUserDetails: the account's names as the site now has them, on each of its passkeys. */
    async signalUserDetails(s: { rpId: string; userId: string; name: string; displayName: string }): Promise<number> {
      return rewrite(
        account(s.rpId, s.userId).flatMap((e) =>
          e.passkey.userName === s.name && e.passkey.userDisplayName === s.displayName ? [] : [{ e, next: { ...e.passkey, userName: s.name, userDisplayName: s.displayName } }],
        ),
      );
    },
    /** The person brings back a passkey its site hid (the popup's Restore). */
    async restoreHidden(credentialId: string): Promise<boolean> {
      const e = records.entry(credentialId);
      return (await rewrite(e.passkey.hiddenBySite ? [unhide(e)] : [])) > 0;
    },
    /** Deletes (tombstones) the passkeys hidden by their site more than HIDDEN_KEEP_MS ago, in one transaction. */
    async purgeHidden(): Promise<number> {
      const due = records.entries().filter((e) => e.passkey.hiddenBySite && deps.now() - e.passkey.hiddenBySite.at >= HIDDEN_KEEP_MS);
      if (due.length) await records.persist(due.map((e) => records.deleted(e.recordId)));
      return due.length;
    },
    /** Writes the sign-ins still waiting, before the key goes (lock). */
    async flush(): Promise<void> {
      for (const t of pending.values()) clearTimeout(t);
      const due = records.isOpen() ? [...pending.keys()].flatMap((id) => records.findEntry(id) ?? []) : [];
      pending.clear();
      if (due.length) await records.persist(due.map((e) => records.used(e))).catch(() => {});
    },
    /** Forgets what only memory held (lock). */
    forget(): void {
      undoable = undefined;
    },
  };
}

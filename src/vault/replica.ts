// The vault's records as sync sees them (src/sync/engine.ts Replica): every record, live or tombstone, with its
// sync state; the live passkeys decoded from them; the hybrid logical clock that stamps this browser's changes;
// the pull cursor. Open only while the vault is unlocked. Every write is one transaction, and memory follows
// only once it has succeeded (docs/design.md rule 4).
import { type Passkey, RecordError, type StoredRecord, newRecordId, openPasskey, openRecord, passkeyFromData, passkeyToData, sealRecord } from './record.ts';
import type { RecordSyncState, SyncHead, VaultStorage } from './storage.ts';
import { equalBytes } from '@noble/curves/utils.js';
import { VaultLockedError } from './errors.ts';
import { type Clock, createClock, decode as decodeHlc, encode as encodeHlc, newNodeId } from '../sync/hlc.ts';
import { type JsonObject, type SyncItem, type SyncKind, isSyncItem, itemFingerprint } from '../sync/item.ts';
import { tombstoneFor } from '../sync/merge.ts';
import type { Commit, LocalEntry, Replica } from '../sync/engine.ts';

/** A live passkey: its record, and the decoded passkey the ceremonies use. */
export interface Entry {
  recordId: string;
  passkey: Passkey;
}

interface Opened {
  /** The vault key the records are sealed under. */
  key: CryptoKey;
  /** Live passkeys by credential id. */
  entries: Map<string, Entry>;
  /** Credential id of each live passkey's record. */
  byRecord: Map<string, string>;
  /** Credential ids of the live passkeys of each RP ID: a sign-in reads its site's, whatever the vault's size. */
  byRp: Map<string, Set<string>>;
  /** Every record by record id, tombstones included. */
  held: Map<string, LocalEntry>;
  damaged: RecordError[];
  clock: Clock;
  cursor: number;
}

/** A record written before sync existed: a timestamp from its creation, never pushed. */
const LEGACY_NODE = '0'.repeat(16);

export type Records = ReturnType<typeof createReplica>;

/** Whether two versions of a passkey hold the same private key. */
const sameKey = (a: Passkey, b: Passkey): boolean => a.credentialId === b.credentialId && a.alg === b.alg && equalBytes(a.pkcs8, b.pkcs8);

export function createReplica(deps: { storage: Pick<VaultStorage, 'listRecords' | 'getHead' | 'write'>; now: () => number }) {
  let state: Opened | undefined;
  const listeners = new Set<() => void>();

  function opened(): Opened {
    if (!state) throw new VaultLockedError();
    return state;
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

  /** A live passkey, in every index. */
  function keep(s: Pick<Opened, 'entries' | 'byRecord' | 'byRp'>, recordId: string, passkey: Passkey): void {
    s.entries.set(passkey.credentialId, { recordId, passkey });
    s.byRecord.set(recordId, passkey.credentialId);
    const site = s.byRp.get(passkey.rpId);
    if (site) site.add(passkey.credentialId);
    else s.byRp.set(passkey.rpId, new Set([passkey.credentialId]));
  }

  /** Memory after a write: the record, and the live passkey it holds (or none for a tombstone). */
  function adopt(s: Opened, c: LocalEntry): void {
    s.held.set(c.item.id, { item: c.item, seq: c.seq, dirty: c.dirty });
    const before = s.byRecord.get(c.item.id);
    let prior: Passkey | undefined;
    if (before !== undefined) {
      const e = s.entries.get(before);
      s.entries.delete(before);
      s.byRecord.delete(c.item.id);
      if (e) {
        const site = s.byRp.get(e.passkey.rpId);
        site?.delete(before);
        if (site?.size === 0) s.byRp.delete(e.passkey.rpId);
        prior = e.passkey;
      }
    }
    let passkey: Passkey | undefined;
    try {
      if (!c.item.deleted && c.item.kind === 'passkey') passkey = passkeyFromData(c.item.id, c.item.data);
    } catch (e) {
      s.damaged.push(e instanceof RecordError ? e : new RecordError(c.item.id, String(e)));
    }
    if (prior && passkey && sameKey(prior, passkey)) {
      // A new version with the same key (a sign-in's last use, a rename, a large blob) keeps the decoded key it had,
      // so the signing key imported from it (passkeyStore.ts) serves the next sign-in without importing it again.
      passkey.pkcs8.fill(0);
      passkey.pkcs8 = prior.pkcs8;
    } else {
      prior?.pkcs8.fill(0); // the old copy of the key; the new version decoded its own
    }
    if (passkey) keep(s, c.item.id, passkey);
  }

  /** A version after the record's current one, so it wins over every version this browser has seen. */
  function after(s: Opened, h: LocalEntry): string {
    return encodeHlc(s.clock.receive(decodeHlc(h.item.hlc), deps.now()));
  }

  function current(s: Opened, recordId: string): LocalEntry {
    const h = s.held.get(recordId);
    if (!h) throw new Error(`No record with id ${recordId}.`);
    return h;
  }

  const replica: Replica = {
    async cursor() {
      return opened().cursor;
    },
    async get(ids) {
      const s = opened();
      return ids.flatMap((id) => {
        const h = s.held.get(id);
        return h ? [{ ...h }] : [];
      });
    },
    async dirty() {
      return [...opened().held.values()].filter((h) => h.dirty).map((h) => ({ ...h }));
    },
    async all() {
      return [...opened().held.values()].map((h) => ({ ...h }));
    },
    async commit(c: Commit) {
      const s = opened();
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
      for (const u of c.upserts) adopt(s, { item: u.item, seq: u.seq, dirty: u.dirty });
      for (const m of marks) {
        const h = s.held.get(m.id);
        if (h) s.held.set(m.id, { ...h, seq: m.seq, dirty: m.dirty });
      }
      if (head) s.cursor = head.cursor;
      return true;
    },
  };

  return {
    /** Reads and opens every record with the vault key; one that fails is reported and kept as it is, never dropped (rule 4). */
    async open(key: CryptoKey): Promise<void> {
      const live = { entries: new Map<string, Entry>(), byRecord: new Map<string, string>(), byRp: new Map<string, Set<string>>() };
      const held = new Map<string, LocalEntry>();
      const damaged: RecordError[] = [];
      const [records, head] = await Promise.all([deps.storage.listRecords(), deps.storage.getHead()]);
      let latest = '';
      for (const record of records) {
        try {
          const item = await itemOf(key, record);
          held.set(item.id, { item, seq: record.seq ?? 0, dirty: record.dirty ?? true });
          if (item.hlc > latest) latest = item.hlc;
          if (!item.deleted && item.kind === 'passkey') keep(live, record.id, passkeyFromData(record.id, item.data));
        } catch (e) {
          damaged.push(e instanceof RecordError ? e : new RecordError(record.id, String(e)));
        }
      }
      const node = head?.node ?? newNodeId();
      const clock = createClock(node, latest ? { ...decodeHlc(latest), node } : undefined);
      state = { key, ...live, held, damaged, clock, cursor: head?.cursor ?? 0 };
      if (!head) await deps.storage.write({ head: { cursor: 0, node } });
    },
    /** Forgets every record and wipes the decoded keys (lock). */
    close(): void {
      if (state) for (const e of state.entries.values()) { e.passkey.pkcs8.fill(0); e.passkey.prfSecret.fill(0); }
      state = undefined;
    },
    isOpen: (): boolean => state !== undefined,
    /** VaultLockedError unless open. */
    assertOpen: (): void => void opened(),
    /** The live passkey with this credential id, if any. */
    findEntry: (credentialId: string): Entry | undefined => opened().entries.get(credentialId),
    /** The live passkey with this credential id, or an error that names it. */
    entry(credentialId: string): Entry {
      const e = opened().entries.get(credentialId);
      if (!e) throw new Error(`No passkey with id ${credentialId}.`);
      return e;
    },
    entries: (): Entry[] => [...opened().entries.values()],
    /** The live passkeys of one RP ID. */
    entriesFor(rpId: string): Entry[] {
      const s = opened();
      const out: Entry[] = [];
      // Checked again: two records claiming one credential id leave the index a stale id, never a wrong passkey.
      for (const id of s.byRp.get(rpId) ?? []) {
        const e = s.entries.get(id);
        if (e?.passkey.rpId === rpId) out.push(e);
      }
      return out;
    },
    record: (recordId: string): LocalEntry | undefined => opened().held.get(recordId),
    /** Every record, tombstones included (copies: a backup file takes them as they are). */
    items: (): LocalEntry[] => [...opened().held.values()].map((h) => ({ ...h })),
    damaged: (): { recordId: string; message: string }[] => opened().damaged.map((d) => ({ recordId: d.recordId, message: d.message })),

    /** Writes records and their sync state in one transaction, then (only then) updates memory. */
    async persist(changes: LocalEntry[], head?: SyncHead): Promise<void> {
      const s = opened();
      const records = await Promise.all(changes.map(async (c) => ({ ...(await sealRecord(s.key, c.item.id, 'item', c.item)), seq: c.seq, dirty: c.dirty })));
      await deps.storage.write({ records, ...(head ? { head } : {}) });
      for (const c of changes) adopt(s, c);
      if (head) s.cursor = head.cursor;
      if (changes.some((c) => c.dirty)) for (const f of listeners) f();
    },

    // This browser's changes, made as src/sync/engine.ts Replica's rules require.
    /** A new record: a fresh timestamp, never pushed. */
    added(kind: SyncKind, data: JsonObject, recordId = newRecordId()): LocalEntry {
      return { item: { id: recordId, kind, hlc: encodeHlc(opened().clock.tick(deps.now())), deleted: false, data }, seq: 0, dirty: true };
    },
    /** A new version of a record (an edit, or a tombstone brought back): a timestamp after the record's own. */
    edited(recordId: string, change: { data: JsonObject; deleted?: false }): LocalEntry {
      const s = opened();
      const h = current(s, recordId);
      return { item: { ...h.item, hlc: after(s, h), ...change }, seq: h.seq, dirty: true };
    },
    /** A sign-in (last use, counter): monotone fields only, the timestamp unchanged. */
    used(e: Entry): LocalEntry {
      const h = current(opened(), e.recordId);
      return { item: { ...h.item, data: passkeyToData(e.passkey) }, seq: h.seq, dirty: true };
    },
    /** A delete: a tombstone after the record's current version (monotone fields kept, never a key). */
    deleted(recordId: string): LocalEntry {
      const s = opened();
      const h = current(s, recordId);
      return { item: tombstoneFor(h.item, after(s, h)), seq: h.seq, dirty: true };
    },

    /** Called after every local change that sync should carry (the scheduler's "on change"). */
    onChange(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The replica the sync engine reads and commits to. */
    replica,
  };
}

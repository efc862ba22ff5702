// Test doubles for sync, in memory (tests only; nothing in the extension imports this file):
// - a server with the protocol's semantics (protocol.ts): a global seq, pull by `since` in pages, push
//   with optimistic concurrency on `baseSeq`, the first answer kept per requestId; and faults to inject;
// - a Replica with the contract engine.ts asks of the IndexedDB one: all-or-nothing commits with
//   compare-and-set on fingerprints; and local edits made the way a vault must make them;
// - a storage.sync area that enforces the quotas the way the browser does.
import * as v from 'valibot';
import { encode as b64u } from '../../src/webauthn/base64url.ts';
import { type Clock, decode as decodeHlc, encode as encodeHlc } from '../../src/sync/hlc.ts';
import { type JsonObject, type SyncItem, type SyncKind, itemFingerprint } from '../../src/sync/item.ts';
import { DEFAULT_POLICIES, tombstoneFor } from '../../src/sync/merge.ts';
import { type PullResponse, type PushRequest, PushRequest as PushRequestSchema, type PushResponse, type ServerRecord } from '../../src/sync/protocol.ts';
import { type Commit, type LocalEntry, type Replica, SyncTransportError, type Transport } from '../../src/sync/engine.ts';
import { STORAGE_SYNC_QUOTA, type SyncArea, type SyncAreaQuota } from '../../src/sync/browserSync.ts';

const clone = <T>(x: T): T => structuredClone(x);

// ---- server ----

/** What a transport does with one call: answer, or fail before or after the server handled it, or damage the answer on the wire. */
export type Fault = 'none' | 'offline' | 'lost-response' | 'garbage' | 'unauthorized' | 'server' | WireFault;

/**
 * Damage on the wire to an answer the server gave (`at`, any natural number, picks the record and the place):
 * - flip: one character of one record's blob changed (pull records, push conflicts);
 * - truncate: one record's blob cut short;
 * - cut: the body cut short, so it is not JSON (the HTTP client's 'garbage');
 * - reorder: the records (and a push's applied list) in another order;
 * - duplicate: the request reaches the server twice, and one record of the answer comes twice.
 * The numbers of an answer (seq, latest) are left alone: nothing in the protocol authenticates them (TLS does).
 */
export type WireFault = { wire: 'flip' | 'truncate' | 'cut' | 'reorder' | 'duplicate'; at: number };

export interface FakeServer {
  readonly records: Map<string, ServerRecord>;
  readonly seq: number;
  /** Writes applied (a retried request counts once). */
  readonly writes: number;
  pull(since: number, limit?: number): PullResponse;
  push(req: PushRequest): PushResponse;
  /** A transport to this server; `fault` decides each call's fate (default: none). */
  transport(fault?: (op: 'pull' | 'push') => Fault): Transport & { pulls: number; pushes: PushRequest[] };
  /** A malicious server: flips one bit of a stored blob's ciphertext. */
  flip(id: string): void;
}

export function createFakeServer(opts: { pageSize?: number } = {}): FakeServer {
  const pageSize = opts.pageSize ?? 1000;
  const records = new Map<string, ServerRecord>();
  const answers = new Map<string, PushResponse>();
  let seq = 0;
  let writes = 0;

  const server: FakeServer = {
    records,
    get seq() {
      return seq;
    },
    get writes() {
      return writes;
    },
    pull(since, limit = pageSize) {
      const newer = [...records.values()].filter((r) => r.seq > since).sort((a, b) => a.seq - b.seq);
      const page = newer.slice(0, limit);
      const more = newer.length > page.length;
      return { records: clone(page), latest: more ? page[page.length - 1]!.seq : seq, more };
    },
    push(raw) {
      const req = v.parse(PushRequestSchema, raw);
      const known = answers.get(req.requestId);
      if (known) return clone(known);
      const res: PushResponse = { applied: [], conflicts: [], latest: 0 };
      for (const c of req.changes) {
        const cur = records.get(c.id);
        // A record the server does not have is written whatever its baseSeq: there is no version to lose.
        if (cur && cur.seq !== c.baseSeq) res.conflicts.push(clone(cur));
        else {
          records.set(c.id, { id: c.id, seq: ++seq, blob: c.blob });
          res.applied.push({ id: c.id, seq });
          writes++;
        }
      }
      res.latest = seq;
      answers.set(req.requestId, clone(res));
      return res;
    },
    transport(fault = () => 'none') {
      const t = {
        pulls: 0,
        pushes: [] as PushRequest[],
        async pull(since: number) {
          t.pulls++;
          return answer('pull', () => server.pull(since));
        },
        async push(req: PushRequest) {
          t.pushes.push(clone(req));
          return answer('push', () => server.push(req));
        },
      };
      async function answer<T extends PullResponse | PushResponse>(op: 'pull' | 'push', handle: () => T): Promise<T> {
        const f = fault(op);
        if (f === 'offline') throw new SyncTransportError('offline');
        if (f === 'unauthorized') throw new SyncTransportError('unauthorized');
        if (f === 'server') throw new SyncTransportError('server');
        if (f === 'garbage') return { records: 'nonsense', latest: -1 } as unknown as T;
        if (typeof f === 'object' && f.wire === 'duplicate') handle();
        const out = handle();
        if (f === 'lost-response') throw new SyncTransportError('offline');
        return typeof f === 'object' ? damage(out, f) : out;
      }
      return t;
    },
    flip(id) {
      const r = records.get(id);
      if (!r) throw new Error(`no record ${id}`);
      // The last character carries the tag's last bits; change the one before it instead (whole 6 bits).
      const i = Math.floor(r.blob.length / 2);
      const c = r.blob[i] === 'A' ? 'B' : 'A';
      records.set(id, { ...r, blob: r.blob.slice(0, i) + c + r.blob.slice(i + 1) });
    },
  };
  return server;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** An answer as it arrives after `f` on the wire (see WireFault). */
function damage<T extends PullResponse | PushResponse>(answer: T, f: WireFault): T {
  const out = clone(answer);
  const records: ServerRecord[] = 'records' in out ? out.records : out.conflicts;
  const rec = records.length > 0 ? records[f.at % records.length]! : undefined;
  switch (f.wire) {
    case 'flip':
      if (rec && rec.blob.length > 1) {
        // Not the last character: its low bits can be padding that decoders ignore.
        const i = f.at % (rec.blob.length - 1);
        const next = BASE64URL[(BASE64URL.indexOf(rec.blob[i]!) + 1 + (f.at % 63)) % 64]!;
        rec.blob = rec.blob.slice(0, i) + next + rec.blob.slice(i + 1);
      }
      return out;
    case 'truncate':
      if (rec) rec.blob = rec.blob.slice(0, 1 + (f.at % (rec.blob.length - 1 || 1)));
      return out;
    case 'cut':
      // Any prefix of a JSON object is not JSON.
      throw new SyncTransportError('garbage', 'The answer was cut short on the wire (simulated): it is not JSON.');
    case 'reorder': {
      const turn = <X>(xs: X[]) => xs.push(...xs.splice(0, f.at % Math.max(1, xs.length)));
      turn(records.reverse());
      if ('applied' in out) turn(out.applied.reverse());
      return out;
    }
    case 'duplicate':
      if (rec) records.splice(f.at % records.length, 0, clone(rec));
      return out;
  }
}

// ---- replica ----

export interface MemoryReplica extends Replica {
  readonly entries: Map<string, LocalEntry>;
  readonly commits: Commit[];
  /** The next `n` commits fail (a full disk), writing nothing. */
  failCommits(n: number, message?: string): void;
  /** The live and deleted items, by id, as plain values. */
  items(): Map<string, SyncItem>;
  cursorValue(): number;
}

export function createMemoryReplica(): MemoryReplica {
  const entries = new Map<string, LocalEntry>();
  const commits: Commit[] = [];
  let cursor = 0;
  let failing = 0;
  let failMessage = 'QuotaExceededError: the disk is full';
  return {
    entries,
    commits,
    failCommits(n, message) {
      failing = n;
      if (message) failMessage = message;
    },
    items: () => new Map([...entries].map(([id, e]) => [id, clone(e.item)])),
    cursorValue: () => cursor,
    async cursor() {
      return cursor;
    },
    async get(ids) {
      const out: LocalEntry[] = [];
      for (const id of ids) {
        const e = entries.get(id);
        if (e) out.push(clone(e));
      }
      return out;
    },
    async dirty() {
      return [...entries.values()].filter((e) => e.dirty).map(clone);
    },
    async all() {
      return [...entries.values()].map(clone);
    },
    async commit(c) {
      if (failing > 0) {
        failing--;
        throw new Error(failMessage);
      }
      for (const u of c.upserts) {
        const cur = entries.get(u.item.id);
        if ((cur ? itemFingerprint(cur.item) : null) !== u.expect) return false;
      }
      commits.push(clone(c));
      for (const u of c.upserts) entries.set(u.item.id, { item: clone(u.item), seq: u.seq, dirty: u.dirty });
      for (const s of c.synced) {
        const cur = entries.get(s.id);
        if (!cur) continue;
        entries.set(s.id, { item: cur.item, seq: s.seq, dirty: cur.dirty && itemFingerprint(cur.item) !== s.fingerprint });
      }
      if (c.cursor !== undefined) cursor = c.cursor;
      return true;
    },
  };
}

// ---- local edits, the way a vault makes them ----

/** Record ids for tests: 16 bytes as base64url, from a number (deterministic, unlike newRecordId). */
export function testId(n: number): string {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(12, n);
  b[0] = 0x6b;
  return b64u(b);
}

function current(rep: MemoryReplica, id: string): LocalEntry {
  const e = rep.entries.get(id);
  if (!e) throw new Error(`no local record ${id}`);
  return e;
}

/** A new record: a fresh timestamp, dirty, never pushed. */
export function localCreate(rep: MemoryReplica, clock: Clock, now: number, id: string, data: JsonObject, kind: SyncKind = 'passkey'): SyncItem {
  const item: SyncItem = { id, kind, hlc: encodeHlc(clock.tick(now)), deleted: false, data: clone(data) };
  rep.entries.set(id, { item, seq: 0, dirty: true });
  return item;
}

/** An edit: a timestamp after the record's current one (receive), so it wins over what this replica has seen. */
export function localEdit(rep: MemoryReplica, clock: Clock, now: number, id: string, change: (data: Record<string, unknown>) => void): SyncItem {
  const e = current(rep, id);
  const data = clone({ ...e.item.data }) as Record<string, unknown>;
  change(data);
  const item: SyncItem = { ...e.item, hlc: encodeHlc(clock.receive(decodeHlc(e.item.hlc), now)), deleted: false, data };
  rep.entries.set(id, { ...e, item, dirty: true });
  return item;
}

/** A delete: a tombstone after the current version. */
export function localDelete(rep: MemoryReplica, clock: Clock, now: number, id: string): SyncItem {
  const e = current(rep, id);
  const item = tombstoneFor(e.item, encodeHlc(clock.receive(decodeHlc(e.item.hlc), now)), DEFAULT_POLICIES);
  rep.entries.set(id, { ...e, item, dirty: true });
  return item;
}

/** A sign-in: lastUsedAt only grows, and the timestamp stays, so a use never undoes a rename elsewhere. */
export function localUse(rep: MemoryReplica, id: string, at: number): SyncItem {
  const e = current(rep, id);
  const prev = e.item.data?.lastUsedAt;
  const data = { ...e.item.data, lastUsedAt: typeof prev === 'number' ? Math.max(prev, at) : at };
  const item: SyncItem = { ...e.item, data };
  rep.entries.set(id, { ...e, item, dirty: true });
  return item;
}

// ---- storage.sync ----

export interface MemoryArea extends SyncArea {
  readonly data: Map<string, unknown>;
  /** set() calls that wrote something. */
  readonly writes: number;
  /** The `n`-th set() from now (1: the next) fails before writing. */
  failSet(n: number): void;
  bytesInUse(): number;
}

const utf8 = (s: string) => new TextEncoder().encode(s).length;

/** storage.sync as Chromium and Firefox document it: each item is its key plus its value's JSON; over a quota, set() fails and writes nothing. */
export function createMemoryArea(quota: SyncAreaQuota = STORAGE_SYNC_QUOTA): MemoryArea {
  const data = new Map<string, unknown>();
  let writes = 0;
  let failAt = 0;
  const size = (k: string, x: unknown) => utf8(k) + utf8(JSON.stringify(x));
  const area: MemoryArea = {
    data,
    get writes() {
      return writes;
    },
    failSet(n) {
      failAt = n;
    },
    bytesInUse: () => [...data].reduce((n, [k, x]) => n + size(k, x), 0),
    async get(keys) {
      const wanted = keys === null ? [...data.keys()] : typeof keys === 'string' ? [keys] : keys;
      const out: Record<string, unknown> = {};
      for (const k of wanted) if (data.has(k)) out[k] = clone(data.get(k));
      return out;
    },
    async set(items) {
      if (failAt > 0 && --failAt === 0) throw new Error('The browser stopped (simulated interruption).');
      const next = new Map(data);
      for (const [k, x] of Object.entries(items)) {
        if (size(k, x) > quota.QUOTA_BYTES_PER_ITEM) throw new Error('QUOTA_BYTES_PER_ITEM quota exceeded');
        next.set(k, clone(x));
      }
      if (next.size > quota.MAX_ITEMS) throw new Error('MAX_ITEMS quota exceeded');
      if ([...next].reduce((n, [k, x]) => n + size(k, x), 0) > quota.QUOTA_BYTES) throw new Error('QUOTA_BYTES quota exceeded');
      for (const [k, x] of next) data.set(k, x);
      writes++;
    },
    async remove(keys) {
      for (const k of typeof keys === 'string' ? [keys] : keys) data.delete(k);
      writes++;
    },
  };
  return area;
}

// ---- payloads ----

/** A passkey payload of realistic size (record.ts's JSON form: an ES256 key, base64url byte strings). */
export function samplePasskey(n: number, extra: Record<string, unknown> = {}): JsonObject {
  const bytes = (len: number, seed: number) => b64u(Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed * 7 + n) & 0xff));
  return {
    credentialId: bytes(16, 1),
    rpId: `site-${n}.example.com`,
    userHandle: bytes(32, 2),
    userName: `person${n}@example.com`,
    userDisplayName: `Person ${n}`,
    alg: -7,
    discoverable: true,
    backedUp: true,
    createdAt: 1_700_000_000_000 + n,
    signCount: 0,
    pkcs8: bytes(138, 3),
    publicKeyCose: bytes(77, 4),
    prfSecret: bytes(32, 5),
    ...extra,
  };
}

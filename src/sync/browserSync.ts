// Sync without a server: a Transport over the browser's own sync storage (`storage.sync`), for people
// who stay in one browser family. It carries the same sealed records as the server (item.ts) with the
// same semantics (protocol.ts: a seq per record from a global counter, conflicts on a baseSeq mismatch,
// the first answer again for a repeated requestId), inside the area's quotas, which Chromium and
// Firefox document alike (MDN "storage.sync", "Storage quotas for sync data"):
//   QUOTA_BYTES 102400 in all, QUOTA_BYTES_PER_ITEM 8192, MAX_ITEMS 512, an item's size being its key's
//   length plus its value's JSON; a set() over a quota fails and writes nothing.
// Chromium also limits writes (MAX_WRITE_OPERATIONS_PER_MINUTE 120, _PER_HOUR 1800): a push is two set()
// calls, whatever the number of records.
//
// Layout: "kp:r:<id>" = {seq, blob} per record, and the header "kp:sync" = {v: 1, seq, req?, first?}: the
// counter, and the requestId of the last push with the first seq it gave (seqs first..seq are that push's).
//
// Write order (storage.sync has no transactions): the records in one set(), then the header in another.
// An interruption in between leaves records whose seq is above the header's counter: the next push
// numbers from the highest seq present, so no seq is given twice, and pull lists them, so nothing is
// lost; a retry of the interrupted push finds another requestId in the header and gets conflicts with
// its own versions, which the engine merges to nothing and marks clean. The other order would be wrong:
// a header naming the request before its records exist would answer a retry "applied" for records that
// were never written.
//
// The browser merges this area between a person's browsers key by key, with no notion of our counter:
// two browsers pushing at once can give the same seq to two records, and one browser's version of a record
// can replace another's. So pull returns every record, not only those after `since` (the area is at most
// 100 KB and read from the browser's local copy, so this costs no network), and the engine merges by
// hybrid logical clock, not by seq: a browser whose version lost here but wins by clock pushes it again.
import * as v from 'valibot';
import { Blob, LIMITS, type PullResponse, type PushRequest, PushRequest as PushRequestSchema, type PushResponse, RecordId, Seq, type ServerRecord } from './protocol.ts';
import { SyncTransportError, type Transport } from './engine.ts';

/** The part of `storage.sync` (a StorageArea) this transport uses. */
export interface SyncArea {
  get(keys: string | string[] | null): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
}

export interface SyncAreaQuota {
  QUOTA_BYTES: number;
  QUOTA_BYTES_PER_ITEM: number;
  MAX_ITEMS: number;
}

/** storage.sync's documented quotas (Chromium's chrome.storage.sync; Firefox documents the same numbers). */
export const STORAGE_SYNC_QUOTA: Readonly<SyncAreaQuota> = { QUOTA_BYTES: 102_400, QUOTA_BYTES_PER_ITEM: 8_192, MAX_ITEMS: 512 };

export const HEADER_KEY = 'kp:sync';
export const RECORD_PREFIX = 'kp:r:';

const Header = v.object({
  v: v.literal(1),
  seq: Seq,
  req: v.optional(v.string()),
  first: v.optional(Seq),
});
type Header = v.InferOutput<typeof Header>;

const StoredRecord = v.object({ seq: v.pipe(Seq, v.minValue(1)), blob: Blob });

interface AreaState {
  header: Header;
  records: Map<string, ServerRecord>;
  /** The highest seq anywhere: the header's counter, or a record written by an interrupted push. */
  top: number;
  /** Every item in the area (other data of the extension shares the quota), key -> bytes. */
  sizes: Map<string, number>;
}

const utf8 = (s: string) => new TextEncoder().encode(s).length;
const itemBytes = (key: string, value: unknown) => utf8(key) + utf8(JSON.stringify(value));
const kib = (n: number) => `${Math.round(n / 1024)} KB`;

function areaError(e: unknown): SyncTransportError {
  if (e instanceof SyncTransportError) return e;
  const why = e instanceof Error ? e.message : String(e);
  if (/MAX_WRITE_OPERATIONS/.test(why)) {
    return new SyncTransportError('server', 'The browser limits how often sync storage is written, and that limit was reached. Nothing was lost; Keyport tries again later.', { cause: e });
  }
  if (/QUOTA_BYTES|MAX_ITEMS|quota/i.test(why)) {
    return new SyncTransportError('quota', `The browser's sync storage is full (${why}). Nothing was lost. A Keyport sync server removes this limit.`, { cause: e });
  }
  return new SyncTransportError('server', `The browser's sync storage failed (${why}). Nothing was lost; Keyport tries again later.`, { cause: e });
}

async function readArea(area: SyncArea): Promise<AreaState> {
  let all: Record<string, unknown>;
  try {
    all = await area.get(null);
  } catch (e) {
    throw areaError(e);
  }
  const bad = (key: string, why: string) =>
    new SyncTransportError('garbage', `The browser's sync storage holds something Keyport cannot read at "${key}" (${why}). Nothing was changed in this browser.`);
  let header: Header = { v: 1, seq: 0 };
  const records = new Map<string, ServerRecord>();
  const sizes = new Map<string, number>();
  let top = 0;
  for (const [key, value] of Object.entries(all)) {
    sizes.set(key, itemBytes(key, value));
    if (key === HEADER_KEY) {
      const r = v.safeParse(Header, value);
      if (!r.success) throw bad(key, r.issues[0].message);
      header = r.output;
      top = Math.max(top, header.seq);
    } else if (key.startsWith(RECORD_PREFIX)) {
      const id = key.slice(RECORD_PREFIX.length);
      if (!v.is(RecordId, id)) throw bad(key, 'not a record id');
      const r = v.safeParse(StoredRecord, value);
      if (!r.success) throw bad(key, r.issues[0].message);
      records.set(id, { id, seq: r.output.seq, blob: r.output.blob });
      top = Math.max(top, r.output.seq);
    }
  }
  return { header, records, top, sizes };
}

/** The quota check for the area after `writes`: a sentence for the person, or undefined when it fits. */
function overQuota(st: AreaState, writes: Record<string, unknown>, quota: SyncAreaQuota): string | undefined {
  const sizes = new Map(st.sizes);
  for (const [k, x] of Object.entries(writes)) {
    const n = itemBytes(k, x);
    if (n > quota.QUOTA_BYTES_PER_ITEM) {
      return `One of your passkeys is too large for the browser's sync storage (${n} bytes; it takes at most ${quota.QUOTA_BYTES_PER_ITEM} per item). Nothing was written. A Keyport sync server removes this limit.`;
    }
    sizes.set(k, n);
  }
  let total = 0;
  let recordBytes = 0;
  let recordCount = 0;
  for (const [k, n] of sizes) {
    total += n;
    if (k.startsWith(RECORD_PREFIX)) {
      recordBytes += n;
      recordCount++;
    }
  }
  if (sizes.size <= quota.MAX_ITEMS && total <= quota.QUOTA_BYTES) return undefined;
  const others = sizes.size - recordCount;
  const room = quota.QUOTA_BYTES - (total - recordBytes);
  const fit = Math.max(0, Math.min(quota.MAX_ITEMS - others, Math.floor(room / (recordBytes / recordCount))));
  return (
    `The browser's sync storage is full: it has room for about ${fit} passkeys (${kib(quota.QUOTA_BYTES)} in all), and this vault now needs ${recordCount} ` +
    `records (passkeys, settings and markers of deleted passkeys). Nothing was written, and your passkeys in this browser are untouched. ` +
    `A Keyport sync server removes this limit.`
  );
}

export interface BrowserSyncOptions {
  quota?: SyncAreaQuota;
}

export function createBrowserSyncTransport(area: SyncArea, opts: BrowserSyncOptions = {}): Transport {
  const quota = opts.quota ?? STORAGE_SYNC_QUOTA;

  async function write(items: Record<string, unknown>): Promise<void> {
    try {
      await area.set(items);
    } catch (e) {
      throw areaError(e);
    }
  }

  return {
    /** Every record (see above: the browser's own merging can bring records with a seq below `since`). */
    async pull(_since: number): Promise<PullResponse> {
      const st = await readArea(area);
      const records = [...st.records.values()].sort((a, b) => a.seq - b.seq);
      if (records.length > LIMITS.pullRecords) throw new SyncTransportError('garbage', `The browser's sync storage holds ${records.length} records, more than Keyport ever writes there.`);
      return { records, latest: st.top, more: false };
    },

    async push(req: PushRequest): Promise<PushResponse> {
      const parsed = v.safeParse(PushRequestSchema, req);
      if (!parsed.success) throw new TypeError(`browserSync push: not a push request (${parsed.issues[0].message})`);
      const ids = new Set(req.changes.map((c) => c.id));
      if (ids.size !== req.changes.length) throw new TypeError('browserSync push: a record appears twice in one request');
      const st = await readArea(area);

      if (st.header.req === req.requestId && st.header.first !== undefined) {
        // A retry of the last push that completed: the same answer, rebuilt from what that push wrote.
        const res: PushResponse = { applied: [], conflicts: [], latest: st.top };
        for (const c of req.changes) {
          const cur = st.records.get(c.id);
          if (!cur) continue;
          if (cur.seq >= st.header.first && cur.seq <= st.header.seq) res.applied.push({ id: c.id, seq: cur.seq });
          else res.conflicts.push(cur);
        }
        return res;
      }

      let seq = st.top;
      const first = seq + 1;
      const res: PushResponse = { applied: [], conflicts: [], latest: 0 };
      const records: Record<string, unknown> = {};
      for (const c of req.changes) {
        const cur = st.records.get(c.id);
        // As on the server: a record the area does not have is written whatever its baseSeq (no version to lose).
        if (cur && cur.seq !== c.baseSeq) res.conflicts.push(cur);
        else {
          records[RECORD_PREFIX + c.id] = { seq: ++seq, blob: c.blob };
          res.applied.push({ id: c.id, seq });
        }
      }
      res.latest = seq;
      if (res.applied.length === 0) return res;

      const header: Header = { v: 1, seq, req: req.requestId, first };
      const full = overQuota(st, { ...records, [HEADER_KEY]: header }, quota);
      if (full) throw new SyncTransportError('quota', full);
      await write(records);
      await write({ [HEADER_KEY]: header });
      return res;
    },
  };
}

/** Removes Keyport's records and header from the area (turning browser sync off); other keys stay. */
export async function clearBrowserSync(area: SyncArea): Promise<number> {
  let all: Record<string, unknown>;
  try {
    all = await area.get(null);
  } catch (e) {
    throw areaError(e);
  }
  const keys = Object.keys(all).filter((k) => k === HEADER_KEY || k.startsWith(RECORD_PREFIX));
  if (keys.length > 0) {
    try {
      await area.remove(keys);
    } catch (e) {
      throw areaError(e);
    }
  }
  return keys.length;
}

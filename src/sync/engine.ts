// The sync engine (docs/design.md "Sync"; the wire protocol is protocol.ts): pull what changed since the
// cursor, merge it record by record (merge.ts), push what changed here with the seq it is based on, merge
// the server's version of any conflict and push again. No browser API: the transport (HTTP, or the
// browser's own storage.sync in browserSync.ts) and the local vault are ports.
//
// Rule 4 ("nothing is lost"):
// - every write to the vault is one Replica.commit, all or nothing: a page of pulled records with the
//   cursor that covers them, or one pushed batch's outcome. A sync interrupted anywhere leaves the vault
//   consistent and the next sync resumes (pull again from the last committed cursor; push what is still dirty);
// - a commit overwrites a local item only if it is still the version the merge read (compare-and-set on
//   itemFingerprint), so an edit made while a sync was on the network is merged, never overwritten;
// - a pushed item is marked clean only if it is still the version that was pushed;
// - a record that fails to open is reported and the local copy kept; it does not stop the others, and it is
//   asked for again on every later sync until it opens or a newer version replaces it: the cursor never moves
//   past it (see "the pull" below for why the cursor, not a list of failed ids).
import * as v from 'valibot';
import { type Change, LIMITS, PullResponse, type PushRequest, PushResponse, type ServerRecord, TOMBSTONE_MIN_AGE_MS } from './protocol.ts';
import { decode as decodeHlc } from './hlc.ts';
import { type SyncItem, TamperedRecordError, itemFingerprint, openItem, sealItem } from './item.ts';
import { DEFAULT_POLICIES, type MergePolicies, mergeItems, sameItem, tombstoneFor } from './merge.ts';

// ---- ports ----

export type SyncTransportErrorKind = 'offline' | 'unauthorized' | 'gone' | 'garbage' | 'server' | 'quota' | 'invite';

const TRANSPORT_MESSAGES: Record<SyncTransportErrorKind, string> = {
  offline: 'The sync server cannot be reached. Your passkeys are safe in this browser; Keyport syncs again when the connection is back.',
  unauthorized: 'The sync server did not accept this browser. Connect it again with your recovery code or by pairing.',
  gone: 'This vault is no longer on the sync server (it was deleted, or its recovery code was changed). Your passkeys in this browser are untouched.',
  garbage: 'The sync server answered something that is not a valid Keyport response. Nothing was changed in this browser.',
  server: 'The sync server had a problem. Nothing was lost; Keyport tries again later.',
  quota: 'There is no room left for the vault in sync storage. Nothing was written.',
  invite: 'This sync server needs an invite to create a vault. Ask whoever runs it for one.',
};

/** What a Transport throws. The message is a sentence for the person; `kind` is for the program. */
export class SyncTransportError extends Error {
  override name = 'SyncTransportError';
  constructor(
    readonly kind: SyncTransportErrorKind,
    message: string = TRANSPORT_MESSAGES[kind],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The local vault could not be read or written (a full disk, a closed database). Nothing was half-written. */
export class SyncStorageError extends Error {
  override name = 'SyncStorageError';
}

/** The server side: an HTTP client of protocol.ts (adapters), or storage.sync (browserSync.ts). */
export interface Transport {
  /**
   * The current version of every record with seq > since (more is harmless: storage.sync lists them all),
   * in pages while `more`. Throws SyncTransportError.
   */
  pull(since: number): Promise<PullResponse>;
  /** Throws SyncTransportError. A retry with the same requestId must not apply anything twice. */
  push(req: PushRequest): Promise<PushResponse>;
  /**
   * Asks the server to drop these tombstones (protocol.ts, tombstone collection); resolves to those it
   * dropped. Absent where the server keeps no replica cursors (storage.sync).
   */
  collect?(ids: readonly string[]): Promise<{ collected: string[] }>;
}

/** A local item with its sync state. */
export interface LocalEntry {
  item: SyncItem;
  /** The server seq of the version this one is based on; 0: never on the server. */
  seq: number;
  /** Changed here since that version, so it is to be pushed. */
  dirty: boolean;
}

/** A merged item to write, if the local item is still the one the merge read. */
export interface Upsert extends LocalEntry {
  /** itemFingerprint of the local item merged with, null if there was none. */
  expect: string | null;
}

/** A pushed version the server accepted. */
export interface Synced {
  id: string;
  /** The seq the server gave it. */
  seq: number;
  /**
   * itemFingerprint of the version pushed. If the local item is still that version it becomes clean
   * with this seq; if it was edited meanwhile it stays dirty and is now based on this seq.
   */
  fingerprint: string;
}

export interface Commit {
  upserts: Upsert[];
  synced: Synced[];
  /** The new pull cursor; absent: unchanged. */
  cursor?: number;
}

/**
 * The local vault (IndexedDB in the extension). Its own edits follow four rules, which the merge relies on
 * (fakes.ts `localCreate`, `localEdit`, `localDelete`, `localUse` make them so):
 * - a new record: hlc = clock.tick(now), seq 0, dirty;
 * - an edit: hlc = clock.receive(decode(current hlc), now), so it wins over every version seen here; dirty;
 * - a delete: merge.ts `tombstoneFor(item, <an edit's hlc>)`; dirty;
 * - a sign-in: lastUsedAt = max(old, now) (and signCount) with the hlc unchanged, so that it never undoes
 *   an edit made elsewhere; dirty.
 * The clock (hlc.ts `createClock`) has one random node id per replica, kept with the vault.
 */
export interface Replica {
  /** The pull cursor: every server record with seq <= cursor has been merged here. 0 at first. */
  cursor(): Promise<number>;
  /** The entries with these ids (unknown ids are left out), tombstones included. */
  get(ids: readonly string[]): Promise<LocalEntry[]>;
  /** Every entry with dirty = true. */
  dirty(): Promise<LocalEntry[]>;
  /** Every entry, tombstones included. */
  all(): Promise<LocalEntry[]>;
  /**
   * One transaction. If an upsert's `expect` does not match the current item (null: no item), writes
   * nothing and resolves false; otherwise writes every upsert and synced mark and the cursor, and resolves
   * true. A failed write rejects, having written nothing.
   */
  commit(c: Commit): Promise<boolean>;
}

export interface SyncEngineDeps {
  transport: Transport;
  replica: Replica;
  /** The vault key (AES-256-GCM) that seals records. */
  key: CryptoKey;
  now: () => number;
  /** Told of each record that failed to open (or changed kind); the local copy was kept. */
  report: (error: TamperedRecordError) => void;
  policies?: MergePolicies;
  /** A UUID per push batch (protocol PushRequest.requestId). */
  newRequestId?: () => string;
  /** Sends of one batch, with the same requestId, when its answer is lost. */
  attempts?: number;
  /** Push rounds: push, merge the conflicts, push what still differs. */
  rounds?: number;
}

export interface SyncSummary {
  /** Records received from the server (pull pages; conflicts are counted in `conflicts`). */
  pulled: number;
  /** Records the server accepted. */
  pushed: number;
  /** Pushed records the server refused because it had another version (merged and pushed again). */
  conflicts: number;
  /** Ids of records that failed to open (or changed kind); this browser kept its copies. */
  tampered: string[];
  /**
   * Ids of server versions this browser does not hold because they failed to open: the next sync asks for
   * them again ("1 passkey could not be read from sync; retrying"). A damaged copy of a version held here
   * already is in `tampered` only.
   */
  unread: string[];
  /** Ids of local records too large to seal for sync (LIMITS.blobChars); they stay here, unsynced. */
  oversized: string[];
  /** Characters of JSON sent and received (the records are base64url, so about bytes). */
  bytesUp: number;
  bytesDown: number;
  durationMs: number;
}

export interface SyncEngine {
  /** One sync. Calls during a run share one follow-up run, which starts when the current one ends. */
  sync(): Promise<SyncSummary>;
}

// ---- the engine ----

const RETRYABLE = new Set<SyncTransportErrorKind>(['offline', 'server', 'garbage']);
/** A request body's JSON beyond the changes themselves, and per change beyond its blob. */
const BODY_OVERHEAD = 128;
const CHANGE_OVERHEAD = 96;
const COMMIT_ATTEMPTS = 4;

const issuePath = (issue: v.BaseIssue<unknown>) => issue.path?.map((p) => String(p.key)).join('.') ?? '';
const garbage = (what: string, why: string) =>
  new SyncTransportError('garbage', `The sync server's answer to a ${what} is not a valid Keyport response (${why}). Nothing was changed in this browser.`);

function checkPull(raw: unknown, since: number): PullResponse {
  const r = v.safeParse(PullResponse, raw);
  if (!r.success) throw garbage('pull', `${issuePath(r.issues[0])}: ${r.issues[0].message}`);
  const page = r.output;
  for (const rec of page.records) if (rec.seq > page.latest) throw garbage('pull', `record ${rec.id} has seq ${rec.seq} above latest ${page.latest}`);
  if (page.more && (page.latest <= since || page.records.length === 0)) throw garbage('pull', `it says there is more but the page does not move past ${since}`);
  return page;
}

function checkPush(raw: unknown, req: PushRequest): PushResponse {
  const r = v.safeParse(PushResponse, raw);
  if (!r.success) throw garbage('push', `${issuePath(r.issues[0])}: ${r.issues[0].message}`);
  const res = r.output;
  const sent = new Set(req.changes.map((c) => c.id));
  const answered = new Set<string>();
  for (const x of [...res.applied, ...res.conflicts]) {
    if (!sent.has(x.id)) throw garbage('push', `it answers for record ${x.id}, which was not sent`);
    if (answered.has(x.id)) throw garbage('push', `it answers twice for record ${x.id}`);
    answered.add(x.id);
    if (x.seq > res.latest) throw garbage('push', `record ${x.id} has seq ${x.seq} above latest ${res.latest}`);
  }
  for (const a of res.applied) if (a.seq === 0) throw garbage('push', `record ${a.id} was applied with seq 0`);
  return res;
}

const jsonChars = (x: unknown): number => JSON.stringify(x)?.length ?? 0;

export function createSyncEngine(deps: SyncEngineDeps): SyncEngine {
  const policies = deps.policies ?? DEFAULT_POLICIES;
  const newRequestId = deps.newRequestId ?? (() => globalThis.crypto.randomUUID());
  const attempts = Math.max(1, deps.attempts ?? 3);
  const rounds = Math.max(1, deps.rounds ?? 4);

  async function local<T>(what: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new SyncStorageError(`Keyport could not ${what} this browser's vault (${why}). Nothing was lost; sync tries again later.`, { cause: e });
    }
  }

  async function remote<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof SyncTransportError) throw e;
      const why = e instanceof Error ? e.message : String(e);
      throw new SyncTransportError('server', `Sync failed: ${why}. Nothing was lost; Keyport tries again later.`, { cause: e });
    }
  }

  async function run(): Promise<SyncSummary> {
    const started = deps.now();
    const s: SyncSummary = { pulled: 0, pushed: 0, conflicts: 0, tampered: [], unread: [], oversized: [], bytesUp: 0, bytesDown: 0, durationMs: 0 };
    const tampered = new Set<string>();
    const unread = new Set<string>();

    function reportTamper(e: TamperedRecordError): void {
      if (!tampered.has(e.recordId)) {
        tampered.add(e.recordId);
        s.tampered.push(e.recordId);
      }
      deps.report(e);
    }

    /**
     * Opens server records; a record that fails is reported and returned in `failed`. The highest seq wins
     * for a repeated id (a damaged copy and a good one of the same seq: the good one).
     */
    async function openAll(records: readonly ServerRecord[]): Promise<{ opened: { item: SyncItem; seq: number }[]; failed: ServerRecord[] }> {
      const byId = new Map<string, ServerRecord[]>();
      for (const r of records) {
        const top = byId.get(r.id)?.[0]?.seq ?? -1;
        if (top < r.seq) byId.set(r.id, [r]);
        else if (top === r.seq) byId.get(r.id)!.push(r);
      }
      const opened: { item: SyncItem; seq: number }[] = [];
      const failed: ServerRecord[] = [];
      await Promise.all(
        [...byId.values()].map(async (copies) => {
          let error: TamperedRecordError | undefined;
          for (const r of copies) {
            try {
              opened.push({ item: await openItem(deps.key, r.id, r.blob), seq: r.seq });
              unread.delete(r.id);
              return;
            } catch (e) {
              if (!(e instanceof TamperedRecordError)) throw e;
              error ??= e;
            }
          }
          reportTamper(error!);
          failed.push(copies[0]!);
        }),
      );
      return { opened, failed };
    }

    /** The local entry after merging the server's version `item` at seq `r`; undefined when nothing changes. */
    function mergeOne(cur: LocalEntry | undefined, item: SyncItem, r: number): Upsert | undefined {
      if (!cur) return { item, seq: r, dirty: false, expect: null };
      if (cur.item.kind !== item.kind) {
        reportTamper(new TamperedRecordError(item.id, 'shape', `Record ${item.id} from sync is a ${item.kind} record, but this browser has it as a ${cur.item.kind}; this browser kept its own copy.`));
        return undefined;
      }
      // A pulled record (or a conflict) is the server's current version: based on it now, whatever seq we had
      // (storage.sync can even bring back a lower one, browserSync.ts), and to push if ours adds anything.
      const merged = mergeItems(cur.item, item, policies);
      const seq = r;
      const dirty = !sameItem(merged, item);
      if (seq === cur.seq && dirty === cur.dirty && sameItem(merged, cur.item)) return undefined;
      return { item: merged, seq, dirty, expect: itemFingerprint(cur.item) };
    }

    /** Records the server collected: deleted here, clean (nothing to push), with the seq they had. */
    async function commitDeletions(gone: LocalEntry[]): Promise<void> {
      if (gone.length === 0) return;
      const upserts: Upsert[] = gone.map((e) => ({ item: tombstoneFor(e.item, e.item.hlc, policies), seq: e.seq, dirty: false, expect: itemFingerprint(e.item) }));
      // False when a record changed here meanwhile: it keeps its change, and the next sync looks again.
      await local('save to', () => deps.replica.commit({ upserts, synced: [] }));
    }

    /** Merges server versions into the vault with `synced` and `cursor` in one commit, re-reading if the vault changed meanwhile. */
    async function commitMerged(versions: { item: SyncItem; seq: number }[], synced: Synced[], cursor?: number): Promise<void> {
      for (let attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
        const ids = versions.map((x) => x.item.id);
        const here = new Map(ids.length === 0 ? [] : (await local('read', () => deps.replica.get(ids))).map((e) => [e.item.id, e]));
        const upserts: Upsert[] = [];
        for (const x of versions) {
          const u = mergeOne(here.get(x.item.id), x.item, x.seq);
          if (u) upserts.push(u);
        }
        if (upserts.length === 0 && synced.length === 0 && cursor === undefined) return;
        const c: Commit = { upserts, synced };
        if (cursor !== undefined) c.cursor = cursor;
        if (await local('save to', () => deps.replica.commit(c))) return;
      }
      throw new SyncStorageError('This browser\'s vault kept changing during sync. Nothing was lost; sync tries again later.');
    }

    // ---- pull: pages until the server has no more, each page committed with the cursor it reaches ----
    // A record that fails to open (a byte flipped on the wire or on the server, a truncated blob) and brings
    // a version this browser does not hold must be asked for again (rule 4). The protocol can only ask for
    // "every record after seq N", never for one id, so a kept list of failed ids would still have to pull
    // from the lowest of them; instead the saved cursor stops just before the first such record (`hold`).
    // That needs no storage beyond the cursor, which is committed with the page as before (all or nothing);
    // a newer version replaces the damaged one on the server with a higher seq, so the re-pull brings that
    // instead and the hold goes by itself. The cost: while a record stays damaged, each sync pulls again the
    // records after it, which merge to no change. The rest of the pull goes on, page by page, so one damaged
    // record never holds back the others.
    //
    // Tombstone collection (protocol.ts): when the server says it collected records beyond this browser's
    // cursor, this browser was away longer than a tombstone is kept and may have missed one. It pulls the
    // whole vault from 0 (`full`) and, after the pull, deletes here every record it once had from the server
    // (seq > 0, up to `collected`) that the server no longer holds: a collected record was a tombstone, so no
    // deleted passkey comes back (a change made here to it meanwhile goes too: the deletion is older than 90
    // days and every other replica applied it).
    let saved = await local('read', () => deps.replica.cursor());
    let cursor = saved; // how far this run has pulled
    let hold: number | undefined;
    let full = false;
    let collected = 0;
    let horizon: number | undefined;
    const onServer = new Set<string>();
    for (let more = true; more; ) {
      const since = cursor;
      const raw = await remote(() => deps.transport.pull(since));
      s.bytesDown += jsonChars(raw);
      const page = checkPull(raw, since);
      collected = Math.max(collected, page.collected ?? 0);
      horizon = page.horizon;
      if (!full && collected > since) {
        full = true;
        // From 0 (this page already is, when the cursor was 0).
        if (since > 0) {
          cursor = 0;
          continue;
        }
      }
      if (full) for (const r of page.records) onServer.add(r.id);
      s.pulled += page.records.length;
      const next = Math.max(since, page.latest); // the cursor never moves back
      const { opened, failed } = await openAll(page.records);
      if (failed.length > 0) {
        const here = new Map((await local('read', () => deps.replica.get(failed.map((r) => r.id)))).map((e) => [e.item.id, e]));
        for (const r of failed) {
          // A copy of a version held here already (or an older one) brings nothing: no need to ask again.
          if ((here.get(r.id)?.seq ?? 0) >= r.seq) continue;
          unread.add(r.id);
          hold = Math.min(hold ?? Infinity, r.seq - 1);
        }
      }
      // storage.sync lists records below `since` too (browserSync.ts): a hold there leaves the cursor where it is.
      const reach = Math.max(saved, Math.min(next, hold ?? next));
      await commitMerged(opened, [], reach === saved ? undefined : reach);
      saved = reach;
      cursor = next;
      more = page.more;
    }

    if (full) {
      const gone = (await local('read', () => deps.replica.all())).filter((e) => e.seq > 0 && e.seq <= collected && !e.item.deleted && !onServer.has(e.item.id));
      await commitDeletions(gone);
    }

    // ---- push: dirty items in batches; conflicts merged and pushed again, for a bounded number of rounds ----
    const seen = new Set<number>();
    let latest = cursor;
    const stuck = new Set<string>(); // tampered or oversized this run: not sent again

    async function send(req: PushRequest): Promise<PushResponse> {
      for (let attempt = 1; ; attempt++) {
        try {
          s.bytesUp += jsonChars(req);
          const raw = await remote(() => deps.transport.push(req));
          s.bytesDown += jsonChars(raw);
          return checkPush(raw, req);
        } catch (e) {
          // The same requestId again: a server that applied the first send answers as it did then.
          if (!(e instanceof SyncTransportError) || !RETRYABLE.has(e.kind) || attempt >= attempts) throw e;
        }
      }
    }

    async function pushBatch(batch: LocalEntry[]): Promise<number> {
      const changes: Change[] = [];
      const pushed = new Map<string, string>();
      const blobs = await Promise.all(
        batch.map((e) =>
          sealItem(deps.key, e.item).catch((err: unknown) => {
            if (err instanceof RangeError) return undefined;
            throw err;
          }),
        ),
      );
      batch.forEach((e, i) => {
        const blob = blobs[i];
        if (blob === undefined) {
          stuck.add(e.item.id);
          s.oversized.push(e.item.id);
          return;
        }
        changes.push({ id: e.item.id, baseSeq: e.seq, blob });
        pushed.set(e.item.id, itemFingerprint(e.item));
      });
      if (changes.length === 0) return 0;
      const res = await send({ requestId: newRequestId(), changes });
      s.pushed += res.applied.length;
      s.conflicts += res.conflicts.length;
      latest = Math.max(latest, res.latest);
      for (const x of [...res.applied, ...res.conflicts]) seen.add(x.seq);
      const { opened: versions, failed } = await openAll(res.conflicts);
      for (const c of failed) {
        // The local change stays dirty, so the next sync pushes it again and meets the server's version again.
        stuck.add(c.id);
        unread.add(c.id);
      }
      await commitMerged(
        versions,
        res.applied.map((a) => ({ id: a.id, seq: a.seq, fingerprint: pushed.get(a.id)! })),
      );
      return res.conflicts.length;
    }

    for (let round = 0; round < rounds; round++) {
      const dirty = (await local('read', () => deps.replica.dirty())).filter((e) => !stuck.has(e.item.id));
      if (dirty.length === 0) break;
      let conflicts = 0;
      let batch: LocalEntry[] = [];
      let chars = BODY_OVERHEAD;
      for (const e of dirty) {
        // A sealed record is about 4/3 of its JSON plus the nonce and tag.
        const size = Math.ceil(((JSON.stringify(e.item).length + 28) * 4) / 3) + CHANGE_OVERHEAD;
        if (batch.length > 0 && (batch.length >= LIMITS.pushChanges || chars + size > LIMITS.bodyBytes)) {
          conflicts += await pushBatch(batch);
          batch = [];
          chars = BODY_OVERHEAD;
        }
        batch.push(e);
        chars += size;
      }
      if (batch.length > 0) conflicts += await pushBatch(batch);
      if (conflicts === 0) break;
    }

    // When every seq between the cursor and the server's latest is one this run pushed or was shown,
    // nothing else changed on the server: move the cursor so the next pull does not fetch our own records back.
    // Not past a hold: a record that failed to open is still to be asked for.
    if (hold === undefined && latest > cursor && latest - cursor <= seen.size) {
      let all = true;
      for (let q = cursor + 1; q <= latest && all; q++) all = seen.has(q);
      if (all) await commitMerged([], [], latest);
    }

    // ---- collect: tombstones every active replica has seen (the horizon), old enough, asked to be dropped ----
    // Once dropped on the server, a tombstone is kept here with seq 0: clean and "not on the server", so it is
    // neither pushed nor named again. A failure here is left for the next sync.
    const collectFrom = deps.transport.collect?.bind(deps.transport);
    if (collectFrom && horizon !== undefined && horizon > 0) {
      const oldest = deps.now() - TOMBSTONE_MIN_AGE_MS;
      const due = (await local('read', () => deps.replica.all())).filter(
        (e) => e.item.deleted && !e.dirty && e.seq > 0 && e.seq <= horizon && decodeHlc(e.item.hlc).wall <= oldest,
      );
      for (let i = 0; i < due.length; i += LIMITS.pushChanges) {
        const batch = due.slice(i, i + LIMITS.pushChanges);
        let answer: { collected: string[] };
        try {
          answer = await remote(() => collectFrom(batch.map((e) => e.item.id)));
        } catch (e) {
          if (e instanceof SyncTransportError) break;
          throw e;
        }
        const dropped = new Set(answer.collected);
        const synced = batch.filter((e) => dropped.has(e.item.id)).map((e) => ({ id: e.item.id, seq: 0, fingerprint: itemFingerprint(e.item) }));
        if (synced.length > 0) await commitMerged([], synced);
      }
    }

    s.unread = [...unread];
    s.durationMs = Math.max(0, deps.now() - started);
    return s;
  }

  let running: Promise<SyncSummary> | undefined;
  let queued: Promise<SyncSummary> | undefined;
  const settle = () => undefined;

  function sync(): Promise<SyncSummary> {
    if (!running) {
      const p = run().finally(() => {
        if (running === p) running = undefined;
      });
      running = p;
      return p;
    }
    queued ??= running.then(settle, settle).then(() => {
      queued = undefined;
      return sync();
    });
    return queued;
  }

  return { sync };
}

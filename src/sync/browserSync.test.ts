import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { importAeadKey } from '../crypto/aead.ts';
import { createClock } from './hlc.ts';
import { type SyncItem, openItem, sealItem } from './item.ts';
import { mergeItems, sameItem } from './merge.ts';
import type { PushRequest } from './protocol.ts';
import { type SyncSummary, SyncTransportError, createSyncEngine } from './engine.ts';
import { HEADER_KEY, RECORD_PREFIX, STORAGE_SYNC_QUOTA, type SyncArea, clearBrowserSync, createBrowserSyncTransport } from './browserSync.ts';
import { type MemoryArea, type MemoryReplica, createMemoryArea, createMemoryReplica, localCreate, localDelete, localEdit, localUse, samplePasskey, testId } from '../../tests/vectors/syncFakes.ts';

let key: CryptoKey;
beforeAll(async () => {
  key = await importAeadKey(Uint8Array.from({ length: 32 }, (_, i) => 255 - i));
});

const T0 = 1_700_000_000_000;
const nodeId = (n: number) => n.toString(16).padStart(16, '0');
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

function browser(area: SyncArea, n: number, opts: { now?: () => number; attempts?: number } = {}) {
  const rep = createMemoryReplica();
  const clock = createClock(nodeId(n));
  const reports: Error[] = [];
  const transport = createBrowserSyncTransport(area);
  const engine = createSyncEngine({ transport, replica: rep, key, now: opts.now ?? (() => T0), report: (e) => reports.push(e), attempts: opts.attempts ?? 3 });
  return { rep, clock, engine, reports, transport };
}

async function blobsFor(n: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      sealItem(key, { id: testId(i), kind: 'passkey', hlc: '018bcfe56800-000000-0000000000000001', deleted: false, data: samplePasskey(i, extra) }),
    ),
  );
}

const request = (n: number, changes: PushRequest['changes']): PushRequest => ({ requestId: uuid(n), changes });

async function failure(p: Promise<unknown>): Promise<SyncTransportError> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(SyncTransportError);
      return e as SyncTransportError;
    },
  );
}

describe('browserSync: the protocol over storage.sync', () => {
  it('the documented quotas (MDN storage.sync; Chromium chrome.storage.sync)', () => {
    expect(STORAGE_SYNC_QUOTA).toEqual({ QUOTA_BYTES: 102400, QUOTA_BYTES_PER_ITEM: 8192, MAX_ITEMS: 512 });
  });

  it('push numbers records from a global counter, conflicts on a baseSeq mismatch, and a retried requestId gets the first answer', async () => {
    const area = createMemoryArea();
    const t = createBrowserSyncTransport(area);
    const [b0, b1, b2] = await blobsFor(3);
    expect(await t.push(request(1, [{ id: testId(0), baseSeq: 0, blob: b0! }, { id: testId(1), baseSeq: 0, blob: b1! }]))).toEqual({
      applied: [{ id: testId(0), seq: 1 }, { id: testId(1), seq: 2 }],
      conflicts: [],
      latest: 2,
    });
    expect(area.data.get(`${RECORD_PREFIX}${testId(0)}`)).toEqual({ seq: 1, blob: b0 });
    expect(area.data.get(HEADER_KEY)).toEqual({ v: 1, seq: 2, req: uuid(1), first: 1 });
    const writes = area.writes;
    // The same request again: the same answer, nothing written.
    expect(await t.push(request(1, [{ id: testId(0), baseSeq: 0, blob: b0! }, { id: testId(1), baseSeq: 0, blob: b1! }]))).toEqual({
      applied: [{ id: testId(0), seq: 1 }, { id: testId(1), seq: 2 }],
      conflicts: [],
      latest: 2,
    });
    expect(area.writes).toBe(writes);
    // Based on an old version: a conflict carrying the current one.
    expect(await t.push(request(2, [{ id: testId(0), baseSeq: 0, blob: b2! }, { id: testId(2), baseSeq: 0, blob: b2! }]))).toEqual({
      applied: [{ id: testId(2), seq: 3 }],
      conflicts: [{ id: testId(0), seq: 1, blob: b0 }],
      latest: 3,
    });
    expect(await t.push(request(3, [{ id: testId(0), baseSeq: 1, blob: b2! }]))).toMatchObject({ applied: [{ id: testId(0), seq: 4 }], conflicts: [] });
    const page = await t.pull(0);
    expect(page.more).toBe(false);
    expect(page.latest).toBe(4);
    expect(page.records.map((r) => [r.id, r.seq])).toEqual([
      [testId(1), 2],
      [testId(2), 3],
      [testId(0), 4],
    ]);
  });

  it('refuses malformed requests as programming errors (TypeError), before reading anything', async () => {
    const t = createBrowserSyncTransport(createMemoryArea());
    const [b] = await blobsFor(1);
    await expect(t.push(request(1, []))).rejects.toThrow(TypeError);
    await expect(t.push({ requestId: 'nope', changes: [{ id: testId(0), baseSeq: 0, blob: b! }] })).rejects.toThrow(TypeError);
    await expect(t.push(request(1, [{ id: testId(0), baseSeq: 0, blob: b! }, { id: testId(0), baseSeq: 0, blob: b! }]))).rejects.toThrow(/twice/);
  });

  it('content that is not Keyport\'s shape at a Keyport key is garbage; other keys of the extension are left alone', async () => {
    const area = createMemoryArea();
    await area.set({ theme: 'dark' });
    const t = createBrowserSyncTransport(area);
    expect((await t.pull(0)).records).toEqual([]);
    await area.set({ [`${RECORD_PREFIX}${testId(0)}`]: { seq: 'one', blob: 'AAAA' } });
    const e = await failure(t.pull(0));
    expect(e.kind).toBe('garbage');
    expect(e.message).toContain(`${RECORD_PREFIX}${testId(0)}`);
    area.data.clear();
    await area.set({ [HEADER_KEY]: { v: 2, seq: 1 } });
    expect((await failure(t.pull(0))).kind).toBe('garbage');
    area.data.clear();
    await area.set({ [`${RECORD_PREFIX}short`]: { seq: 1, blob: 'AAAA' }, theme: 'dark' });
    expect((await failure(t.pull(0))).kind).toBe('garbage');
    expect(await clearBrowserSync(area)).toBe(1);
    expect([...area.data.keys()]).toEqual(['theme']);
  });

  it('Spec: a record damaged in storage.sync is read again on every sync, and arrives once a good copy is there (rule 4)', async () => {
    const area = createMemoryArea();
    const a = browser(area, 1);
    const b = browser(area, 2);
    for (let i = 0; i < 3; i++) localCreate(a.rep, a.clock, T0, testId(i), samplePasskey(i));
    await a.engine.sync();
    const k = `${RECORD_PREFIX}${testId(1)}`;
    const good = area.data.get(k) as { seq: number; blob: string };
    area.data.set(k, { ...good, blob: good.blob.slice(0, 40) + (good.blob[40] === 'A' ? 'B' : 'A') + good.blob.slice(41) });
    for (let n = 0; n < 2; n++) {
      expect(await b.engine.sync()).toMatchObject({ tampered: [testId(1)], unread: [testId(1)] });
      expect(b.rep.entries.has(testId(1))).toBe(false);
      expect(b.rep.entries.size).toBe(2);
    }
    area.data.set(k, good); // the browser's sync brings the good copy back
    expect(await b.engine.sync()).toMatchObject({ tampered: [], unread: [] });
    expect(b.rep.items()).toEqual(a.rep.items());
  });

  it('Spec: interrupted between the records and the header: nothing is lost, no seq is given twice, a retry settles', async () => {
    const area = createMemoryArea();
    const t = createBrowserSyncTransport(area);
    const blobs = await blobsFor(3);
    const interrupted = request(1, blobs.map((blob, i) => ({ id: testId(i), baseSeq: 0, blob })));
    area.failSet(2); // the records' set() succeeds, the header's fails
    const e = await failure(t.push(interrupted));
    expect(e.kind).toBe('server');
    expect(e.message).toMatch(/Nothing was lost/);
    expect(area.data.has(HEADER_KEY)).toBe(false);
    expect((await t.pull(0)).records.map((r) => r.seq)).toEqual([1, 2, 3]);
    // Another push is numbered above the orphaned records.
    const [other] = await Promise.all([sealItem(key, { id: testId(9), kind: 'passkey', hlc: '018bcfe56800-000000-0000000000000002', deleted: false, data: { name: 'b' } })]);
    expect(await t.push(request(2, [{ id: testId(9), baseSeq: 0, blob: other }]))).toMatchObject({ applied: [{ id: testId(9), seq: 4 }] });
    // The retry of the interrupted request finds its own versions, as conflicts; nothing is written twice.
    const writes = area.writes;
    expect(await t.push(interrupted)).toEqual({
      applied: [],
      conflicts: blobs.map((blob, i) => ({ id: testId(i), seq: i + 1, blob })),
      latest: 4,
    });
    expect(area.writes).toBe(writes);
  });

  it('the engine over an interrupted push: settles in the same sync (retry), or in the next one', async () => {
    for (const attempts of [3, 1]) {
      const area = createMemoryArea();
      const a = browser(area, 1, { attempts });
      const b = browser(area, 2);
      for (let i = 0; i < 3; i++) localCreate(a.rep, a.clock, T0, testId(i), samplePasskey(i));
      area.failSet(2);
      if (attempts === 1) {
        expect((await failure(a.engine.sync())).kind).toBe('server');
        expect(await a.rep.dirty()).toHaveLength(3); // A does not know yet that they arrived
      }
      const s = await a.engine.sync();
      // Its own versions come back (as conflicts of the retry, or pulled by the next sync) and merge to nothing.
      expect(s).toMatchObject(attempts === 3 ? { pushed: 0, conflicts: 3 } : { pulled: 3, pushed: 0, conflicts: 0 });
      expect(await a.rep.dirty()).toEqual([]);
      await b.engine.sync();
      expect(b.rep.items()).toEqual(a.rep.items());
      expect(b.rep.items().size).toBe(3);
    }
  });

  it('Spec: when the vault outgrows storage.sync, a plain sentence (how many passkeys fit, a server removes the limit) and nothing written', async () => {
    // The real capacity, by pushing realistic ES256 passkeys into fresh areas.
    const blobs = await blobsFor(140);
    const fits = async (n: number) => {
      try {
        await createBrowserSyncTransport(createMemoryArea()).push(request(1, blobs.slice(0, n).map((blob, i) => ({ id: testId(i), baseSeq: 0, blob }))));
        return true;
      } catch (e) {
        if (e instanceof SyncTransportError && e.kind === 'quota') return false;
        throw e;
      }
    };
    let lo = 1;
    let hi = 140;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (await fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    const capacity = lo;
    expect(capacity).toBeGreaterThan(60);
    expect(capacity).toBeLessThan(120);

    // A vault at capacity syncs; one more passkey is refused with the number that fits.
    const area = createMemoryArea();
    const a = browser(area, 1);
    for (let i = 0; i < capacity; i++) localCreate(a.rep, a.clock, T0, testId(i), samplePasskey(i));
    await a.engine.sync();
    const before = structuredClone([...area.data]);
    const writes = area.writes;
    localCreate(a.rep, a.clock, T0 + 1, testId(capacity), samplePasskey(capacity));
    const e = await failure(a.engine.sync());
    expect(e.kind).toBe('quota');
    const about = Number(/room for about (\d+) passkeys/.exec(e.message)?.[1]);
    expect(Math.abs(about - capacity)).toBeLessThanOrEqual(1);
    expect(e.message).toMatch(new RegExp(`needs ${capacity + 1} records`));
    expect(e.message).toMatch(/Nothing was written.*A Keyport sync server removes this limit\./);
    expect([...area.data]).toEqual(before);
    expect(area.writes).toBe(writes);
    expect(a.rep.entries.get(testId(capacity))).toMatchObject({ dirty: true, seq: 0 }); // kept, to push elsewhere
    // Deleting passkeys makes room: a tombstone is a small record.
    localDelete(a.rep, a.clock, T0 + 2, testId(0));
    localDelete(a.rep, a.clock, T0 + 2, testId(1));
    await a.engine.sync();
    expect(await a.rep.dirty()).toEqual([]);
  }, 60_000);

  it('a record over the per-item quota: its own sentence, nothing written', async () => {
    const area = createMemoryArea();
    const a = browser(area, 1);
    localCreate(a.rep, a.clock, T0, testId(0), samplePasskey(0));
    localCreate(a.rep, a.clock, T0, testId(1), samplePasskey(1, { note: 'x'.repeat(7000) }));
    const e = await failure(a.engine.sync());
    expect(e.kind).toBe('quota');
    expect(e.message).toMatch(/too large for the browser's sync storage \(\d+ bytes; it takes at most 8192 per item\)/);
    expect(area.data.size).toBe(0);
  });

  it('the item count quota, counting the extension\'s other items', async () => {
    const quota = { QUOTA_BYTES: 1_000_000, QUOTA_BYTES_PER_ITEM: 8192, MAX_ITEMS: 6 };
    const area = createMemoryArea(quota);
    await area.set({ theme: 'dark', lang: 'en' });
    const t = createBrowserSyncTransport(area, { quota });
    const blobs = await blobsFor(4);
    const e = await failure(t.push(request(1, blobs.map((blob, i) => ({ id: testId(i), baseSeq: 0, blob })))));
    expect(e.kind).toBe('quota');
    expect(e.message).toMatch(/room for about 3 passkeys/); // 6 items: 2 others, the header, 3 records
    expect(area.data.size).toBe(2);
    await t.push(request(2, blobs.slice(0, 3).map((blob, i) => ({ id: testId(i), baseSeq: 0, blob }))));
    expect(area.data.size).toBe(6);
  });

  it('errors of the storage area itself become clear SyncTransportErrors', async () => {
    const broken = (message: string): SyncArea => ({
      get: async () => ({}),
      set: async () => Promise.reject(new Error(message)),
      remove: async () => undefined,
    });
    const [b] = await blobsFor(1);
    const push = (area: SyncArea) => createBrowserSyncTransport(area).push(request(1, [{ id: testId(0), baseSeq: 0, blob: b! }]));
    expect((await failure(push(broken('QUOTA_BYTES quota exceeded')))).kind).toBe('quota');
    const rate = await failure(push(broken('This request exceeds the MAX_WRITE_OPERATIONS_PER_HOUR quota.')));
    expect(rate.kind).toBe('server');
    expect(rate.message).toMatch(/limits how often/);
    expect((await failure(push(broken('IO error')))).kind).toBe('server');
    const unreadable: SyncArea = { get: async () => Promise.reject(new Error('storage is disabled')), set: async () => undefined, remove: async () => undefined };
    expect((await failure(createBrowserSyncTransport(unreadable).pull(0))).message).toMatch(/storage is disabled/);
  });
});

// ---- several browsers: each has its own copy of storage.sync, which the browser merges key by key ----

/** Copies of one storage.sync area in several browsers; `propagate` is the browser's own sync: per key, the last write wins. */
function browserFamily(n: number) {
  let clock = 0;
  const stamps: Map<string, number>[] = [];
  const areas: MemoryArea[] = [];
  for (let i = 0; i < n; i++) {
    const area = createMemoryArea();
    const stamp = new Map<string, number>();
    const set = area.set.bind(area);
    area.set = async (items) => {
      await set(items);
      for (const k of Object.keys(items)) stamp.set(k, ++clock);
    };
    areas.push(area);
    stamps.push(stamp);
  }
  function propagate(): void {
    const keys = new Set(areas.flatMap((a) => [...a.data.keys()]));
    for (const k of keys) {
      let best = -1;
      for (let i = 0; i < n; i++) if (areas[i]!.data.has(k) && (best < 0 || stamps[i]!.get(k)! > stamps[best]!.get(k)!)) best = i;
      for (let i = 0; i < n; i++) {
        areas[i]!.data.set(k, structuredClone(areas[best]!.data.get(k)));
        stamps[i]!.set(k, stamps[best]!.get(k)!);
      }
    }
  }
  return { areas, propagate };
}

describe('browserSync across browsers (the browser merges the area key by key)', () => {
  it('two browsers pushing at once (the same seqs, one version replacing another): both converge, nothing lost', async () => {
    const { areas, propagate } = browserFamily(2);
    const a = browser(areas[0]!, 1);
    const b = browser(areas[1]!, 2);
    const shared = testId(100);
    localCreate(a.rep, a.clock, T0, shared, { name: 'shared' });
    await a.engine.sync();
    propagate();
    await b.engine.sync();

    localCreate(a.rep, a.clock, T0 + 1, testId(1), { name: 'from A' });
    localCreate(b.rep, b.clock, T0 + 1, testId(2), { name: 'from B' });
    localEdit(a.rep, a.clock, T0 + 50, shared, (d) => void (d.name = 'A, later'));
    localEdit(b.rep, b.clock, T0 + 10, shared, (d) => void (d.name = 'B, earlier'));
    await a.engine.sync(); // A's versions get seqs 2 and 3 in A's copy ...
    await b.engine.sync(); // ... and B's the same seqs in B's copy, written later: B's "shared" replaces A's in the merge
    propagate();
    expect(areas[0]!.data.get(`${RECORD_PREFIX}${shared}`)).toEqual(areas[1]!.data.get(`${RECORD_PREFIX}${shared}`));

    for (let i = 0; i < 3; i++) {
      await a.engine.sync();
      await b.engine.sync();
      propagate();
    }
    expect(a.rep.items()).toEqual(b.rep.items());
    expect(a.rep.entries.get(shared)?.item.data?.name).toBe('A, later'); // the later edit, pushed again by A
    expect(a.rep.entries.get(testId(1))?.item.data?.name).toBe('from A');
    expect(a.rep.entries.get(testId(2))?.item.data?.name).toBe('from B');
    expect(await a.rep.dirty()).toEqual([]);
    expect(await b.rep.dirty()).toEqual([]);
  });

  type Step =
    | { t: 'create' | 'sync' | 'interrupt'; r: number }
    | { t: 'rename' | 'delete' | 'use'; r: number; pick: number }
    | { t: 'propagate' };
  const r = fc.integer({ min: 0, max: 2 });
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ t: fc.constant('create' as const), r }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constantFrom('rename' as const, 'delete' as const, 'use' as const), r, pick: fc.nat() }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('sync' as const), r }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('interrupt' as const), r }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('propagate' as const) }) },
  );

  it('three browsers, random edits, syncs, interruptions and browser merges: all converge, no passkey lost', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 10, maxLength: 60, size: 'max' }), async (steps) => {
        const { areas, propagate } = browserFamily(3);
        let time = T0;
        const peers = areas.map((area, i) => browser(area, i + 1, { now: () => time }));
        const versions = new Map<string, SyncItem[]>();
        const deleted = new Set<string>();
        const record = (item: SyncItem) => versions.set(item.id, [...(versions.get(item.id) ?? []), structuredClone(item)]);
        let next = 0;
        const target = (rep: MemoryReplica, n: number) => {
          const ids = [...rep.items().values()].filter((i) => !i.deleted).map((i) => i.id).sort();
          return ids.length ? ids[n % ids.length] : undefined;
        };
        for (const s of steps) {
          time += 7;
          if (s.t === 'propagate') {
            propagate();
            continue;
          }
          const p = peers[s.r]!;
          if (!('pick' in s)) {
            if (s.t === 'create') record(localCreate(p.rep, p.clock, time, testId(next++), { name: 'n', lastUsedAt: 0 }));
            else if (s.t === 'interrupt') areas[s.r]!.failSet(2);
            else {
              await p.engine.sync().catch((e: unknown) => {
                if (!(e instanceof SyncTransportError)) throw e;
              });
            }
          } else {
            const id = target(p.rep, s.pick);
            if (!id) continue;
            if (s.t === 'rename') record(localEdit(p.rep, p.clock, time, id, (d) => void (d.name = `r${time}`)));
            else if (s.t === 'use') record(localUse(p.rep, id, time));
            else {
              deleted.add(id);
              record(localDelete(p.rep, p.clock, time, id));
            }
          }
        }
        for (const a of areas) a.failSet(0);
        let quiet = false;
        for (let round = 0; round < 8 && !quiet; round++) {
          propagate();
          let moved = 0;
          for (const p of peers) {
            const s: SyncSummary = await p.engine.sync();
            moved += s.pushed;
          }
          quiet = moved === 0;
        }
        expect(quiet).toBe(true);
        propagate();
        for (const [id, vs] of versions) {
          const expected = vs.reduce((x, y) => mergeItems(x, y));
          const stored = areas[0]!.data.get(`${RECORD_PREFIX}${id}`) as { blob: string };
          expect(sameItem(await openItem(key, id, stored.blob), expected), `stored ${id}`).toBe(true);
          for (const p of peers) {
            const e = p.rep.entries.get(id);
            expect(e && sameItem(e.item, expected), `replica ${id}`).toBe(true);
            expect(e!.dirty).toBe(false);
            if (!deleted.has(id)) expect(e!.item.deleted).toBe(false);
          }
        }
        for (const p of peers) expect(p.reports).toEqual([]);
      }),
      { numRuns: 60 },
    );
  }, 300_000);
});

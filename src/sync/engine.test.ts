import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { importAeadKey } from '../crypto/aead.ts';
import { type Clock, createClock } from './hlc.ts';
import { type SyncItem, TamperedRecordError, openItem } from './item.ts';
import { mergeItems, sameItem } from './merge.ts';
import type { PushRequest } from './protocol.ts';
import { type SyncEngine, SyncStorageError, type SyncSummary, SyncTransportError, type Transport, createSyncEngine } from './engine.ts';
import {
  type FakeServer,
  type Fault,
  type MemoryReplica,
  createFakeServer,
  createMemoryReplica,
  localCreate,
  localDelete,
  localEdit,
  localUse,
  samplePasskey,
  testId,
} from '../../tests/vectors/syncFakes.ts';

let key: CryptoKey;
beforeAll(async () => {
  key = await importAeadKey(Uint8Array.from({ length: 32 }, (_, i) => i * 3 + 1));
});

const T0 = 1_700_000_000_000;
const nodeId = (n: number) => n.toString(16).padStart(16, '0');

interface Peer {
  rep: MemoryReplica;
  clock: Clock;
  transport: ReturnType<FakeServer['transport']>;
  engine: SyncEngine;
  reports: TamperedRecordError[];
  faults: { pull: Fault[]; push: Fault[] };
}

function peer(server: FakeServer, n: number, opts: { now?: () => number; attempts?: number; wrap?: (t: Transport, p: Peer) => Transport } = {}): Peer {
  const faults = { pull: [] as Fault[], push: [] as Fault[] };
  const p = {
    rep: createMemoryReplica(),
    clock: createClock(nodeId(n)),
    transport: server.transport((op) => faults[op].shift() ?? 'none'),
    reports: [] as TamperedRecordError[],
    faults,
  } as Peer;
  p.engine = createSyncEngine({
    transport: opts.wrap ? opts.wrap(p.transport, p) : p.transport,
    replica: p.rep,
    key,
    now: opts.now ?? (() => T0),
    report: (e) => p.reports.push(e),
    ...(opts.attempts ? { attempts: opts.attempts } : {}),
  });
  return p;
}

/** Two browsers on one server that both hold one passkey `id`. */
async function twoBrowsersSharing(data: Record<string, unknown>) {
  const server = createFakeServer();
  const a = peer(server, 1);
  const b = peer(server, 2);
  const id = testId(1);
  localCreate(a.rep, a.clock, T0, id, data);
  await a.engine.sync();
  await b.engine.sync();
  return { server, a, b, id };
}

/** A on the server with one passkey; B with one of its own not yet synced, and B's state before its sync. */
async function oneEachSide() {
  const server = createFakeServer();
  const a = peer(server, 1);
  const b = peer(server, 2);
  localCreate(a.rep, a.clock, T0, testId(1), { name: 'x' });
  await a.engine.sync();
  localCreate(b.rep, b.clock, T0, testId(2), { name: 'local' });
  return { a, b, before: snapshot(b.rep) };
}

const snapshot = (rep: MemoryReplica) => structuredClone({ entries: [...rep.entries], cursor: rep.cursorValue() });
const live = (rep: MemoryReplica) => [...rep.items().values()].filter((i) => !i.deleted);
const name = (rep: MemoryReplica, id: string) => rep.entries.get(id)?.item.data?.name;

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected the sync to fail');
    },
    (e: unknown) => e as Error,
  );
}

describe('sync engine: pull, merge, push', () => {
  it('carries a new passkey, a rename and a delete from one browser to another', async () => {
    const server = createFakeServer();
    const a = peer(server, 1);
    const b = peer(server, 2);
    const id = testId(1);
    localCreate(a.rep, a.clock, T0, id, samplePasskey(1, { name: 'first' }));
    expect(await a.engine.sync()).toMatchObject({ pulled: 0, pushed: 1, conflicts: 0, tampered: [] });
    expect(await b.engine.sync()).toMatchObject({ pulled: 1, pushed: 0 });
    expect(name(b.rep, id)).toBe('first');
    expect(b.rep.entries.get(id)).toMatchObject({ seq: 1, dirty: false });

    localEdit(b.rep, b.clock, T0 + 10, id, (d) => void (d.name = 'renamed'));
    await b.engine.sync();
    await a.engine.sync();
    expect(name(a.rep, id)).toBe('renamed');

    localDelete(a.rep, a.clock, T0 + 20, id);
    await a.engine.sync();
    await b.engine.sync();
    expect(b.rep.entries.get(id)?.item).toMatchObject({ deleted: true });
    expect(b.rep.entries.get(id)?.item.data).toEqual({ signCount: 0 }); // a tombstone keeps no key
    expect(a.rep.items()).toEqual(b.rep.items());
  });

  it('merges concurrent edits: a conflict on push, then the merged version pushed again', async () => {
    const { server, a, b, id } = await twoBrowsersSharing({ name: 'x', lastUsedAt: 1 });
    localUse(a.rep, id, T0 + 500); // a sign-in on A ...
    localEdit(b.rep, b.clock, T0 + 100, id, (d) => void (d.name = 'y')); // ... and a rename on B, both offline
    await a.engine.sync();
    const s = await b.engine.sync(); // B pulls A's version first, merges, and pushes without conflict
    expect(s).toMatchObject({ pulled: 1, pushed: 1, conflicts: 0 });
    await a.engine.sync();
    for (const p of [a, b]) expect(p.rep.entries.get(id)?.item.data).toEqual({ name: 'y', lastUsedAt: T0 + 500 });

    // A real conflict: B's push races A's (A pushes between B's pull and B's push).
    localEdit(b.rep, b.clock, T0 + 1000, id, (d) => void (d.name = 'z'));
    localEdit(a.rep, a.clock, T0 + 900, id, (d) => void (d.name = 'w'));
    const racing = peer(server, 2, {
      wrap: (t) => ({
        pull: (since) => t.pull(since),
        push: async (req) => {
          await a.engine.sync();
          return t.push(req);
        },
      }),
    });
    racing.rep.entries.clear();
    for (const [k, e] of b.rep.entries) racing.rep.entries.set(k, structuredClone(e));
    const r = await racing.engine.sync();
    expect(r.conflicts).toBe(1);
    expect(r.pushed).toBe(1); // round two: B's version wins by HLC and goes up
    await a.engine.sync();
    expect(name(a.rep, id)).toBe('z');
    expect(a.rep.items()).toEqual(racing.rep.items());
  });

  it('Spec: a change to one passkey in a vault of 10,000 moves one record up and one record down', async () => {
    const server = createFakeServer();
    const a = peer(server, 1);
    const b = peer(server, 2);
    for (let i = 0; i < 10_000; i++) localCreate(a.rep, a.clock, T0, testId(i), samplePasskey(i));
    const first = await a.engine.sync();
    expect(first.pushed).toBe(10_000);
    expect(a.transport.pushes.length).toBe(20); // batches of LIMITS.pushChanges
    expect((await b.engine.sync()).pulled).toBe(10_000);
    expect(b.transport.pulls).toBe(10); // pages of LIMITS.pullRecords

    localEdit(a.rep, a.clock, T0 + 1, testId(4321), (d) => void (d.userDisplayName = 'Renamed'));
    const up = await a.engine.sync();
    expect(up).toMatchObject({ pulled: 0, pushed: 1, conflicts: 0 });
    expect(a.transport.pushes.at(-1)!.changes.map((c) => c.id)).toEqual([testId(4321)]);
    expect(up.bytesUp).toBeLessThan(2_000);
    const down = await b.engine.sync();
    expect(down).toMatchObject({ pulled: 1, pushed: 0 });
    expect(down.bytesDown).toBeLessThan(2_000);
    expect(b.rep.entries.get(testId(4321))?.item.data?.userDisplayName).toBe('Renamed');
    // The pushing side moved its cursor past its own record: its next sync fetches nothing.
    expect((await a.engine.sync()).pulled).toBe(0);
  }, 120_000);

  it('pulls in pages, each committed with its cursor; an interrupted pull resumes where it stopped', async () => {
    const server = createFakeServer({ pageSize: 2 });
    const a = peer(server, 1);
    const b = peer(server, 2);
    for (let i = 0; i < 6; i++) localCreate(a.rep, a.clock, T0, testId(i), { name: `n${i}` });
    await a.engine.sync();
    b.rep.failCommits(0);
    // The second page's commit fails (a full disk): the first page stays, with its cursor.
    let commits = 0;
    const commit = b.rep.commit.bind(b.rep);
    b.rep.commit = async (c) => {
      if (++commits === 2) throw new Error('QuotaExceededError');
      return commit(c);
    };
    const e = await failure(b.engine.sync());
    expect(e).toBeInstanceOf(SyncStorageError);
    expect(e.message).toMatch(/could not save to this browser's vault .*QuotaExceededError.*Nothing was lost/);
    expect(b.rep.entries.size).toBe(2);
    expect(b.rep.cursorValue()).toBe(2);
    const s = await b.engine.sync();
    expect(s.pulled).toBe(4);
    expect(b.rep.items()).toEqual(a.rep.items());
  });
});

describe('sync engine: bad input and failures lose nothing', () => {
  it('Spec: a server that flips a byte in a record: tampering reported, the local copy kept, the other records applied', async () => {
    const server = createFakeServer();
    const a = peer(server, 1);
    const b = peer(server, 2);
    for (let i = 0; i < 3; i++) localCreate(a.rep, a.clock, T0, testId(i), { name: 'v1' });
    await a.engine.sync();
    await b.engine.sync();
    for (let i = 0; i < 3; i++) localEdit(a.rep, a.clock, T0 + 1, testId(i), (d) => void (d.name = 'v2'));
    await a.engine.sync();
    server.flip(testId(1));

    const before = structuredClone(b.rep.entries.get(testId(1)));
    const s = await b.engine.sync();
    expect(s.tampered).toEqual([testId(1)]);
    expect(b.reports).toHaveLength(1);
    expect(b.reports[0]).toBeInstanceOf(TamperedRecordError);
    expect(b.reports[0]!.recordId).toBe(testId(1));
    expect(b.reports[0]!.message).toMatch(/altered or damaged .*kept its own copy/);
    expect(b.rep.entries.get(testId(1))).toEqual(before);
    expect(name(b.rep, testId(0))).toBe('v2');
    expect(name(b.rep, testId(2))).toBe('v2');

    // B edits the record: its push conflicts with the tampered version, which is reported again; B keeps its edit.
    localEdit(b.rep, b.clock, T0 + 2, testId(1), (d) => void (d.name = 'mine'));
    const again = await b.engine.sync();
    expect(again.tampered).toEqual([testId(1)]);
    expect(b.rep.entries.get(testId(1))).toMatchObject({ dirty: true, item: { data: { name: 'mine' } } });
  });

  it('Spec: a record damaged on the wire is asked for again on every later sync until it opens (rule 4)', async () => {
    const server = createFakeServer();
    const a = peer(server, 1);
    const b = peer(server, 2);
    for (let i = 0; i < 3; i++) localCreate(b.rep, b.clock, T0, testId(i), samplePasskey(i));
    await b.engine.sync();

    a.faults.pull.push({ wire: 'flip', at: 1 }, { wire: 'truncate', at: 0 });
    const first = await a.engine.sync();
    expect(first).toMatchObject({ tampered: [testId(1)], unread: [testId(1)] });
    expect([...a.rep.entries.keys()].sort()).toEqual([testId(0), testId(2)]); // the others are not held back
    expect(a.rep.cursorValue()).toBe(1); // just before the damaged record
    const second = await a.engine.sync(); // asked for again (from it on), damaged again (truncated): still missing
    expect(second).toMatchObject({ pulled: 2, unread: [testId(1)] });
    const clean = await a.engine.sync();
    expect(clean).toMatchObject({ tampered: [], unread: [] });
    expect(a.rep.items()).toEqual(b.rep.items());
    expect((await a.engine.sync()).pulled).toBe(0); // and then the cursor moves past it
  });

  it('a record damaged on the server is retried until a newer version replaces it; pages after it still arrive', async () => {
    const server = createFakeServer({ pageSize: 2 });
    const a = peer(server, 1);
    const b = peer(server, 2);
    for (let i = 0; i < 6; i++) localCreate(b.rep, b.clock, T0, testId(i), { name: `n${i}` });
    await b.engine.sync();
    server.flip(testId(1));
    for (let n = 0; n < 3; n++) {
      const s = await a.engine.sync();
      expect(s.unread).toEqual([testId(1)]);
      expect(a.rep.entries.size).toBe(5);
    }
    localEdit(b.rep, b.clock, T0 + 1, testId(1), (d) => void (d.name = 'fixed'));
    await b.engine.sync();
    expect((await a.engine.sync()).unread).toEqual([]);
    expect(name(a.rep, testId(1))).toBe('fixed');
    expect(a.rep.items()).toEqual(b.rep.items());
    expect(a.rep.cursorValue()).toBe(server.seq);
  });

  it('a damaged copy of a version this browser already holds is reported but not retried', async () => {
    const server = createFakeServer();
    const b = peer(server, 2);
    localCreate(b.rep, b.clock, T0, testId(2), { name: 'from B' });
    // A pushes X while B's sync lands first: A cannot move its cursor past B's record, so it pulls X back later.
    const a = peer(server, 1, {
      wrap: (t) => ({
        pull: (since) => t.pull(since),
        push: async (req) => {
          await b.engine.sync();
          return t.push(req);
        },
      }),
    });
    localCreate(a.rep, a.clock, T0, testId(1), { name: 'from A' });
    await a.engine.sync();
    expect(a.rep.cursorValue()).toBe(0);
    a.faults.pull.push({ wire: 'flip', at: 1 }); // X, which A holds at this very seq
    const s = await a.engine.sync();
    expect(s).toMatchObject({ tampered: [testId(1)], unread: [] });
    expect(a.rep.cursorValue()).toBe(server.seq);
    expect(name(a.rep, testId(2))).toBe('from B');
  });

  it('a push conflict damaged on the wire: the local change stays dirty, and the next sync merges the real version', async () => {
    const server = createFakeServer();
    const a = peer(server, 1);
    const id = testId(1);
    let race = false;
    const b = peer(server, 2, {
      wrap: (t) => ({
        pull: (since) => t.pull(since),
        push: async (req) => {
          if (race) {
            race = false;
            await a.engine.sync(); // A's rename lands between B's pull and B's push
          }
          return t.push(req);
        },
      }),
    });
    localCreate(a.rep, a.clock, T0, id, { name: 'x', lastUsedAt: 1 });
    await a.engine.sync();
    await b.engine.sync();
    localEdit(a.rep, a.clock, T0 + 10, id, (d) => void (d.name = 'from A'));
    localUse(b.rep, id, T0 + 99);
    race = true;
    b.faults.push.push({ wire: 'flip', at: 0 });
    const s = await b.engine.sync();
    expect(s).toMatchObject({ conflicts: 1, tampered: [id], unread: [id] });
    expect(b.rep.entries.get(id)).toMatchObject({ dirty: true, item: { data: { name: 'x', lastUsedAt: T0 + 99 } } });
    expect(await b.engine.sync()).toMatchObject({ tampered: [], unread: [] });
    await a.engine.sync();
    expect(b.rep.entries.get(id)?.item.data).toEqual({ name: 'from A', lastUsedAt: T0 + 99 });
    expect(a.rep.items()).toEqual(b.rep.items());
  });

  it.each([
    ['offline', 'offline', /cannot be reached.*safe in this browser/],
    ['garbage', 'garbage', /not a valid Keyport response.*Nothing was changed/],
    ['unauthorized', 'unauthorized', /did not accept this browser/],
    ['server', 'server', /had a problem/],
  ] as const)('a pull answered %s leaves the replica unchanged, with a clear error', async (fault, kind, message) => {
    const { b, before } = await oneEachSide();
    b.faults.pull.push(fault);
    const e = await failure(b.engine.sync());
    expect(e).toBeInstanceOf(SyncTransportError);
    expect((e as SyncTransportError).kind).toBe(kind);
    expect(e.message).toMatch(message);
    expect(snapshot(b.rep)).toEqual(before);
    await b.engine.sync();
    expect(b.rep.items().size).toBe(2);
  });

  it('garbage of many shapes is refused before anything is written', async () => {
    const answers: unknown[] = [
      null,
      'HTTP 200 OK',
      { records: [], latest: 5 },
      { records: [{ id: 'x', seq: 1, blob: 'AAAA' }], latest: 1, more: false },
      { records: [{ id: testId(1), seq: 9, blob: 'AAAA' }], latest: 3, more: false },
      { records: [{ id: testId(1), seq: 1, blob: 'not base64!' }], latest: 1, more: false },
      { records: [], latest: 0, more: true }, // "more" forever without progress
      { records: [], latest: -1, more: false },
    ];
    for (const answer of answers) {
      const rep = createMemoryReplica();
      const engine = createSyncEngine({
        transport: { pull: async () => answer as never, push: async () => ({ applied: [], conflicts: [], latest: 0 }) },
        replica: rep,
        key,
        now: () => T0,
        report: () => undefined,
      });
      const e = await failure(engine.sync());
      expect(e, JSON.stringify(answer)).toBeInstanceOf(SyncTransportError);
      expect((e as SyncTransportError).kind).toBe('garbage');
      expect(rep.commits).toEqual([]);
    }
  });

  it('a push answered with garbage or for records never sent: an error, the items stay dirty', async () => {
    const rep = createMemoryReplica();
    const clock = createClock(nodeId(1));
    localCreate(rep, clock, T0, testId(1), { name: 'x' });
    for (const answer of [
      { applied: [{ id: testId(9), seq: 1 }], conflicts: [], latest: 1 },
      { applied: [{ id: testId(1), seq: 1 }], conflicts: [{ id: testId(1), seq: 1, blob: 'AAAA' }], latest: 1 },
      { applied: [{ id: testId(1), seq: 5 }], conflicts: [], latest: 2 },
      { applied: 'all of them' },
    ]) {
      const engine = createSyncEngine({
        transport: { pull: async () => ({ records: [], latest: 0, more: false }), push: async () => answer as never },
        replica: rep,
        key,
        now: () => T0,
        report: () => undefined,
      });
      const e = await failure(engine.sync());
      expect((e as SyncTransportError).kind, JSON.stringify(answer)).toBe('garbage');
      expect(rep.entries.get(testId(1))).toMatchObject({ dirty: true, seq: 0 });
    }
  });

  it('an exception that is not a SyncTransportError becomes one (kind server), with the cause', async () => {
    const rep = createMemoryReplica();
    const boom = new TypeError('Failed to fetch');
    const engine = createSyncEngine({
      transport: { pull: async () => Promise.reject(boom), push: async () => Promise.reject(boom) },
      replica: rep,
      key,
      now: () => T0,
      report: () => undefined,
    });
    const e = await failure(engine.sync());
    expect(e).toBeInstanceOf(SyncTransportError);
    expect((e as SyncTransportError).kind).toBe('server');
    expect(e.message).toContain('Failed to fetch');
    expect(e.cause).toBe(boom);
  });

  it('Spec: a full disk: a clear error, nothing written, and the next sync completes', async () => {
    const { a, b, before } = await oneEachSide();
    b.rep.failCommits(1, 'QuotaExceededError: The quota has been exceeded.');
    const e = await failure(b.engine.sync());
    expect(e).toBeInstanceOf(SyncStorageError);
    expect(e.message).toMatch(/could not save to this browser's vault \(QuotaExceededError.*\)\. Nothing was lost/);
    expect(snapshot(b.rep)).toEqual(before);
    await b.engine.sync();
    await a.engine.sync();
    expect(a.rep.items()).toEqual(b.rep.items());
  });

  it('a lost push response: the retry carries the same requestId and nothing is applied twice', async () => {
    const server = createFakeServer();
    const a = peer(server, 1);
    for (let i = 0; i < 3; i++) localCreate(a.rep, a.clock, T0, testId(i), { name: 'x' });
    a.faults.push.push('lost-response', 'offline');
    const s = await a.engine.sync();
    expect(s).toMatchObject({ pushed: 3, conflicts: 0 });
    expect(a.transport.pushes.map((r) => r.requestId)).toEqual(Array(3).fill(a.transport.pushes[0]!.requestId));
    expect(server.writes).toBe(3);
    expect(await a.rep.dirty()).toEqual([]);
  });

  it('a lost push response after the last retry: the next sync finds its own versions as conflicts and settles', async () => {
    const server = createFakeServer();
    const a = peer(server, 1, { attempts: 1 });
    const b = peer(server, 2);
    for (let i = 0; i < 3; i++) localCreate(a.rep, a.clock, T0, testId(i), { name: 'x' });
    a.faults.push.push('lost-response');
    expect(((await failure(a.engine.sync())) as SyncTransportError).kind).toBe('offline');
    expect(await a.rep.dirty()).toHaveLength(3);
    const s = await a.engine.sync();
    expect(server.writes).toBe(3);
    expect(s.pushed + s.conflicts).toBeGreaterThanOrEqual(0);
    expect(await a.rep.dirty()).toEqual([]);
    await b.engine.sync();
    expect(b.rep.items()).toEqual(a.rep.items());
  });

  it('an edit made while its push is on the network stays dirty and goes up next time', async () => {
    const server = createFakeServer();
    const id = testId(1);
    const a = peer(server, 1, {
      wrap: (t, p) => ({
        pull: (since) => t.pull(since),
        push: async (req: PushRequest) => {
          if (name(p.rep, id) === 'v1') localEdit(p.rep, p.clock, T0 + 5, id, (d) => void (d.name = 'v2'));
          return t.push(req);
        },
      }),
    });
    localCreate(a.rep, a.clock, T0, id, { name: 'v1' });
    await a.engine.sync();
    expect(a.rep.entries.get(id)).toMatchObject({ seq: 1, dirty: true, item: { data: { name: 'v2' } } });
    const s = await a.engine.sync();
    expect(s).toMatchObject({ pushed: 1, conflicts: 0 });
    const b = peer(server, 2);
    await b.engine.sync();
    expect(name(b.rep, id)).toBe('v2');
  });

  it('an edit made between the merge and its commit is not overwritten (compare-and-set, merge again)', async () => {
    const { a, b, id } = await twoBrowsersSharing({ name: 'x', lastUsedAt: 1 });
    localEdit(a.rep, a.clock, T0 + 10, id, (d) => void (d.name = 'from A'));
    await a.engine.sync();
    const get = b.rep.get.bind(b.rep);
    let once = true;
    b.rep.get = async (ids) => {
      const out = await get(ids);
      if (once) {
        once = false;
        localUse(b.rep, id, T0 + 99); // lands after the engine read the entry
      }
      return out;
    };
    await b.engine.sync();
    expect(b.rep.entries.get(id)?.item.data).toEqual({ name: 'from A', lastUsedAt: T0 + 99 });
    await a.engine.sync();
    expect(a.rep.items()).toEqual(b.rep.items());
  });

  it('overlapping sync() calls share one run plus one follow-up', async () => {
    const server = createFakeServer();
    const a = peer(server, 1);
    localCreate(a.rep, a.clock, T0, testId(1), { name: 'x' });
    const [r1, r2, r3] = await Promise.all([a.engine.sync(), a.engine.sync(), a.engine.sync()]);
    expect(a.transport.pulls).toBe(2);
    expect(r1.pushed).toBe(1);
    expect(r2).toBe(r3);
    expect(r2.pushed).toBe(0);
    // A failing run still lets the follow-up run.
    a.faults.pull.push('offline');
    const [f, g] = await Promise.allSettled([a.engine.sync(), a.engine.sync()]);
    expect(f.status).toBe('rejected');
    expect(g.status).toBe('fulfilled');
  });
});

// ---- the headline property: three replicas, random interleavings, faults; all converge, nothing lost ----

type Step =
  | { t: 'create'; r: number }
  | { t: 'rename'; r: number; pick: number; name: string }
  | { t: 'delete'; r: number; pick: number }
  | { t: 'use'; r: number; pick: number }
  | { t: 'sync'; r: number }
  | { t: 'fault'; r: number; op: 'pull' | 'push'; f: Fault }
  | { t: 'disk'; r: number }
  | { t: 'race'; r: number; q: number }
  | { t: 'wait'; ms: number };

const r = fc.integer({ min: 0, max: 2 });
const pick = fc.nat();
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('create' as const), r }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('rename' as const), r, pick, name: fc.constantFrom('a', 'b', 'c') }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), r, pick }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('use' as const), r, pick }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('sync' as const), r }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('fault' as const),
      r,
      op: fc.constantFrom('pull' as const, 'push' as const),
      f: fc.oneof(
        fc.constantFrom<Fault>('offline', 'lost-response', 'garbage', 'server'),
        // On the wire: a flipped byte, a truncated record or body, records reordered or repeated.
        fc.record({ wire: fc.constantFrom('flip' as const, 'truncate' as const, 'cut' as const, 'reorder' as const, 'duplicate' as const), at: fc.nat() }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('disk' as const), r }) },
  // Another replica syncs while r's push is on its way: r's push can meet versions r has not pulled.
  { weight: 2, arbitrary: fc.record({ t: fc.constant('race' as const), r, q: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3000 }) }) },
);

async function simulate(steps: Step[], skews: number[], pageSize: number, attempts: number): Promise<void> {
  const server = createFakeServer({ pageSize });
  let time = T0;
  const races: (() => Promise<void>)[][] = [[], [], []];
  let racing = false;
  const peers: Peer[] = [];
  for (const i of [0, 1, 2]) {
    peers.push(
      peer(server, i + 1, {
        now: () => time + skews[i]!,
        attempts,
        wrap: (t) => ({
          pull: (since) => t.pull(since),
          push: async (req) => {
            const race = racing ? undefined : races[i]!.shift();
            if (race) {
              racing = true; // no race inside a race: r's own sync would wait for itself
              await race().finally(() => (racing = false));
            }
            return t.push(req);
          },
        }),
      }),
    );
  }
  const versions = new Map<string, SyncItem[]>();
  const deleted = new Set<string>();
  const record = (item: SyncItem) => versions.set(item.id, [...(versions.get(item.id) ?? []), structuredClone(item)]);
  let nextId = 0;
  const now = (i: number) => time + skews[i]!;
  const target = (p: Peer, n: number) => {
    const ids = live(p.rep).map((i) => i.id).sort();
    return ids.length ? ids[n % ids.length] : undefined;
  };

  for (const s of steps) {
    if (s.t === 'wait') {
      time += s.ms;
      continue;
    }
    const p = peers[s.r]!;
    time += 1;
    switch (s.t) {
      case 'create':
        record(localCreate(p.rep, p.clock, now(s.r), testId(nextId++), { name: 'new', lastUsedAt: 0, signCount: 0 }));
        break;
      case 'rename': {
        const id = target(p, s.pick);
        if (id) record(localEdit(p.rep, p.clock, now(s.r), id, (d) => void (d.name = s.name)));
        break;
      }
      case 'delete': {
        const id = target(p, s.pick);
        if (id) {
          deleted.add(id);
          record(localDelete(p.rep, p.clock, now(s.r), id));
        }
        break;
      }
      case 'use': {
        const id = target(p, s.pick);
        if (id) record(localUse(p.rep, id, now(s.r)));
        break;
      }
      case 'fault':
        p.faults[s.op].push(s.f);
        break;
      case 'disk':
        p.rep.failCommits(1);
        break;
      case 'race': {
        const other = peers[(s.r + s.q) % 3]!;
        races[s.r]!.push(() => other.engine.sync().then(() => undefined, () => undefined));
        break;
      }
      case 'sync':
        await p.engine.sync().catch((e: unknown) => {
          if (!(e instanceof SyncTransportError) && !(e instanceof SyncStorageError)) throw e;
        });
        break;
    }
  }

  // Heal, then sync round-robin until a whole round moves nothing.
  for (const p of peers) {
    p.faults.pull.length = p.faults.push.length = 0;
    p.rep.failCommits(0);
  }
  for (const q of races) q.length = 0;
  // Quiet: nothing pushed, and nothing left that did not open (a record damaged before the heal is asked again).
  let quiet = false;
  for (let round = 0; round < 6 && !quiet; round++) {
    let moved = 0;
    for (const p of peers) {
      const s: SyncSummary = await p.engine.sync();
      moved += s.pushed + s.conflicts + s.tampered.length + s.unread.length;
    }
    quiet = moved === 0;
  }
  expect(quiet).toBe(true);

  // Every replica and the server hold the join of every version ever made: no update lost, none invented.
  for (const [id, vs] of versions) {
    const expected = vs.reduce((x, y) => mergeItems(x, y));
    const onServer = await openItem(key, id, server.records.get(id)!.blob);
    expect(sameItem(onServer, expected), `server ${id}`).toBe(true);
    for (const p of peers) {
      const e = p.rep.entries.get(id);
      expect(e, `replica lacks ${id}`).toBeDefined();
      expect(sameItem(e!.item, expected), `replica ${id}`).toBe(true);
      expect(e!.dirty).toBe(false);
      if (!deleted.has(id)) expect(e!.item.deleted, `never-deleted ${id} is missing`).toBe(false);
    }
  }
  for (const p of peers) expect(p.rep.entries.size).toBe(versions.size);
  // Only damage on the wire is reported: the server never held a bad record.
  if (!steps.some((s) => s.t === 'fault' && typeof s.f === 'object' && (s.f.wire === 'flip' || s.f.wire === 'truncate'))) {
    for (const p of peers) expect(p.reports).toEqual([]);
  }
}

describe('sync engine: convergence (property)', () => {
  it('three replicas, random creates, renames, deletes and uses, random syncs, lost responses, full disks and answers flipped, truncated, cut, reordered or repeated on the wire: after the heal all converge and no passkey is lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 10, maxLength: 80, size: 'max' }),
        fc.array(fc.integer({ min: -2000, max: 2000 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        simulate,
      ),
      { numRuns: 150 },
    );
  }, 300_000);
});

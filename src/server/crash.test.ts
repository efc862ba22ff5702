// @vitest-environment node
// Crash safety (issue 14, item 5), on both stores: a real server process killed with SIGKILL in the middle of
// a write load (eight clients on four vaults pushing batches of new records), then started again on the same
// store. Every push that was answered is there, record for record; a push that was in flight when the server
// died is there whole or not at all, and so are the vault's counters (seq, records, bytes); each client's retry
// of its unanswered push (the same requestId) then converges: both clients of a vault see the same records,
// every one that either sent.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SyncServer, syncServer } from '../adapters/syncHttp.ts';
import type { PushRequest, ServerRecord } from '../sync/protocol.ts';
import { SQLITE_FILE } from './store-sqlite.ts';
import { type ServerProcess, spawnServer } from './testProcesses.ts';
import { PG_URL, describeEachStore } from '../../tests/vectors/serverStores.ts';

const b64u = (bytes: number) => randomBytes(bytes).toString('base64url');
const VAULTS = 4;
const CLIENTS_PER_VAULT = 2;
/** The server is killed once this many pushes were answered (and a few milliseconds more, to land mid-write). */
const KILL_AFTER_ACKS = 120;

interface Sent {
  request: PushRequest;
  /** The server's answer: the seq each record got; undefined while none came (in flight when it died). */
  applied?: Map<string, number>;
}

interface Client {
  vault: number;
  server: SyncServer;
  sent: Sent[];
}

/** The vault's row as the store holds it: seq and usage counters. */
type Counters = { seq: number; records: number; bytes: number };

describeEachStore('a server killed with SIGKILL under a write load', (kind) => {
  let dir: string | undefined;
  const schema = `keyport_test_${randomBytes(6).toString('hex')}`;
  let server: ServerProcess | undefined;
  let args: string[];
  let readCounters: (vaultId: string) => Promise<Counters>;
  let closeReader = async () => {};

  beforeAll(() => {
    const common = ['--writes-per-minute', '999999999', '--registration', 'open'];
    if (kind.name === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'keyport-crash-'));
      args = ['--data', dir, ...common];
      readCounters = async (vaultId) => {
        const db = new Database(join(dir!, SQLITE_FILE), { readonly: true });
        try {
          return db.prepare('SELECT seq, records, bytes FROM vaults WHERE id = ?').get(vaultId) as Counters;
        } finally {
          db.close();
        }
      };
    } else {
      args = ['--database-url', PG_URL!, '--database-schema', schema, ...common];
      const admin = new pg.Client({ connectionString: PG_URL });
      const connected = admin.connect();
      readCounters = async (vaultId) => {
        await connected;
        const { rows } = await admin.query<{ seq: string; records: string; bytes: string }>(`SELECT seq, records, bytes FROM ${schema}.vaults WHERE id = $1`, [vaultId]);
        return { seq: Number(rows[0]!.seq), records: Number(rows[0]!.records), bytes: Number(rows[0]!.bytes) };
      };
      closeReader = async () => {
        await connected;
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      };
    }
  });

  afterAll(async () => {
    await server?.stop();
    await closeReader();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function pullAll(client: SyncServer): Promise<ServerRecord[]> {
    const records: ServerRecord[] = [];
    for (let since = 0; ; ) {
      const page = await client.pull(since);
      records.push(...page.records);
      since = page.latest;
      if (!page.more) return records;
    }
  }

  it('keeps every answered push whole, no unanswered one in part, and the clients converge after the restart', async () => {
    server = await spawnServer(args);
    const identities = Array.from({ length: VAULTS }, () => ({ vaultId: b64u(32), token: b64u(32) }));
    for (const identity of identities) await syncServer(server.url, identity).create(b64u(60));
    const clients: Client[] = identities.flatMap((identity, vault) =>
      Array.from({ length: CLIENTS_PER_VAULT }, () => ({ vault, server: syncServer(server!.url, identity), sent: [] as Sent[] })),
    );

    // The load: each client pushes batches of 1 to 20 new records, one push after another, until the server dies.
    let acks = 0;
    let killing: Promise<void> | undefined;
    const load = clients.map(async (client) => {
      for (;;) {
        const changes = Array.from({ length: 1 + Math.floor(Math.random() * 20) }, () => ({ id: b64u(16), baseSeq: 0, blob: b64u(100 + Math.floor(Math.random() * 1400)) }));
        const sent: Sent = { request: { requestId: randomUUID(), changes } };
        client.sent.push(sent);
        try {
          const answer = await client.server.push(sent.request);
          sent.applied = new Map(answer.applied.map((a) => [a.id, a.seq]));
          expect(answer.applied).toHaveLength(changes.length);
        } catch (error) {
          // The connection died: before the answer (most), or inside it.
          expect((error as Error).message).toMatch(/cannot be reached|not Keyport's protocol/);
          return;
        }
        if (++acks === KILL_AFTER_ACKS) killing = new Promise((r) => setTimeout(r, Math.random() * 10)).then(() => server!.kill());
      }
    });
    await Promise.all(load);
    await killing;
    const inFlight = clients.flatMap((c) => c.sent.filter((s) => !s.applied));
    expect(inFlight).toHaveLength(clients.length);

    // Started again on the same store.
    server = await spawnServer(args);
    for (const client of clients) client.server = syncServer(server.url, identities[client.vault]!);

    let committedInFlight = 0;
    for (let vault = 0; vault < VAULTS; vault++) {
      const mine = clients.filter((c) => c.vault === vault);
      const held = new Map((await pullAll(mine[0]!.server)).map((r) => [r.id, r]));
      const sent = mine.flatMap((c) => c.sent);
      // Every answered push is there, each record with the blob sent and the seq answered.
      for (const s of sent.filter((x) => x.applied)) {
        for (const change of s.request.changes) expect(held.get(change.id), 'an acknowledged record').toEqual({ id: change.id, seq: s.applied!.get(change.id), blob: change.blob });
      }
      // A push in flight is there whole or not at all; nothing else is there.
      for (const s of sent.filter((x) => !x.applied)) {
        const present = s.request.changes.filter((c) => held.get(c.id)?.blob === c.blob).length;
        expect([0, s.request.changes.length], 'a push in flight: all or nothing').toContain(present);
        if (present > 0) committedInFlight += 1;
      }
      const sentIds = new Set(sent.flatMap((s) => s.request.changes.map((c) => c.id)));
      for (const id of held.keys()) expect(sentIds.has(id)).toBe(true);
      // The vault's counters agree with its records.
      const records = [...held.values()];
      expect(await readCounters(identities[vault]!.vaultId)).toEqual({
        seq: Math.max(...records.map((r) => r.seq)),
        records: records.length,
        bytes: records.reduce((n, r) => n + r.blob.length, 0),
      });
    }

    // Each client retries its unanswered push (the same requestId); then both clients of a vault agree, on all of it.
    for (const client of clients) {
      for (const s of client.sent.filter((x) => !x.applied)) {
        const answer = await client.server.push(s.request);
        expect(answer.applied).toHaveLength(s.request.changes.length);
        s.applied = new Map(answer.applied.map((a) => [a.id, a.seq]));
      }
    }
    for (let vault = 0; vault < VAULTS; vault++) {
      const mine = clients.filter((c) => c.vault === vault);
      const views = await Promise.all(mine.map((c) => pullAll(c.server)));
      for (const view of views) expect(view).toEqual(views[0]);
      const expected = mine.flatMap((c) => c.sent.flatMap((s) => s.request.changes.map((ch) => ({ id: ch.id, seq: s.applied!.get(ch.id), blob: ch.blob }))));
      expect(views[0]!.slice().sort((x, y) => x.seq - y.seq)).toEqual(expected.sort((x, y) => x.seq! - y.seq!));
    }
    const answered = clients.reduce((n, c) => n + c.sent.length, 0) - inFlight.length;
    console.info(
      `[crash on ${kind.name}] ${answered} pushes answered before SIGKILL, all there after the restart; ` +
        `${inFlight.length} in flight: ${committedInFlight} whole, ${inFlight.length - committedInFlight} absent, none in part`,
    );
  }, 90_000);
});

// @vitest-environment node
// Stateless instances (issue 14, item 4): two real server processes on one PostgreSQL, behind a round-robin
// proxy with no sticky sessions, behave as one server. The project's own clients (pairingHttp.ts, syncHttp.ts)
// pair a second client with each step on the other process than the step before, both sync through whichever
// process the proxy picks, and one write limit holds across both processes.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { joinPairing, startPairing } from '../adapters/pairingHttp.ts';
import { syncServer } from '../adapters/syncHttp.ts';
import { type RoundRobin, type ServerProcess, roundRobin, spawnServer } from './testProcesses.ts';
import { PG_URL, POSTGRES, describeOnStore } from '../../tests/vectors/serverStores.ts';

const b64u = (bytes: number) => randomBytes(bytes).toString('base64url');
const WRITES_PER_MINUTE = 6;

describeOnStore(POSTGRES, 'two server processes behind a round-robin proxy', () => {
  const schema = `keyport_test_${randomBytes(6).toString('hex')}`;
  let servers: ServerProcess[] = [];
  let proxy: RoundRobin | undefined;

  beforeAll(async () => {
    // Started together: the schema's migration runs once, under its advisory lock.
    const args = ['--database-url', PG_URL!, '--database-schema', schema, '--writes-per-minute', String(WRITES_PER_MINUTE), '--registration', 'open'];
    servers = await Promise.all([spawnServer(args), spawnServer(args)]);
    proxy = await roundRobin(servers);
  }, 60_000);

  afterAll(async () => {
    await proxy?.close();
    await Promise.all(servers.map((s) => s.stop()));
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('pairs a client with each step on another process, syncs through both, and holds one write limit across both', async () => {
    const url = proxy!.url;
    // Client A has a vault on the server.
    const identity = { vaultId: b64u(32), token: b64u(32) };
    const a = syncServer(url, identity);
    await a.create(b64u(60));

    // Client B pairs: B starts (initiator), A joins and approves, B receives the vault's details.
    const initiator = await startPairing(url, { pollMs: 20 });
    const joinerSees = initiator.waitForJoiner();
    const joiner = await joinPairing(url, initiator.code, { pollMs: 20 });
    expect((await joinerSees).sas).toBe(joiner.sas);
    const arriving = initiator.waitForPayload();
    const vaultKey = randomBytes(32);
    await joiner.approve({ ...identity, vaultKey: Uint8Array.from(vaultKey), serverUrl: url });
    const received = await arriving;
    expect(received).toEqual({ ...identity, vaultKey: Uint8Array.from(vaultKey), serverUrl: url });
    // Start, join, reveal, payload: each on the other process than the step before.
    const steps = proxy!.served.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/pairings'));
    expect(steps.map((r) => r.path.replace(/^\/v1\/pairings\/?[0-9A-Z]*\/?/, '') || 'start')).toEqual(['start', 'join', 'reveal', 'payload']);
    expect(steps.map((r) => r.instance)).toEqual([0, 1, 0, 1]);
    // Polls (GET) went to both processes too, and each found the pairing.
    expect(new Set(proxy!.served.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/pairings')).map((r) => r.instance))).toEqual(new Set([0, 1]));

    // Both sync. A pushes, B pulls and pushes, A pulls: the same records on both.
    const b = syncServer(url, { vaultId: received.vaultId, token: received.token });
    const [r1, r2] = [b64u(16), b64u(16)];
    const writes: number[] = [];
    const push = async (client: typeof a, changes: { id: string; baseSeq: number; blob: string }[]) => {
      const before = proxy!.served.length;
      const answer = await client.push({ requestId: randomUUID(), changes });
      writes.push(proxy!.served[before]!.instance);
      return answer;
    };
    expect((await push(a, [{ id: r1, baseSeq: 0, blob: 'from-a' }])).applied).toEqual([{ id: r1, seq: 1 }]);
    expect((await b.pull(0)).records).toEqual([{ id: r1, seq: 1, blob: 'from-a' }]);
    await push(b, [{ id: r2, baseSeq: 0, blob: 'from-b' }]);
    // The same record changed on both: the second push sees the first's version as a conflict.
    await push(a, [{ id: r1, baseSeq: 1, blob: 'a-again' }]);
    expect(await push(b, [{ id: r1, baseSeq: 1, blob: 'b-again' }])).toEqual({ applied: [], conflicts: [{ id: r1, seq: 3, blob: 'a-again' }], latest: 3 });
    const [seenByA, seenByB] = [await a.pull(0), await b.pull(0)];
    expect(seenByA).toEqual(seenByB);
    expect(seenByA.records.map((r) => r.blob)).toEqual(['from-b', 'a-again']);

    // The write limit: WRITES_PER_MINUTE for the vault across both processes (each alone would allow as many).
    while (writes.length < WRITES_PER_MINUTE) await push(writes.length % 2 ? a : b, [{ id: b64u(16), baseSeq: 0, blob: 'more' }]);
    expect(new Set(writes)).toEqual(new Set([0, 1]));
    for (const client of [a, b]) {
      await expect(client.push({ requestId: randomUUID(), changes: [{ id: b64u(16), baseSeq: 0, blob: 'over' }] })).rejects.toThrow(/asks to wait before trying again \(too many writes/);
    }
    expect(proxy!.served.slice(-2).map((r) => r.instance).sort()).toEqual([0, 1]);
  }, 60_000);
});

// @vitest-environment node
// The store port (store.ts) itself, on both stores: transactions are all or nothing, data survives a
// restart, and expired push answers are swept.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestStore, describeEachStore } from '../../tests/vectors/serverStores.ts';
import { MIGRATIONS, SQLITE_FILE, openSqliteStore } from './store-sqlite.ts';
import { hashToken } from './vaults.ts';

const b64u = (bytes: number) => randomBytes(bytes).toString('base64url');

describeEachStore('store', (kind) => {
  let db: TestStore;
  beforeAll(async () => {
    db = await kind.open();
  });
  afterAll(async () => {
    await db?.dispose();
  });

  const findVault = (id: string) => db.store.transaction((tx) => tx.findVault(id, { lock: false }), { readOnly: true });

  it('a transaction that throws leaves nothing behind', async () => {
    const id = b64u(32);
    await expect(
      db.store.transaction(async (tx) => {
        expect(await tx.insertVault(id, hashToken(b64u(32)), 'key')).toBe(true);
        const vault = (await tx.findVault(id, { lock: true }))!;
        await tx.putRecords(vault.pk, [{ id: b64u(16), seq: 1, blob: 'sealed' }], 0);
        await tx.setCounters(vault.pk, { seq: 1, records: 1, bytes: 6 });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await findVault(id)).toBeUndefined();
  });

  it('a rename to a taken id is refused and changes nothing', async () => {
    const [a, b] = [b64u(32), b64u(32)];
    const hash = hashToken(b64u(32));
    await db.store.transaction(async (tx) => {
      await tx.insertVault(a, hash, 'ka');
      await tx.insertVault(b, hash, 'kb');
    });
    const pk = (await findVault(a))!.pk;
    await expect(db.store.transaction(async (tx) => tx.renameVault(pk, b, hash, 'kx'))).resolves.toBe(false);
    expect((await findVault(a))?.key).toBe('ka');
    expect((await findVault(b))?.key).toBe('kb');
  });

  it('keeps its data across a restart, the schema migrated once', async () => {
    const id = b64u(32);
    const tokenHash = hashToken(b64u(32));
    await db.store.transaction(async (tx) => {
      await tx.insertVault(id, tokenHash, 'key');
      const vault = (await tx.findVault(id, { lock: true }))!;
      await tx.putRecords(vault.pk, [{ id: 'r'.repeat(22), seq: 1, blob: 'sealed' }], 0);
      await tx.setCounters(vault.pk, { seq: 1, records: 1, bytes: 6 });
    });
    await db.reopen();
    const vault = (await findVault(id))!;
    expect({ key: vault.key, seq: vault.seq, records: vault.records, bytes: vault.bytes, tokenHash: Buffer.from(vault.tokenHash) }).toEqual({
      key: 'key',
      seq: 1,
      records: 1,
      bytes: 6,
      tokenHash: Buffer.from(tokenHash),
    });
    expect(await db.store.transaction((tx) => tx.records(vault.pk, 0, 10))).toEqual([{ id: 'r'.repeat(22), seq: 1, blob: 'sealed' }]);
  });

  it('sweep removes push answers stored before the cut, and only those', async () => {
    const id = b64u(32);
    const push = { requestHash: hashToken('changes'), response: '{}' };
    const pk = await db.store.transaction(async (tx) => {
      await tx.insertVault(id, hashToken(b64u(32)), 'key');
      const vault = (await tx.findVault(id, { lock: true }))!;
      await tx.putPush(vault.pk, 'old', push, 1_000);
      await tx.putPush(vault.pk, 'new', push, 5_000);
      return vault.pk;
    });
    expect(await db.store.sweep(2_000, 0)).toBeGreaterThanOrEqual(1);
    expect(await db.store.transaction((tx) => tx.findPush(pk, 'old', 0))).toBeUndefined();
    expect(await db.store.transaction((tx) => tx.findPush(pk, 'new', 0))).toEqual({ requestHash: expect.anything(), response: '{}' });
    // findPush also ignores answers older than notBefore, swept or not.
    expect(await db.store.transaction((tx) => tx.findPush(pk, 'new', 5_001))).toBeUndefined();
  });

  it("trimPushes keeps a vault's newest answers, and only touches that vault", async () => {
    const push = { requestHash: hashToken('changes'), response: '{}' };
    const [pk, other] = await db.store.transaction(async (tx) => {
      const pks: number[] = [];
      for (const id of [b64u(32), b64u(32)]) {
        await tx.insertVault(id, hashToken(b64u(32)), 'key');
        pks.push((await tx.findVault(id, { lock: true }))!.pk);
      }
      for (let i = 0; i < 5; i++) await tx.putPush(pks[0]!, `r${i}`, push, 1_000 + i);
      await tx.putPush(pks[1]!, 'r0', push, 1_000);
      await tx.trimPushes(pks[0]!, 2);
      return pks;
    });
    const kept = await db.store.transaction(async (tx) => Promise.all([0, 1, 2, 3, 4].map(async (i) => (await tx.findPush(pk!, `r${i}`, 0)) !== undefined)));
    expect(kept).toEqual([false, false, false, true, true]);
    expect(await db.store.transaction((tx) => tx.findPush(other!, 'r0', 0))).toBeDefined();
  });

  it('ping answers while the database is there', async () => {
    await expect(db.store.ping()).resolves.toBeUndefined();
  });
});

describe('sqlite store: upgrading a server from before quotas', () => {
  it("counts each existing vault's records and blob characters, so its quota holds from the first push", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyport-migrate-'));
    try {
      const old = new Database(join(dir, SQLITE_FILE));
      old.exec(MIGRATIONS[0]!);
      old.pragma('user_version = 1');
      const id = b64u(32);
      const pk = Number(old.prepare('INSERT INTO vaults (id, token_hash, key, seq) VALUES (?, ?, ?, 2)').run(id, hashToken('t'), 'key').lastInsertRowid);
      old.prepare('INSERT INTO records (vault, id, seq, blob) VALUES (?, ?, ?, ?)').run(pk, 'a'.repeat(22), 1, 'x'.repeat(300));
      old.prepare('INSERT INTO records (vault, id, seq, blob) VALUES (?, ?, ?, ?)').run(pk, 'b'.repeat(22), 2, 'y'.repeat(200));
      old.close();
      const store = openSqliteStore(dir);
      const vault = await store.transaction((tx) => tx.findVault(id, { lock: false }));
      expect(vault).toMatchObject({ seq: 2, records: 2, bytes: 500 });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// @vitest-environment node
// The store port (store.ts) itself, on both stores: transactions are all or nothing, data survives a
// restart, and expired push answers are swept.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestStore, describeEachStore } from './testStores.ts';
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
        await tx.putRecords(vault.pk, [{ id: b64u(16), seq: 1, blob: 'sealed' }]);
        await tx.setSeq(vault.pk, 1);
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
      await tx.putRecords(vault.pk, [{ id: 'r'.repeat(22), seq: 1, blob: 'sealed' }]);
      await tx.setSeq(vault.pk, 1);
    });
    await db.reopen();
    const vault = (await findVault(id))!;
    expect({ key: vault.key, seq: vault.seq, tokenHash: Buffer.from(vault.tokenHash) }).toEqual({ key: 'key', seq: 1, tokenHash: Buffer.from(tokenHash) });
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
    expect(await db.store.sweep(2_000)).toBeGreaterThanOrEqual(1);
    expect(await db.store.transaction((tx) => tx.findPush(pk, 'old', 0))).toBeUndefined();
    expect(await db.store.transaction((tx) => tx.findPush(pk, 'new', 0))).toEqual({ requestHash: expect.anything(), response: '{}' });
    // findPush also ignores answers older than notBefore, swept or not.
    expect(await db.store.transaction((tx) => tx.findPush(pk, 'new', 5_001))).toBeUndefined();
  });

  it('ping answers while the database is there', async () => {
    await expect(db.store.ping()).resolves.toBeUndefined();
  });
});

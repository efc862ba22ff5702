// @vitest-environment node
// The sync service end to end in Node: two browsers' vaults (fake-indexeddb) and the real sync server (a real
// port, the embedded store), through the HTTP client. What a person would notice: a passkey made on one browser
// is on the other after a sync, a fresh browser restores from the recovery code, a rotated code fails, a byte
// flipped on the server is reported and the local copy kept, a backup file restores.
import 'fake-indexeddb/auto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createInvite } from '../server/invites.ts';
import { buildApp } from '../server/app.ts';
import { openSqliteStore } from '../server/store-sqlite.ts';
import { SyncError } from './sync.ts';
import { idbVaultStorage } from '../adapters/idb.ts';
import { createVault } from '../vault/vault.ts';
import { fastKdf } from '../../tests/vectors/fastKdf.ts';
import { ALG } from '../webauthn/cose.ts';
import { createSyncService } from './sync.ts';
import { createPairingService } from './pairing.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';
import { createMemoryArea } from '../../tests/vectors/syncFakes.ts';
import { startSyncServer, useSyncServer } from '../../tests/vectors/syncServer.ts';
import type { KeyValueStore } from '../protocol/storage.ts';

const FAST_KDF = { m: 64 * 1024, t: 3, p: 1 };
let n = 0;


function memoryStore() {
  const m = new Map<string, unknown>();
  const store: KeyValueStore = { get: async (k) => m.get(k.name) as never, set: async (k, v) => void m.set(k.name, v), remove: async (k) => void m.delete(k.name) };
  return store;
}

/** One browser: a vault in its own IndexedDB, and its sync service. */
function browser(now: () => number = Date.now) {
  const vault = createVault({ storage: idbVaultStorage(`sync-test-${n++}`), session: memorySession(), kdf: fastKdf, now, touchDelayMs: 0 });
  const sync = createSyncService({ vault, store: memoryStore(), timer: { now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) }, now });
  return { vault, sync };
}

async function addPasskey(vault: ReturnType<typeof browser>['vault'], userName: string) {
  const key = await vault.store.generateKey(ALG.ES256);
  const credentialId = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64url');
  await vault.store.add({ credentialId, rpId: 'sync.example', userHandle: 'dXNlcg', userName, userDisplayName: userName, alg: ALG.ES256, discoverable: true, backedUp: true, createdAt: Date.now(), pkcs8: key.pkcs8, publicKeyCose: Uint8Array.of(1), prfSecret: new Uint8Array(32) });
  return credentialId;
}

describe('browser sync', () => {
  it("turning it off takes Keyport's records out of the browser's sync storage, and leaves other keys there", async () => {
    const now = Date.now;
    const area = createMemoryArea();
    const vault = createVault({ storage: idbVaultStorage(`sync-test-${n++}`), session: memorySession(), kdf: fastKdf, now, touchDelayMs: 0 });
    const sync = createSyncService({ vault, store: memoryStore(), area, timer: { now, setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) }, now });
    await vault.setup('password a', { kdf: FAST_KDF });
    await addPasskey(vault, 'synced');
    await area.set({ 'another-extension': 1 });
    await sync.configure({ browserSync: true });
    expect(Object.keys(await area.get(null)).filter((k) => k.startsWith('kp:')).length).toBeGreaterThan(1);
    await sync.configure(null);
    expect(Object.keys(await area.get(null))).toEqual(['another-extension']);
    expect(vault.all().map((c) => c.userName)).toEqual(['synced']);
  });
});

describe('sync service with the real server', () => {
  const server = useSyncServer();

  it('carries passkeys between browsers, restores a fresh one from the recovery code, and survives a tampering server', async () => {
    const a = browser();
    const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
    const alice = await addPasskey(a.vault, 'alice');
    const first = await a.sync.configure({ serverUrl: server.url });
    expect(first?.pushed).toBe(1);
    expect(a.vault.all()[0]!.backedUp).toBe(true); // BS: sync on

    // A fresh browser: only the server's address and the recovery code.
    const b = browser();
    await expect(b.sync.restore({ serverUrl: server.url, recoveryCode: recoveryCode.replace(/.$/, (c) => (c === '0' ? '1' : '0')), newPassword: 'x' })).rejects.toThrow(/typo|checksum/);
    await b.sync.restore({ serverUrl: server.url, recoveryCode, newPassword: 'password b' });
    expect(b.vault.all().map((c) => c.userName)).toEqual(['alice']);
    const signature = await b.vault.store.sign(alice, Uint8Array.of(1, 2, 3));
    expect(signature[0]).toBe(0x30);

    // B adds and deletes; A catches up with exactly that.
    await addPasskey(b.vault, 'bob');
    await b.vault.remove(alice);
    await b.sync.syncNow();
    const caughtUp = await a.sync.syncNow();
    expect(caughtUp.pulled).toBe(2);
    expect(a.vault.all().map((c) => c.userName)).toEqual(['bob']);

    // The server flips a byte in bob's record: A reports it and keeps its own copy.
    const bob = a.vault.all()[0]!.credentialId;
    a.vault.store.touch(bob, Date.now() + 1000);
    await new Promise((r) => setTimeout(r, 20));
    await a.sync.syncNow();
    const db = new Database(join(server.dir, 'keyport.sqlite'));
    const row = db.prepare('SELECT rowid, blob FROM records ORDER BY seq DESC LIMIT 1').get() as { rowid: number; blob: string };
    const flipped = row.blob.slice(0, 30) + (row.blob[30] === 'A' ? 'B' : 'A') + row.blob.slice(31);
    db.prepare('UPDATE records SET blob = ? WHERE rowid = ?').run(flipped, row.rowid);
    const c = browser();
    await c.sync.restore({ serverUrl: server.url, recoveryCode, newPassword: 'password c' });
    expect(await c.sync.status()).toMatchObject({ tampered: [expect.any(String)], unread: [expect.any(String)] });
    expect(c.vault.all()).toHaveLength(0); // the tampered record is not believed
    await c.sync.syncNow();
    expect((await c.sync.status()).unread).toHaveLength(1); // asked for again, still damaged
    // The server's copy is good again: the next sync asks for it once more (rule 4: never skipped for good).
    db.prepare('UPDATE records SET blob = ? WHERE rowid = ?').run(row.blob, row.rowid);
    db.close();
    await c.sync.syncNow();
    expect(await c.sync.status()).toMatchObject({ tampered: [], unread: [] });
    expect(c.vault.all().map((x) => x.userName)).toEqual(['bob']);
    const before = b.vault.all().map((x) => x.userName);
    await b.sync.syncNow();
    expect(b.vault.all().map((x) => x.userName)).toEqual(before); // the local copy is kept
  }, 120_000);

  it("a large blob written on one browser is the passkey's on the other after a sync (the largest one fits)", async () => {
    const a = browser();
    const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
    const key = await a.vault.store.generateKey(ALG.RS256);
    await a.vault.store.add({
      credentialId: 'YmxvYg', rpId: 'sync.example', userHandle: 'dXNlcg', userName: 'blob', userDisplayName: 'blob', alg: ALG.RS256, discoverable: true,
      backedUp: true, createdAt: Date.now(), pkcs8: key.pkcs8, publicKeyCose: new Uint8Array(270), prfSecret: new Uint8Array(32), largeBlob: new Uint8Array(), credBlob: Uint8Array.of(3),
    });
    await a.sync.configure({ serverUrl: server.url });
    const b = browser();
    await b.sync.restore({ serverUrl: server.url, recoveryCode, newPassword: 'password b' });
    expect(b.vault.store.blobs('YmxvYg')).toEqual({ largeBlob: new Uint8Array(), credBlob: Uint8Array.of(3) }); // room, no blob yet
    // LARGE_BLOB_MAX_BYTES of random bytes (nothing to compress), written on B, read on A.
    const blob = crypto.getRandomValues(new Uint8Array(2048));
    expect(await b.vault.store.writeLargeBlob('YmxvYg', blob)).toBe(true);
    await b.sync.syncNow(); // the write may already be on its way (a change schedules a sync)
    expect((await a.sync.syncNow()).pulled).toBe(1);
    expect(a.vault.store.blobs('YmxvYg')).toEqual({ largeBlob: blob, credBlob: Uint8Array.of(3) });
  }, 120_000);

  it('a rotated recovery code fails everywhere and the new one restores', async () => {
    const a = browser();
    const { recoveryCode: old } = await a.vault.setup('password a', { kdf: FAST_KDF });
    await addPasskey(a.vault, 'carol');
    await a.sync.configure({ serverUrl: server.url });
    const { recoveryCode } = await a.sync.rotateRecoveryCode();
    expect(recoveryCode).not.toBe(old);
    await a.vault.lock();
    await expect(a.vault.unlockWithRecoveryCode(old)).rejects.toThrow(/does not open/);
    await a.vault.unlockWithRecoveryCode(recoveryCode);
    await addPasskey(a.vault, 'dave');
    await a.sync.syncNow();

    await expect(browser().sync.restore({ serverUrl: server.url, recoveryCode: old, newPassword: 'x' })).rejects.toThrow(/no vault for this recovery code/);
    const fresh = browser();
    await fresh.sync.restore({ serverUrl: server.url, recoveryCode, newPassword: 'y' });
    expect(fresh.vault.all().map((c) => c.userName).sort()).toEqual(['carol', 'dave']);
  }, 120_000);

  it('an encrypted backup file restores with the recovery code or the master password, and nothing in it is readable', async () => {
    const a = browser();
    const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
    await addPasskey(a.vault, 'erin-distinctive');
    const file = await a.sync.exportBackup();
    expect(file).not.toContain('erin-distinctive');
    expect(a.vault.all()[0]!.backedUp).toBe(true); // BS: in a backup since its last change

    const byCode = browser();
    expect(await byCode.sync.restoreBackup({ file, recoveryCode, newPassword: 'p' })).toEqual({ restored: 1, damaged: [] });
    expect(byCode.vault.all().map((c) => c.userName)).toEqual(['erin-distinctive']);
    const byPassword = browser();
    await byPassword.sync.restoreBackup({ file, password: 'password a', newPassword: 'q' });
    expect(byPassword.vault.all()).toHaveLength(1);
    await expect(browser().sync.restoreBackup({ file: file.slice(0, -20), recoveryCode, newPassword: 'r' })).rejects.toThrow(/not a Keyport backup/);
    await expect(browser().sync.restoreBackup({ file, password: 'wrong', newPassword: 'r' })).rejects.toThrow(/not correct/);
  }, 120_000);

  it('a vault that outgrows its quota on the server: the person reads why, the server holds no half of the push, the passkeys stay here', async () => {
    const small = await startSyncServer({ quota: { records: 2 } });
    try {
      const a = browser();
      const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
      await addPasskey(a.vault, 'one');
      await a.sync.configure({ serverUrl: small.url });
      await addPasskey(a.vault, 'two');
      await addPasskey(a.vault, 'three');
      await expect(a.sync.syncNow()).rejects.toThrow(
        /^The sync server is full for this vault: it keeps at most 2 records .* this push would bring it to 3 records .*Nothing was written\. Your passkeys in this browser are untouched/,
      );
      const status = await a.sync.status();
      expect(status).toMatchObject({ state: 'blocked', error: expect.stringMatching(/^The sync server is full for this vault: /) });
      expect(a.vault.all()).toHaveLength(3);
      // A browser restoring from the server finds the passkey that fit, nothing of the refused push.
      const b = browser();
      await b.sync.restore({ serverUrl: small.url, recoveryCode, newPassword: 'password b' });
      expect(b.vault.all().map((c) => c.userName)).toEqual(['one']);
    } finally {
      await small.close();
    }
  }, 60_000);

  it('a backup file with absurd key-derivation settings is refused with a sentence before any derivation starts', async () => {
    const a = browser();
    const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
    const file = JSON.parse(await a.sync.exportBackup()) as { header: { kdf: object } };
    for (const [kdf, said] of [
      [{ m: 4 * 1024 * 1024 * 1024, t: 3, p: 1 }, /memory must be between 64 and 1024 MiB/],
      [{ m: 64 * 1024, t: 100_000, p: 1 }, /passes must be between 3 and 10/],
      [{ m: 64 * 1024, t: 3, p: 1000 }, /parallelism must be between 1 and 16/],
    ] as const) {
      const hostile = JSON.stringify({ ...file, header: { ...file.header, kdf: { ...file.header.kdf, ...kdf } } });
      const fresh = browser();
      let progressed = false;
      const started = Date.now();
      for (const secret of [{ recoveryCode }, { password: 'password a' }]) {
        await expect(fresh.sync.restoreBackup({ file: hostile, ...secret, newPassword: 'n', onProgress: () => (progressed = true) })).rejects.toThrow(said);
      }
      expect(progressed).toBe(false);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await fresh.vault.isSetUp()).toBe(false);
    }
  }, 60_000);

  it('a server that creates vaults by invite: the person is asked for one; the vault it made restores without one', async () => {
    const invited = await startSyncServer({ registration: 'invite' });
    try {
      const a = browser();
      const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
      await addPasskey(a.vault, 'invited-user');
      const asked = await a.sync.configure({ serverUrl: invited.url }).catch((e: unknown) => e);
      expect(asked).toBeInstanceOf(SyncError);
      expect((asked as SyncError).needsInvite).toBe(true);
      expect((asked as Error).message).toBe('This sync server needs an invite to create a vault. Ask whoever runs it for one, and type it here.');
      expect((await a.sync.status()).transport).toBe('off');
      const wrong = await a.sync.configure({ serverUrl: invited.url, invite: 'ABCDE-FGHJK-MNPQR-STVWX' }).catch((e: unknown) => e);
      expect(wrong).toMatchObject({ needsInvite: true, message: expect.stringMatching(/^The sync server did not take this invite \(this invite is unknown, used already or expired/) });
      const { invite } = await createInvite(invited.store, { now: Date.now() });
      expect(await a.sync.configure({ serverUrl: invited.url, invite: invite.toLowerCase() })).toMatchObject({ pushed: 1 });
      // The invite is spent; the vault it made keeps working without one: a fresh browser restores.
      const b = browser();
      await b.sync.restore({ serverUrl: invited.url, recoveryCode, newPassword: 'password b' });
      expect(b.vault.all().map((c) => c.userName)).toEqual(['invited-user']);
      const other = browser();
      await other.vault.setup('password o', { kdf: FAST_KDF });
      await expect(other.sync.configure({ serverUrl: invited.url, invite })).rejects.toThrow(/did not take this invite/);
    } finally {
      await invited.close();
    }
  }, 60_000);

  it('an unreachable server and a plain-http remote server are clear errors that change nothing', async () => {
    const a = browser();
    await a.vault.setup('password a', { kdf: FAST_KDF });
    await expect(a.sync.configure({ serverUrl: 'http://sync.example.com' })).rejects.toThrow(/https/);
    await expect(a.sync.configure({ serverUrl: 'http://127.0.0.1:9' })).rejects.toThrow(/cannot be reached/);
    expect((await a.sync.status()).transport).toBe('off');
  }, 60_000);

  it('pairs a new browser: the same string on both sides, the vault under a new password, the recovery code still valid', async () => {
    const a = browser();
    const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
    await addPasskey(a.vault, 'paired-user');
    await a.sync.configure({ serverUrl: server.url });
    const b = browser();
    const noop = async () => {};
    const pairA = createPairingService({ vault: a.vault, sync: a.sync, pollMs: 50, afterRestore: noop });
    const pairB = createPairingService({ vault: b.vault, sync: b.sync, pollMs: 50, afterRestore: noop });
    await expect(pairA.start(server.url)).rejects.toThrow(/already holds a vault/);

    const { code } = await pairB.start(server.url);
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await expect(pairB.finish('too early')).rejects.toThrow(/not approved/);
    const joined = await pairA.join(code!.toLowerCase());
    const until = async (stage: string) => {
      for (let i = 0; i < 200 && pairB.view().stage !== stage; i++) await new Promise((r) => setTimeout(r, 25));
      return pairB.view();
    };
    expect((await until('compare')).sas).toBe(joined.sas);
    await pairA.approve();
    await until('approved');
    await pairB.finish('password b');
    expect(pairB.view().stage).toBe('done');
    expect(b.vault.all().map((c) => c.userName)).toEqual(['paired-user']);
    expect((await b.sync.status()).transport).toBe('server');
    await b.vault.lock();
    await b.vault.unlock('password b');
    await b.vault.lock();
    await b.vault.unlockWithRecoveryCode(recoveryCode);
  }, 120_000);
});

describe('tombstone collection with the real server, 90 days on', () => {
  it('drops a deleted passkey\'s marker every active browser has seen; a browser away longer restores without bringing it back', async () => {
    const DAY = 86_400_000;
    const clock = { now: Date.now() };
    const now = () => clock.now;
    const store = openSqliteStore(':memory:');
    const app = buildApp({ store, now, log: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const names = (b: ReturnType<typeof browser>) => b.vault.all().map((c) => c.userName).sort();
    try {
      const a = browser(now);
      const { recoveryCode } = await a.vault.setup('password a', { kdf: FAST_KDF });
      const gone = await addPasskey(a.vault, 'deleted-later');
      await addPasskey(a.vault, 'kept');
      await a.sync.configure({ serverUrl: url });
      const [b, away] = [browser(now), browser(now)];
      await b.sync.restore({ serverUrl: url, recoveryCode, newPassword: 'password b' });
      await away.sync.restore({ serverUrl: url, recoveryCode, newPassword: 'password c' });
      expect(names(away)).toEqual(['deleted-later', 'kept']);

      // A deletes; B syncs it. `away` does not sync for 91 days, A and B do.
      await a.vault.remove(gone);
      await a.sync.syncNow();
      await b.sync.syncNow();
      clock.now += 91 * DAY;
      for (const x of [a, b, a, b, a]) await x.sync.syncNow();
      const pull = async (since: number) => (await app.inject({ url: `/v1/vaults/${(await a.vault.syncIdentity())!.vaultId}/records?since=${since}`, headers: { authorization: `Bearer ${(await a.vault.syncIdentity())!.token}` } })).json<{ records: unknown[]; collected?: number }>();
      const after = await pull(0);
      expect(after.records).toHaveLength(1); // the kept passkey; the marker of the deleted one is gone
      expect(after.collected).toBeGreaterThan(0);
      expect(names(a)).toEqual(['kept']);
      expect(names(b)).toEqual(['kept']);

      // `away` comes back: the server collected beyond its cursor, so it pulls everything and drops what is gone.
      expect(names(away)).toEqual(['deleted-later', 'kept']);
      await away.sync.syncNow();
      expect(names(away)).toEqual(['kept']);
      for (const x of [away, a, b]) await x.sync.syncNow();
      for (const x of [a, b, away]) expect(names(x)).toEqual(['kept']);
      expect((await pull(0)).records).toHaveLength(1);
    } finally {
      await app.close();
      await store.close();
    }
  }, 120_000);
});

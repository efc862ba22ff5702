// The vault over IndexedDB (fake-indexeddb): docs/design.md rules 3 and 4.
import { describe, expect, it } from 'vitest';
import { idbVaultStorage } from '../adapters/idb.ts';
import { createVault, VaultLockedError, type VaultStorage } from './vault.ts';
import type { PortablePasskey } from '../formats/types.ts';
import { decode as fromB64u } from '../webauthn/base64url.ts';
import { type VaultMeta, WrongPasswordError } from './keys.ts';
import { ALG } from '../webauthn/cose.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';
import { fastKdf } from '../../tests/vectors/fastKdf.ts';


let n = 0;
async function newVault() {
  const storage = idbVaultStorage(`vault-test-${n++}`);
  const session = memorySession();
  const vault = createVault({ storage, session, kdf: fastKdf, now: () => 1_700_000_000_000, touchDelayMs: 0 });
  const { recoveryCode } = await vault.setup('correct horse');
  const key = await vault.store.generateKey(ALG.ES256);
  await vault.store.add({
    credentialId: 'Y3JlZC1pZC0x',
    rpId: 'distinctive-rp.example',
    userHandle: 'dXNlcg',
    userName: 'distinctive-user@example.com',
    userDisplayName: 'Distinctive User',
    alg: ALG.ES256,
    discoverable: true,
    backedUp: false,
    createdAt: 1,
    pkcs8: key.pkcs8,
    publicKeyCose: new Uint8Array([1, 2, 3]),
    prfSecret: new Uint8Array(32).fill(7),
  });
  return { storage, session, vault, recoveryCode, pkcs8: key.pkcs8 };
}

describe('vault', () => {
  it('Spec: nothing about a passkey is readable at rest (docs/design.md rule 3)', async () => {
    const { storage, vault } = await newVault();
    const dump = JSON.stringify({ meta: await storage.getMeta(), records: (await storage.listRecords()).map((r) => ({ ...r, ct: [...r.ct] })) });
    expect(dump).not.toContain('distinctive');
    expect(dump).not.toContain('Y3JlZC1pZC0x');
    expect(vault.all().map((c) => c.userName)).toEqual(['distinctive-user@example.com']);
  }, 60_000);

  it('locks, refuses a wrong password, unlocks with the right one or the recovery code', async () => {
    const { vault, session, recoveryCode } = await newVault();
    await vault.lock();
    expect(session.value).toBeUndefined();
    expect(() => vault.all()).toThrow(VaultLockedError);
    await expect(vault.unlock('wrong horse')).rejects.toBeInstanceOf(WrongPasswordError);
    expect(vault.isUnlocked()).toBe(false);
    await vault.unlock('correct horse');
    expect(vault.all()).toHaveLength(1);
    await vault.lock();
    await vault.unlockWithRecoveryCode(recoveryCode);
    expect(vault.all()).toHaveLength(1);
  }, 60_000);

  it('resumes from the session key after a restart, and not after lock', async () => {
    const { storage, session } = await newVault();
    const restarted = createVault({ storage, session, kdf: fastKdf, now: Date.now });
    expect(await restarted.resumeSession()).toBe(true);
    expect(restarted.all()).toHaveLength(1);
    await restarted.lock();
    const again = createVault({ storage, session, kdf: fastKdf, now: Date.now });
    expect(await again.resumeSession()).toBe(false);
  }, 60_000);

  it('Spec: a tampered record is reported and kept, never dropped (docs/design.md rule 4)', async () => {
    const { storage, vault } = await newVault();
    await vault.lock();
    const [record] = await storage.listRecords();
    record!.ct[5]! ^= 1;
    await storage.putRecord(record!);
    await vault.unlock('correct horse');
    expect(vault.all()).toHaveLength(0);
    expect(vault.damaged()).toEqual([{ recordId: record!.id, message: expect.stringContaining('failed authentication') }]);
    expect(await storage.listRecords()).toHaveLength(1);
  }, 60_000);

  it('a record moved to another id fails authentication (id bound as associated data)', async () => {
    const { storage, vault } = await newVault();
    await vault.lock();
    const [record] = await storage.listRecords();
    await storage.deleteRecord(record!.id);
    await storage.putRecord({ ...record!, id: 'AAAAAAAAAAAAAAAAAAAAAA' });
    await vault.unlock('correct horse');
    expect(vault.damaged()).toHaveLength(1);
  }, 60_000);

  it('signs with the stored key, persists last use, and removes', async () => {
    const { storage, session, vault } = await newVault();
    const sig = await vault.store.sign('Y3JlZC1pZC0x', new Uint8Array([1, 2, 3]));
    expect(sig[0]).toBe(0x30); // DER SEQUENCE
    vault.store.touch('Y3JlZC1pZC0x', 42);
    await new Promise((r) => setTimeout(r, 20));
    const fresh = createVault({ storage, session, kdf: fastKdf, now: Date.now });
    await fresh.resumeSession();
    expect(fresh.all()[0]!.lastUsedAt).toBe(42);
    expect(await fresh.remove('Y3JlZC1pZC0x')).toBe(true);
    // A delete is a tombstone (for sync), with no key left in it.
    const again = createVault({ storage, session, kdf: fastKdf, now: Date.now });
    await again.resumeSession();
    expect(again.all()).toHaveLength(0);
    expect(again.items()).toEqual([expect.objectContaining({ item: expect.objectContaining({ deleted: true, data: { lastUsedAt: 42 } }), dirty: true })]);
  }, 60_000);

  it('an import is planned (new, duplicate, conflict), then written in one transaction, and exports back byte for byte', async () => {
    const { storage, session, vault } = await newVault();
    const key = await vault.store.generateKey(ALG.EdDSA);
    const item = (id: string, rpId: string): PortablePasskey => ({
      credentialId: fromB64u(id),
      rpId,
      userHandle: Uint8Array.of(9, 9),
      userName: 'imported@example.com',
      userDisplayName: 'Imported',
      pkcs8: key.pkcs8,
      alg: ALG.EdDSA,
      publicKeyCose: Uint8Array.of(1),
      signCount: 7,
      createdAt: 5,
    });
    const plan = vault.planImport([item('bmV3LWlk', 'new.example'), item('Y3JlZC1pZC0x', 'distinctive-rp.example'), item('Y3JlZC1pZC0x', 'other.example'), item('bmV3LWlk', 'new.example')]);
    expect(plan.add.map((p) => p.rpId)).toEqual(['new.example']);
    expect(plan.duplicates.map((p) => p.rpId)).toEqual(['distinctive-rp.example', 'new.example']);
    expect(plan.conflicts.map((p) => p.rpId)).toEqual(['other.example']);
    expect(await storage.listRecords()).toHaveLength(1); // nothing written by planning

    await vault.importPasskeys(plan, { backedUp: false });
    const fresh = createVault({ storage, session, kdf: fastKdf, now: Date.now });
    await fresh.resumeSession();
    expect(fresh.all().map((c) => [c.rpId, c.signCount, c.createdAt]).sort()).toEqual([['distinctive-rp.example', undefined, 1], ['new.example', 7, 5]]);
    const [out] = fresh.exportPasskeys(['bmV3LWlk']);
    expect(out!.pkcs8).toEqual(key.pkcs8);
    expect(out!.userHandle).toEqual(Uint8Array.of(9, 9));
    expect(out!.prfSecret).toHaveLength(32); // the file had none: a new secret
  }, 60_000);

  it('a failing import transaction writes nothing and leaves the vault as it was (rule 4)', async () => {
    const { storage, vault } = await newVault();
    const key = await vault.store.generateKey(ALG.ES256);
    const plan = vault.planImport(
      ['YQ', 'Yg'].map((id) => ({ credentialId: fromB64u(id), rpId: 'a.example', userHandle: new Uint8Array(), userName: '', userDisplayName: '', pkcs8: key.pkcs8, alg: ALG.ES256, publicKeyCose: Uint8Array.of(1) })),
    );
    const failing: VaultStorage = { ...storage, write: async () => Promise.reject(new Error('QuotaExceededError')) };
    const broken = createVault({ storage: failing, session: memorySession(), kdf: fastKdf, now: Date.now });
    await broken.unlock('correct horse');
    await expect(broken.importPasskeys(plan, { backedUp: false })).rejects.toThrow('QuotaExceededError');
    expect(broken.all()).toHaveLength(1);
    expect(await storage.listRecords()).toHaveLength(1);
  }, 60_000);

  it('clear removes every passkey at once (tombstones)', async () => {
    const { storage, session, vault } = await newVault();
    expect(await vault.clear()).toBe(1);
    expect(vault.all()).toHaveLength(0);
    const fresh = createVault({ storage, session, kdf: fastKdf, now: Date.now });
    await fresh.resumeSession();
    expect(fresh.all()).toHaveLength(0);
  }, 60_000);

  it('a forgotten password is reset with the recovery code; a changed password replaces the old one', async () => {
    const { vault, recoveryCode } = await newVault();
    await vault.changePassword('new horse');
    await vault.lock();
    await expect(vault.unlock('correct horse')).rejects.toBeInstanceOf(WrongPasswordError);
    await vault.resetPassword(recoveryCode, 'reset horse');
    await vault.lock();
    await vault.unlock('reset horse');
    expect(vault.all()).toHaveLength(1);
  }, 120_000);

  it('a chosen KDF strength is stored with a new salt, the same password unlocks, and below-floor params are refused', async () => {
    const { vault, storage } = await newVault();
    const before = (await storage.getMeta()) as VaultMeta;
    await vault.verifyPassword('correct horse');
    await expect(vault.verifyPassword('wrong horse')).rejects.toBeInstanceOf(WrongPasswordError);
    await vault.changePassword('correct horse', { kdf: { m: 64 * 1024, t: 4 } });
    const raised = (await storage.getMeta()) as VaultMeta;
    expect(raised.kdf).toMatchObject({ algorithm: 'argon2id', m: 64 * 1024, t: 4, p: 1 });
    expect(raised.kdf.salt).not.toBe(before.kdf.salt);
    expect(raised.recoveryWrap).toEqual(before.recoveryWrap);
    expect((await vault.header())?.kdf.t).toBe(4);
    await vault.lock();
    await vault.unlock('correct horse');
    expect(vault.all()).toHaveLength(1);
    // Below the floor (RFC 9106 second option, MIN_KDF): refused, and the stored header is unchanged.
    await expect(vault.changePassword('correct horse', { kdf: { m: 32 * 1024, t: 3 } })).rejects.toBeInstanceOf(RangeError);
    await expect(vault.changePassword('correct horse', { kdf: { m: 64 * 1024, t: 2 } })).rejects.toBeInstanceOf(RangeError);
    expect(await storage.getMeta()).toEqual(raised);
    // Back down to the floor is a choice too; the timing of the last run is kept for the screens.
    await vault.changePassword('correct horse', { kdf: { m: 64 * 1024, t: 3 } });
    expect(((await storage.getMeta()) as VaultMeta).kdf).toMatchObject({ m: 64 * 1024, t: 3 });
    expect(vault.lastDerivation()).toEqual({ ms: 0, cost: 64 * 1024 * 3 });
    await vault.lock();
    await expect(vault.unlock('wrong horse')).rejects.toBeInstanceOf(WrongPasswordError);
    await vault.unlock('correct horse');
  }, 180_000);

  it('a rotated recovery code replaces the old one only once committed, with a new sync identity', async () => {
    const { vault, recoveryCode } = await newVault();
    const before = await vault.syncIdentity();
    expect(before?.vaultId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rotation = await vault.prepareRecoveryRotation();
    expect(rotation.identity.vaultId).not.toBe(before!.vaultId);
    await vault.lock();
    await vault.unlockWithRecoveryCode(recoveryCode); // not committed yet: the old code still works
    await rotation.commit();
    await vault.lock();
    await expect(vault.unlockWithRecoveryCode(recoveryCode)).rejects.toBeInstanceOf(WrongPasswordError);
    await vault.unlockWithRecoveryCode(rotation.recoveryCode);
    expect(await vault.syncIdentity()).toEqual(rotation.identity);
  }, 120_000);

  it('restores on a fresh browser from the recovery wrapping and the code, under a new password, never over a vault', async () => {
    const { vault, recoveryCode } = await newVault();
    const header = (await vault.header())!;
    const fresh = createVault({ storage: idbVaultStorage(`vault-test-${n++}`), session: memorySession(), kdf: fastKdf, now: Date.now });
    await expect(fresh.restore(recoveryCode.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), header.recoveryWrap, 'x')).rejects.toThrow(/typo|checksum/);
    const identity = await fresh.restore(recoveryCode, header.recoveryWrap, 'fresh horse');
    expect(identity).toEqual(await vault.syncIdentity());
    await fresh.lock();
    await fresh.unlock('fresh horse');
    await fresh.lock();
    await fresh.unlockWithRecoveryCode(recoveryCode);
    await expect(fresh.restore(recoveryCode, header.recoveryWrap, 'again')).rejects.toThrow(/already holds a vault/);
  }, 120_000);

  it('renames a passkey as an edit, and brings a removed one back with undo (only the last, only briefly)', async () => {
    const { storage, session, vault } = await newVault();
    await vault.rename('Y3JlZC1pZC0x', { userName: 'renamed@example.com' });
    expect(vault.all()[0]!.userName).toBe('renamed@example.com');
    expect(await vault.remove('Y3JlZC1pZC0x')).toBe(true);
    expect(vault.all()).toHaveLength(0);
    const back = await vault.undoRemove();
    expect(back?.userName).toBe('renamed@example.com');
    expect(await vault.undoRemove()).toBeUndefined(); // once
    const fresh = createVault({ storage, session, kdf: fastKdf, now: Date.now });
    await fresh.resumeSession();
    expect(fresh.all().map((c) => c.userName)).toEqual(['renamed@example.com']);
    expect((await fresh.store.sign('Y3JlZC1pZC0x', Uint8Array.of(1)))[0]).toBe(0x30);
  }, 60_000);
});

// The vault key's life over IndexedDB (fake-indexeddb), with the fast KDF: lock and unlock, restart, new
// password, new recovery code, restore on a fresh browser. The real Argon2id runs in vault.slow.test.ts.
import { describe, expect, it } from 'vitest';
import { VaultLockedError } from './errors.ts';
import { type VaultMeta, WrongPasswordError } from './keys.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';
import { freshStorage, newVault, reopen } from '../../tests/vectors/testVault.ts';

describe('vault key session', () => {
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
  });

  it('resumes from the session key after a restart, and not after lock', async () => {
    const { storage, session } = await newVault();
    const restarted = reopen({ storage, session });
    expect(await restarted.resumeSession()).toBe(true);
    expect(restarted.all()).toHaveLength(1);
    await restarted.lock();
    const again = reopen({ storage, session });
    expect(await again.resumeSession()).toBe(false);
  });

  it('a forgotten password is reset with the recovery code; a changed password replaces the old one', async () => {
    const { vault, recoveryCode } = await newVault();
    await vault.changePassword('new horse');
    await vault.lock();
    await expect(vault.unlock('correct horse')).rejects.toBeInstanceOf(WrongPasswordError);
    await vault.resetPassword(recoveryCode, 'reset horse');
    await vault.lock();
    await vault.unlock('reset horse');
    expect(vault.all()).toHaveLength(1);
  });

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
  });

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
  });

  it('restores on a fresh browser from the recovery wrapping and the code, under a new password, never over a vault', async () => {
    const { vault, recoveryCode } = await newVault();
    const header = (await vault.header())!;
    const fresh = reopen({ storage: freshStorage().storage, session: memorySession() });
    await expect(fresh.restore(recoveryCode.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), header.recoveryWrap, 'x')).rejects.toThrow(/typo|checksum/);
    const identity = await fresh.restore(recoveryCode, header.recoveryWrap, 'fresh horse');
    expect(identity).toEqual(await vault.syncIdentity());
    await fresh.lock();
    await fresh.unlock('fresh horse');
    await fresh.lock();
    await fresh.unlockWithRecoveryCode(recoveryCode);
    await expect(fresh.restore(recoveryCode, header.recoveryWrap, 'again')).rejects.toThrow(/already holds a vault/);
  });
});

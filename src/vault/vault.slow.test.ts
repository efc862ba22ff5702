// The vault end to end with the real KDF at its real cost (Argon2id, m = 64 MiB, t = 3: about 1–2 s a run):
// what the extension does at setup and unlock. Every other vault test uses the fast KDF.
import { describe, expect, it } from 'vitest';
import { MIN_KDF } from '../crypto/kdf.ts';
import { idbVaultStorage } from '../adapters/idb.ts';
import { argon2id, type VaultMeta, WrongPasswordError } from './keys.ts';
import { createVault } from './vault.ts';
import { ALG } from '../webauthn/cose.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';

describe('vault with Argon2id at full cost', () => {
  it('sets up, locks, refuses a wrong password and unlocks with the right one', async () => {
    const storage = idbVaultStorage('vault-slow-test');
    const vault = createVault({ storage, session: memorySession(), kdf: argon2id, now: Date.now });
    const progress: number[] = [];
    await vault.setup('correct horse battery staple', { onProgress: (f) => progress.push(f) });
    expect(((await storage.getMeta()) as VaultMeta).kdf).toMatchObject({ algorithm: 'argon2id', ...MIN_KDF });
    expect(progress.at(-1)).toBeCloseTo(1, 5);
    const key = await vault.store.generateKey(ALG.ES256);
    await vault.store.add({ credentialId: 'c2xvdw', rpId: 'slow.example', userHandle: 'dQ', userName: 'slow@example.com', userDisplayName: 'Slow', alg: ALG.ES256, discoverable: true, backedUp: false, createdAt: 1, pkcs8: key.pkcs8, publicKeyCose: Uint8Array.of(1), prfSecret: new Uint8Array(32) });
    await vault.lock();
    expect(vault.isUnlocked()).toBe(false);
    await expect(vault.unlock('correct horse battery stapler')).rejects.toBeInstanceOf(WrongPasswordError);
    expect(vault.isUnlocked()).toBe(false);
    await vault.unlock('correct horse battery staple');
    expect(vault.all().map((c) => c.userName)).toEqual(['slow@example.com']);
    expect(vault.lastDerivation()?.cost).toBe(MIN_KDF.m * MIN_KDF.t);
  }, 120_000);
});

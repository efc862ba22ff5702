// Passkeys in and out of the vault: an import planned, then written in one transaction (rule 4), exported back.
import { describe, expect, it } from 'vitest';
import type { VaultStorage } from './storage.ts';
import type { PortablePasskey } from '../formats/types.ts';
import { decode as fromB64u } from '../webauthn/base64url.ts';
import { ALG } from '../webauthn/cose.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';
import { newVault, reopen } from '../../tests/vectors/testVault.ts';

describe('vault transfer', () => {
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
    const fresh = reopen({ storage, session });
    await fresh.resumeSession();
    expect(fresh.all().map((c) => [c.rpId, c.signCount, c.createdAt]).sort()).toEqual([['distinctive-rp.example', undefined, 1], ['new.example', 7, 5]]);
    const [out] = fresh.exportPasskeys(['bmV3LWlk']);
    expect(out!.pkcs8).toEqual(key.pkcs8);
    expect(out!.userHandle).toEqual(Uint8Array.of(9, 9));
    expect(out!.prfSecret).toHaveLength(32); // the file had none: a new secret
    expect(out!.largeBlob).toBeUndefined();
  });

  it("a passkey's large blob and credBlob come in with it, serve its ceremonies, and go out with it", async () => {
    const { storage, session, vault } = await newVault();
    const key = await vault.store.generateKey(ALG.ES256);
    const largeBlob = Uint8Array.from({ length: 2048 }, (_, i) => i % 7);
    const plan = vault.planImport([
      { credentialId: fromB64u('YmxvYg'), rpId: 'blob.example', userHandle: Uint8Array.of(1), userName: 'b', userDisplayName: 'B', pkcs8: key.pkcs8, alg: ALG.ES256, publicKeyCose: Uint8Array.of(1), largeBlob, credBlob: Uint8Array.of(5) },
    ]);
    await vault.importPasskeys(plan, { backedUp: false });
    const fresh = reopen({ storage, session });
    await fresh.resumeSession();
    expect(fresh.store.blobs('YmxvYg')).toEqual({ largeBlob, credBlob: Uint8Array.of(5) });
    const [out] = fresh.exportPasskeys(['YmxvYg']);
    expect([out!.largeBlob, out!.credBlob]).toEqual([largeBlob, Uint8Array.of(5)]);
  });

  it('a failing import transaction writes nothing and leaves the vault as it was (rule 4)', async () => {
    const { storage, vault } = await newVault();
    const key = await vault.store.generateKey(ALG.ES256);
    const plan = vault.planImport(
      ['YQ', 'Yg'].map((id) => ({ credentialId: fromB64u(id), rpId: 'a.example', userHandle: new Uint8Array(), userName: '', userDisplayName: '', pkcs8: key.pkcs8, alg: ALG.ES256, publicKeyCose: Uint8Array.of(1) })),
    );
    const failing: VaultStorage = { ...storage, write: async () => Promise.reject(new Error('QuotaExceededError')) };
    const broken = reopen({ storage: failing, session: memorySession() });
    await broken.unlock('correct horse');
    await expect(broken.importPasskeys(plan, { backedUp: false })).rejects.toThrow('QuotaExceededError');
    expect(broken.all()).toHaveLength(1);
    expect(await storage.listRecords()).toHaveLength(1);
  });
});

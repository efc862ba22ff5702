// The passkeys as the ceremonies and the screens use them: sign, last use, remove, clear, rename, undo.
import { describe, expect, it, vi } from 'vitest';
import { newVault, reopen } from '../../tests/vectors/testVault.ts';
import { ALG } from '../webauthn/cose.ts';

describe('vault passkeys', () => {
  it('signs with the stored key, persists last use, and removes', async () => {
    const { storage, session, vault } = await newVault();
    const sig = await vault.store.sign('Y3JlZC1pZC0x', new Uint8Array([1, 2, 3]));
    expect(sig[0]).toBe(0x30); // DER SEQUENCE
    vault.store.touch('Y3JlZC1pZC0x', 42);
    await new Promise((r) => setTimeout(r, 20));
    const fresh = reopen({ storage, session });
    await fresh.resumeSession();
    expect(fresh.all()[0]!.lastUsedAt).toBe(42);
    expect(await fresh.remove('Y3JlZC1pZC0x')).toBe(true);
    // A delete is a tombstone (for sync), with no key left in it.
    const again = reopen({ storage, session });
    await again.resumeSession();
    expect(again.all()).toHaveLength(0);
    expect(again.items()).toEqual([expect.objectContaining({ item: expect.objectContaining({ deleted: true, data: { lastUsedAt: 42 } }), dirty: true })]);
  });

  it('clear removes every passkey at once (tombstones)', async () => {
    const { storage, session, vault } = await newVault();
    expect(await vault.clear()).toBe(1);
    expect(vault.all()).toHaveLength(0);
    const fresh = reopen({ storage, session });
    await fresh.resumeSession();
    expect(fresh.all()).toHaveLength(0);
  });

  it('renames a passkey as an edit, and brings a removed one back with undo (only the last, only briefly)', async () => {
    const { storage, session, vault } = await newVault();
    await vault.rename('Y3JlZC1pZC0x', { userName: 'renamed@example.com' });
    expect(vault.all()[0]!.userName).toBe('renamed@example.com');
    expect(await vault.remove('Y3JlZC1pZC0x')).toBe(true);
    expect(vault.all()).toHaveLength(0);
    const back = await vault.undoRemove();
    expect(back?.userName).toBe('renamed@example.com');
    expect(await vault.undoRemove()).toBeUndefined(); // once
    const fresh = reopen({ storage, session });
    await fresh.resumeSession();
    expect(fresh.all().map((c) => c.userName)).toEqual(['renamed@example.com']);
    expect((await fresh.store.sign('Y3JlZC1pZC0x', Uint8Array.of(1)))[0]).toBe(0x30);
  });

  it('imports a passkey\'s signing key once, not again after a sign-in is written', async () => {
    const { vault } = await newVault();
    const imports = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    try {
      for (let i = 0; i < 3; i++) {
        expect((await vault.store.sign('Y3JlZC1pZC0x', Uint8Array.of(i)))[0]).toBe(0x30);
        vault.store.touch('Y3JlZC1pZC0x', 100 + i);
        await new Promise((r) => setTimeout(r, 20)); // the sign-in's write, a new version of the record
      }
      expect(vault.all()[0]!.lastUsedAt).toBe(102);
      expect(imports.mock.calls.filter(([format]) => format === 'pkcs8')).toHaveLength(1);
    } finally {
      imports.mockRestore();
    }
  });

  it("tells the screens and ceremonies a passkey's metadata only: never its keys, PRF secret or blobs (rule 3)", async () => {
    const { vault } = await newVault();
    const key = await vault.store.generateKey(ALG.ES256);
    await vault.store.add({
      credentialId: 'ZnVsbA', rpId: 'distinctive-rp.example', userHandle: 'dXNlcg', userName: 'full', userDisplayName: 'Full', alg: ALG.ES256,
      discoverable: true, backedUp: false, createdAt: 1, signCount: 3, pkcs8: key.pkcs8, publicKeyCose: Uint8Array.of(1), prfSecret: new Uint8Array(32).fill(9),
      largeBlob: Uint8Array.of(4), credBlob: Uint8Array.of(5),
    });
    vault.store.touch('ZnVsbA', 7);
    const meta = ['alg', 'backedUp', 'createdAt', 'credentialId', 'discoverable', 'lastUsedAt', 'rpId', 'signCount', 'userDisplayName', 'userHandle', 'userName'];
    const full = () => vault.all().find((c) => c.credentialId === 'ZnVsbA')!;
    expect(Object.keys(full()).sort()).toEqual(meta);
    expect(Object.keys(vault.store.list('distinctive-rp.example', ['ZnVsbA'])[0]!).sort()).toEqual(meta);
    expect(full()).toMatchObject({ lastUsedAt: 7, signCount: 3, userName: 'full' });
    // A passkey its site hid says so on the screens (and is in no ceremony).
    expect(await vault.signalUnknown({ rpId: 'distinctive-rp.example', credentialId: 'ZnVsbA', origin: 'https://distinctive-rp.example' })).toBe(1);
    expect(Object.keys(full()).sort()).toEqual([...meta, 'hiddenBySite'].sort());
    expect(vault.store.list('distinctive-rp.example').map((c) => c.credentialId)).toEqual(['Y3JlZC1pZC0x']);
  });
});

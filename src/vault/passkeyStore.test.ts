// The passkeys as the ceremonies and the screens use them: sign, last use, remove, clear, rename, undo.
import { describe, expect, it } from 'vitest';
import { newVault, reopen } from '../../tests/vectors/testVault.ts';

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
});

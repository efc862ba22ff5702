// What a site keeps with a passkey (WebAuthn L3 §10.1.5 largeBlob, CTAP 2.1 credBlob): inside the sealed record, an
// edit that syncs, within a sync record's size, and never in what the screens are told.
import { describe, expect, it } from 'vitest';
import { freshStorage, reopen } from '../../tests/vectors/testVault.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';
import { fastKdf } from '../../tests/vectors/fastKdf.ts';
import { createVault } from './vault.ts';
import { RecordError, passkeyFromData } from './record.ts';
import { ALG } from '../webauthn/cose.ts';
import { LARGE_BLOB_MAX_BYTES } from '../webauthn/blobs.ts';
import { sealItem } from '../sync/item.ts';
import { LIMITS } from '../sync/protocol.ts';

async function vaultWith(room: boolean) {
  const { storage } = freshStorage();
  const session = memorySession();
  const clock = { t: 1_700_000_000_000 };
  const vault = createVault({ storage, session, kdf: fastKdf, now: () => clock.t, touchDelayMs: 0 });
  await vault.setup('correct horse');
  // RSA: the largest passkey there is, so the largest record.
  const key = await vault.store.generateKey(ALG.RS256);
  await vault.store.add({
    credentialId: 'AAAA', rpId: 'blobs.example', userHandle: 'YWxpY2U', userName: 'alice', userDisplayName: 'Alice', alg: ALG.RS256,
    discoverable: true, backedUp: false, createdAt: 1, pkcs8: key.pkcs8, publicKeyCose: new Uint8Array(270), prfSecret: new Uint8Array(32),
    ...(room ? { largeBlob: new Uint8Array() } : {}), credBlob: Uint8Array.of(7, 7),
  });
  return { storage, session, vault, clock };
}

describe('largeBlob and credBlob in the vault', () => {
  it('a write of the largest blob is an edit (a later version, to push), sealed, and still fits a sync record', async () => {
    const { storage, session, vault, clock } = await vaultWith(true);
    const [before] = vault.items();
    clock.t += 1000;
    const blob = crypto.getRandomValues(new Uint8Array(LARGE_BLOB_MAX_BYTES));
    expect(await vault.store.writeLargeBlob('AAAA', blob)).toBe(true);
    const [after] = vault.items();
    expect(after!.dirty).toBe(true);
    expect(after!.item.hlc > before!.item.hlc).toBe(true);
    // What sync would push for it: within LIMITS.blobChars.
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const sealed = await sealItem(key, after!.item);
    expect(sealed.length).toBeLessThan(LIMITS.blobChars / 4);
    // Opened again from storage: the same blobs; the screens never see them.
    const fresh = reopen({ storage, session });
    await fresh.resumeSession();
    expect(fresh.store.blobs('AAAA')).toEqual({ largeBlob: blob, credBlob: Uint8Array.of(7, 7) });
    expect(Object.keys(fresh.all()[0]!)).not.toContain('largeBlob');
    expect(Object.keys(fresh.all()[0]!)).not.toContain('credBlob');
  });

  it('a passkey made without room for one: false, and nothing is written', async () => {
    const { vault } = await vaultWith(false);
    const before = vault.items();
    expect(await vault.store.writeLargeBlob('AAAA', Uint8Array.of(1))).toBe(false);
    expect(vault.items()).toEqual(before);
    expect(vault.store.blobs('AAAA')).toEqual({ credBlob: Uint8Array.of(7, 7) });
  });

  it('a record from elsewhere (sync, a backup) with a blob over the limits does not open as a passkey', async () => {
    const { vault } = await vaultWith(true);
    const data = vault.items()[0]!.item.data!;
    expect(() => passkeyFromData('r', { ...data, largeBlob: 'A'.repeat(2732) })).toThrow(RecordError);
    expect(() => passkeyFromData('r', { ...data, credBlob: 'A'.repeat(44) })).toThrow(RecordError);
    expect(passkeyFromData('r', { ...data, largeBlob: 'A'.repeat(2730) }).largeBlob).toHaveLength(2047);
  });
});

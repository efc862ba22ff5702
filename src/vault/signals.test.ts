// The sites' signals as vault edits (WebAuthn L3 §5.1.10): hidden, not deleted; restored; renamed; purged after 30 days.
import { describe, expect, it } from 'vitest';
import { freshStorage, reopen } from '../../tests/vectors/testVault.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';
import { fastKdf } from '../../tests/vectors/fastKdf.ts';
import { createVault } from './vault.ts';
import { HIDDEN_KEEP_MS } from './passkeyStore.ts';
import { ALG } from '../webauthn/cose.ts';

const RP = 'signals.example';
const ORIGIN = 'https://signals.example';
const ALICE = 'YWxpY2U'; // "alice"
const BOB = 'Ym9i'; // "bob"

async function vaultWith(passkeys: { id: string; user: string; rpId?: string }[]) {
  const { storage } = freshStorage();
  const session = memorySession();
  const clock = { t: 1_700_000_000_000 };
  const vault = createVault({ storage, session, kdf: fastKdf, now: () => clock.t, touchDelayMs: 0 });
  await vault.setup('correct horse');
  for (const p of passkeys) {
    const key = await vault.store.generateKey(ALG.ES256);
    await vault.store.add({
      credentialId: p.id, rpId: p.rpId ?? RP, userHandle: p.user, userName: `${p.id}@example.com`, userDisplayName: p.id,
      alg: ALG.ES256, discoverable: true, backedUp: false, createdAt: 1, pkcs8: key.pkcs8, publicKeyCose: Uint8Array.of(1), prfSecret: new Uint8Array(32),
    });
  }
  const listed = (rpId = RP) => vault.store.list(rpId).map((c) => c.credentialId).sort();
  const hidden = () => vault.all().filter((c) => c.hiddenBySite).map((c) => c.credentialId).sort();
  return { storage, session, vault, clock, listed, hidden };
}

describe('signalUnknownCredential', () => {
  it('hides the passkey from ceremonies, keeps it (synced, sealed) with who asked and when, and Restore brings it back', async () => {
    const { storage, session, vault, clock, listed } = await vaultWith([{ id: 'AAAA', user: ALICE }, { id: 'BBBB', user: ALICE }]);
    expect(await vault.signalUnknown({ rpId: RP, credentialId: 'AAAA', origin: ORIGIN })).toBe(1);
    expect(listed()).toEqual(['BBBB']);
    expect(vault.all().find((c) => c.credentialId === 'AAAA')?.hiddenBySite).toEqual({ at: clock.t, origin: ORIGIN, signal: 'unknown' });
    // A second signal for it changes nothing (no new version to sync).
    expect(await vault.signalUnknown({ rpId: RP, credentialId: 'AAAA', origin: ORIGIN })).toBe(0);
    // An edit: a new version of the record, dirty for sync, and still hidden after a restart.
    const again = reopen({ storage, session });
    await again.resumeSession();
    expect(again.store.list(RP).map((c) => c.credentialId)).toEqual(['BBBB']);
    expect(again.items().find((i) => i.item.data?.credentialId === 'AAAA')).toMatchObject({ dirty: true, item: { deleted: false, data: { hiddenBySite: { origin: ORIGIN } } } });
    expect(await again.restoreHidden('AAAA')).toBe(true);
    expect(again.store.list(RP).map((c) => c.credentialId).sort()).toEqual(['AAAA', 'BBBB']);
    expect(again.all().every((c) => !c.hiddenBySite)).toBe(true);
    expect((await again.store.sign('AAAA', Uint8Array.of(1)))[0]).toBe(0x30); // the key is intact
  });

  it('touches only a passkey of that RP ID', async () => {
    const { vault, listed } = await vaultWith([{ id: 'AAAA', user: ALICE, rpId: 'other.example' }, { id: 'BBBB', user: ALICE }]);
    expect(await vault.signalUnknown({ rpId: RP, credentialId: 'AAAA', origin: ORIGIN })).toBe(0);
    expect(await vault.signalUnknown({ rpId: RP, credentialId: 'CCCC', origin: ORIGIN })).toBe(0);
    expect(listed('other.example')).toEqual(['AAAA']);
    expect(listed()).toEqual(['BBBB']);
  });
});

describe('signalAllAcceptedCredentials', () => {
  it("hides this user's unlisted passkeys only, and a passkey listed again comes back", async () => {
    const { vault, listed, hidden } = await vaultWith([{ id: 'AAAA', user: ALICE }, { id: 'BBBB', user: ALICE }, { id: 'CCCC', user: BOB }]);
    expect(await vault.signalAllAccepted({ rpId: RP, userId: ALICE, allAcceptedCredentialIds: ['BBBB'], origin: ORIGIN })).toBe(1);
    expect(listed()).toEqual(['BBBB', 'CCCC']);
    expect(hidden()).toEqual(['AAAA']);
    expect(vault.all().find((c) => c.credentialId === 'AAAA')?.hiddenBySite?.signal).toBe('allAccepted');
    // An empty list hides all of Alice's passkeys, never Bob's.
    expect(await vault.signalAllAccepted({ rpId: RP, userId: ALICE, allAcceptedCredentialIds: [], origin: ORIGIN })).toBe(1);
    expect(listed()).toEqual(['CCCC']);
    // Listed again: both come back, whichever signal hid them.
    await vault.signalUnknown({ rpId: RP, credentialId: 'CCCC', origin: ORIGIN });
    expect(await vault.signalAllAccepted({ rpId: RP, userId: ALICE, allAcceptedCredentialIds: ['AAAA', 'BBBB'], origin: ORIGIN })).toBe(2);
    expect(listed()).toEqual(['AAAA', 'BBBB']);
    expect(hidden()).toEqual(['CCCC']);
  });

  it('never brings back a passkey the person deleted', async () => {
    const { vault, listed } = await vaultWith([{ id: 'AAAA', user: ALICE }]);
    await vault.remove('AAAA');
    expect(await vault.signalAllAccepted({ rpId: RP, userId: ALICE, allAcceptedCredentialIds: ['AAAA'], origin: ORIGIN })).toBe(0);
    expect(listed()).toEqual([]);
    expect(vault.items()[0]!.item.deleted).toBe(true);
  });
});

describe('signalCurrentUserDetails', () => {
  it("renames this user's passkeys for the RP ID only, hidden ones included, as one edit", async () => {
    const { vault } = await vaultWith([{ id: 'AAAA', user: ALICE }, { id: 'BBBB', user: ALICE }, { id: 'CCCC', user: BOB }, { id: 'DDDD', user: ALICE, rpId: 'other.example' }]);
    await vault.signalUnknown({ rpId: RP, credentialId: 'BBBB', origin: ORIGIN });
    expect(await vault.signalUserDetails({ rpId: RP, userId: ALICE, name: 'alice@new.example', displayName: 'Alice New' })).toBe(2);
    const names = Object.fromEntries(vault.all().map((c) => [c.credentialId, `${c.userName}/${c.userDisplayName}`]));
    expect(names).toEqual({ AAAA: 'alice@new.example/Alice New', BBBB: 'alice@new.example/Alice New', CCCC: 'CCCC@example.com/CCCC', DDDD: 'DDDD@example.com/DDDD' });
    expect(await vault.signalUserDetails({ rpId: RP, userId: ALICE, name: 'alice@new.example', displayName: 'Alice New' })).toBe(0);
  });
});

describe('purge after 30 days', () => {
  it('deletes (tombstones) a passkey hidden 30 days ago, and only that one', async () => {
    const { vault, clock, hidden } = await vaultWith([{ id: 'AAAA', user: ALICE }, { id: 'BBBB', user: ALICE }, { id: 'CCCC', user: ALICE }]);
    await vault.signalUnknown({ rpId: RP, credentialId: 'AAAA', origin: ORIGIN });
    clock.t += 24 * 3600_000;
    await vault.signalUnknown({ rpId: RP, credentialId: 'BBBB', origin: ORIGIN });
    clock.t += HIDDEN_KEEP_MS - 24 * 3600_000;
    expect(await vault.purgeHidden()).toBe(1);
    expect(hidden()).toEqual(['BBBB']);
    expect(vault.all().map((c) => c.credentialId).sort()).toEqual(['BBBB', 'CCCC']);
    const tomb = vault.items().find((i) => i.item.deleted);
    expect(tomb).toBeDefined();
    expect(JSON.stringify(tomb!.item)).not.toContain('pkcs8');
  });
});

describe('the sealed record', () => {
  it('opens a record written before signals (no hiddenBySite) as visible, and carries the state through sync data', async () => {
    const { passkeyFromData, passkeyToData } = await import('./record.ts');
    const { vault } = await vaultWith([{ id: 'AAAA', user: ALICE }]);
    const before = vault.items()[0]!.item.data!;
    expect(before).not.toHaveProperty('hiddenBySite');
    expect(passkeyFromData('r', before).hiddenBySite).toBeUndefined();
    const hidden = { ...before, hiddenBySite: { at: 5, origin: ORIGIN, signal: 'allAccepted' } };
    expect(passkeyToData(passkeyFromData('r', hidden)).hiddenBySite).toEqual({ at: 5, origin: ORIGIN, signal: 'allAccepted' });
    expect(() => passkeyFromData('r', { ...before, hiddenBySite: { at: 5, origin: ORIGIN, signal: 'deleted' } })).toThrow(/unexpected shape/);
  });
});

describe('the store: a sign-in that names its passkeys', () => {
  it('looks up only the named ones: its RP ID, not hidden, each once, unknown ids ignored', async () => {
    const { vault } = await vaultWith([{ id: 'AAAA', user: ALICE }, { id: 'BBBB', user: BOB }, { id: 'CCCC', user: ALICE, rpId: 'other.example' }, { id: 'DDDD', user: BOB }]);
    await vault.signalUnknown({ rpId: RP, credentialId: 'DDDD', origin: ORIGIN });
    const named = (ids: string[]) => vault.store.list(RP, ids).map((c) => c.credentialId);
    expect(named(['BBBB', 'AAAA', 'BBBB'])).toEqual(['BBBB', 'AAAA']);
    expect(named(['CCCC', 'DDDD', 'EEEE'])).toEqual([]);
    // What it says of each is what the whole list says.
    expect(vault.store.list(RP, ['AAAA'])).toEqual(vault.store.list(RP).filter((c) => c.credentialId === 'AAAA'));
  });
});

// The vault's records at rest over IndexedDB (fake-indexeddb): docs/design.md rules 3 and 4.
import { describe, expect, it } from 'vitest';
import { deleteStoredRecord, freshStorage, newVault } from '../../tests/vectors/testVault.ts';
import { importAeadKey } from '../crypto/aead.ts';
import { ALG } from '../webauthn/cose.ts';
import { type Passkey, passkeyToData } from './record.ts';
import { createReplica } from './replica.ts';

/** A passkey's record data, with a stand-in key (the replica never signs). */
const passkeyData = (credentialId: string, rpId: string, pkcs8 = Uint8Array.of(1)) =>
  passkeyToData({
    credentialId, rpId, userHandle: 'dXNlcg', userName: `${credentialId}@example.com`, userDisplayName: credentialId, alg: ALG.ES256,
    discoverable: true, backedUp: false, createdAt: 1, pkcs8, publicKeyCose: Uint8Array.of(2), prfSecret: new Uint8Array(32),
  } satisfies Passkey);

describe('vault records', () => {
  it('Spec: nothing about a passkey is readable at rest (docs/design.md rule 3)', async () => {
    const { storage, vault } = await newVault();
    const dump = JSON.stringify({ meta: await storage.getMeta(), records: (await storage.listRecords()).map((r) => ({ ...r, ct: [...r.ct] })) });
    expect(dump).not.toContain('distinctive');
    expect(dump).not.toContain('Y3JlZC1pZC0x');
    expect(vault.all().map((c) => c.userName)).toEqual(['distinctive-user@example.com']);
  });

  it('Spec: a tampered record is reported and kept, never dropped (docs/design.md rule 4)', async () => {
    const { storage, vault } = await newVault();
    await vault.lock();
    const [record] = await storage.listRecords();
    record!.ct[5]! ^= 1;
    await storage.write({ records: [record!] });
    await vault.unlock('correct horse');
    expect(vault.all()).toHaveLength(0);
    expect(vault.damaged()).toEqual([{ recordId: record!.id, message: expect.stringContaining('failed authentication') }]);
    expect(await storage.listRecords()).toHaveLength(1);
  });

  it('a record moved to another id fails authentication (id bound as associated data)', async () => {
    const { name, storage, vault } = await newVault();
    await vault.lock();
    const [record] = await storage.listRecords();
    await deleteStoredRecord(name, record!.id);
    await storage.write({ records: [{ ...record!, id: 'AAAAAAAAAAAAAAAAAAAAAA' }] });
    await vault.unlock('correct horse');
    expect(vault.damaged()).toHaveLength(1);
  });

  it("finds a site's passkeys by RP ID through adds, an edit that moves one, deletes and a reopen", async () => {
    const { storage } = freshStorage();
    const key = await importAeadKey(new Uint8Array(32).fill(3));
    const records = createReplica({ storage, now: () => 1_700_000_000_000 });
    await records.open(key);
    const site = (rpId: string) => records.entriesFor(rpId).map((e) => e.passkey.credentialId).sort();
    const a = records.added('passkey', passkeyData('AAAA', 'one.example'));
    const b = records.added('passkey', passkeyData('BBBB', 'one.example'));
    const c = records.added('passkey', passkeyData('CCCC', 'two.example'));
    await records.persist([a, b, c]);
    expect([site('one.example'), site('two.example'), site('three.example')]).toEqual([['AAAA', 'BBBB'], ['CCCC'], []]);
    // A new version naming another RP ID (as a synced edit could) moves it; a delete takes it out.
    await records.persist([records.edited(b.item.id, { data: passkeyData('BBBB', 'two.example') }), records.deleted(c.item.id)]);
    expect([site('one.example'), site('two.example')]).toEqual([['AAAA'], ['BBBB']]);
    // The same after a restart, and nothing once locked.
    records.close();
    expect(() => records.entriesFor('one.example')).toThrow(/locked/i);
    await records.open(key);
    expect([site('one.example'), site('two.example')]).toEqual([['AAAA'], ['BBBB']]);
  });

  it('keeps the decoded key through a new version that holds the same key, and wipes one that is replaced', async () => {
    const { storage } = freshStorage();
    const key = await importAeadKey(new Uint8Array(32).fill(3));
    const records = createReplica({ storage, now: () => 1_700_000_000_000 });
    await records.open(key);
    const a = records.added('passkey', passkeyData('AAAA', 'one.example', Uint8Array.of(7, 7, 7)));
    await records.persist([a]);
    const first = records.entry('AAAA').passkey.pkcs8;
    // A sign-in's write: the same key, so the same decoded bytes (and the signer imported from them) stay.
    await records.persist([records.used(records.entry('AAAA'))]);
    expect(records.entry('AAAA').passkey.pkcs8).toBe(first);
    expect([...first]).toEqual([7, 7, 7]);
    // A version with another key (a synced record could carry one) decodes its own; the old copy is wiped.
    await records.persist([records.edited(a.item.id, { data: passkeyData('AAAA', 'one.example', Uint8Array.of(8, 8, 8)) })]);
    expect(records.entry('AAAA').passkey.pkcs8).not.toBe(first);
    expect([...first]).toEqual([0, 0, 0]);
    // A delete wipes the key it held.
    const second = records.entry('AAAA').passkey.pkcs8;
    await records.persist([records.deleted(a.item.id)]);
    expect(records.findEntry('AAAA')).toBeUndefined();
    expect([...second]).toEqual([0, 0, 0]);
  });
});

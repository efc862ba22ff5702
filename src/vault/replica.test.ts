// The vault's records at rest over IndexedDB (fake-indexeddb): docs/design.md rules 3 and 4.
import { describe, expect, it } from 'vitest';
import { deleteStoredRecord, newVault } from '../../tests/vectors/testVault.ts';

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
});

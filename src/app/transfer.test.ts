// The transfer service over a real vault (fake-indexeddb): a preview writes nothing, a commit writes what the
// preview showed, a re-export in the same format gives back what Keyport does not use (CXF's other credential
// types, Bitwarden's other items), and Bitwarden's limits are named rather than silently applied.
import { describe, expect, it } from 'vitest';
import { idbVaultStorage } from '../adapters/idb.ts';
import { createVault } from '../vault/vault.ts';
import { fastKdf } from '../../tests/vectors/fastKdf.ts';
import { loadForeign } from '../../tests/vectors/formatFixtures.ts';
import { createTransferService } from './transfer.ts';
import { memorySession } from '../../tests/vectors/memorySession.ts';


let n = 0;
async function service() {
  const vault = createVault({ storage: idbVaultStorage(`transfer-test-${n++}`), session: memorySession(), kdf: fastKdf, now: Date.now });
  await vault.setup('transfer password');
  return { vault, transfer: createTransferService({ vault, backedUp: () => false, now: Date.now }) };
}

describe('transfer service', () => {
  it('previews without writing, commits the preview, and re-exports the credentials it does not use', async () => {
    const foreign = await loadForeign();
    const { vault, transfer } = await service();
    const a = await foreign.makeForeignPasskey({ alg: 'ES256', rpId: 'a.example', userName: 'ann' });
    const b = await foreign.makeForeignPasskey({ alg: 'EdDSA', rpId: 'b.example', userName: 'ben' });
    const doc = foreign.cxfDocument([a, b], { withOtherCredentials: true });

    const preview = await transfer.preview({ format: 'cxf', data: doc });
    expect(preview.add.map((r) => r.userName).sort()).toEqual(['ann', 'ben']);
    expect(vault.all()).toHaveLength(0);
    expect(await transfer.commit(preview.id)).toEqual({ added: 2 });
    await expect(transfer.commit(preview.id)).rejects.toThrow(/expired/);

    const out = await transfer.exportDocument({ format: 'cxf' });
    expect(out.count).toBe(2);
    // The password, the TOTP and the note item of the original file come back out.
    expect(out.text).toContain('"basic-auth"');
    expect(out.text).toContain('"totp"');
    expect(out.text).toContain('Door code');
    const again = await transfer.preview({ format: 'cxf', data: out.text });
    expect(again.duplicates).toHaveLength(2);
    expect(again.add).toHaveLength(0);
  }, 60_000);

  it("names the passkeys Bitwarden's format cannot hold instead of dropping them silently", async () => {
    const foreign = await loadForeign();
    const { transfer } = await service();
    const doc = foreign.cxfDocument([await foreign.makeForeignPasskey({ alg: 'ES256', rpId: 'a.example', userName: 'ann' }), await foreign.makeForeignPasskey({ alg: 'RS256', rpId: 'r.example', userName: 'rob' })]);
    await transfer.importNow({ format: 'cxf', data: doc });
    const out = await transfer.exportDocument({ format: 'bitwarden' });
    expect(out.count).toBe(1);
    expect(out.skipped.map((r) => r.userName)).toEqual(['rob']);
    await expect(transfer.exportDocument({ format: 'cxf', password: 'x' })).rejects.toThrow(/Only the Bitwarden format/);
  }, 60_000);

  it('a file that is not the format is refused with a sentence, and nothing is written', async () => {
    const { vault, transfer } = await service();
    await expect(transfer.preview({ format: 'cxf', data: '{"hello": 1}' })).rejects.toThrow(/.{20,}/);
    await expect(transfer.preview({ format: 'bitwarden', data: 'not json' })).rejects.toThrow(/.{20,}/);
    expect(vault.all()).toHaveLength(0);
    expect(vault.items()).toHaveLength(0);
  }, 60_000);
});

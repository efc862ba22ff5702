// Bitwarden's default Argon2id (3 iterations, 64 MiB, 4 lanes) in JavaScript takes seconds per derivation.
import { describe, expect, it } from 'vitest';
import { encode as b64u } from '../webauthn/base64url.ts';
import { parseBitwarden, writeBitwarden } from './bitwarden.ts';
import { comparable, keyportPasskey, loadForeign } from '../../tests/vectors/formatFixtures.ts';

describe('Bitwarden password-protected export with the default Argon2id parameters', () => {
  it('Keyport writes Argon2id 3 / 64 MiB / 4 by default and reads it back', async () => {
    const passkeys = [await keyportPasskey()];
    const text = await writeBitwarden(passkeys, { now: 1_750_000_000_000, password: 'hunter2' });
    expect(JSON.parse(text)).toMatchObject({ kdfType: 1, kdfIterations: 3, kdfMemory: 64, kdfParallelism: 4 });
    const doc = await parseBitwarden(text, { password: 'hunter2' });
    expect(doc.passkeys.map((p) => comparable(p))).toEqual(passkeys.map((p) => comparable(p)));
  }, 60_000);

  it('reads an export made by the independent generator with Bitwarden’s defaults', async () => {
    const f = await loadForeign();
    const made = await f.makeForeignPasskey({ rpId: 'vault.example', userName: 'alice' });
    const doc = await parseBitwarden(await f.bitwardenEncryptedJson([made], 'hunter2'), { password: 'hunter2' });
    expect(doc.passkeys.map((p) => b64u(p.credentialId))).toEqual([made.credentialIdB64]);
  }, 60_000);
});

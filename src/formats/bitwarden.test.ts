import { describe, expect, it } from 'vitest';
import { importSigner } from '../webauthn/authenticator/keys.ts';
import { encode as b64u } from '../webauthn/base64url.ts';
import { ALG } from '../webauthn/cose.ts';
import { bytesToGuid, guidToBytes, parseBitwarden, writeBitwarden } from './bitwarden.ts';
import type { BitwardenKdf } from './bitwardenCrypto.ts';
import { comparable, keyportPasskey, loadForeign } from '../../tests/vectors/formatFixtures.ts';

const NOW = 1_750_000_000_000;
/** Bitwarden's import floor for Argon2id, to keep the tests quick (the defaults run in bitwarden.slow.test.ts). */
const LIGHT: BitwardenKdf = { type: 'argon2id', iterations: 2, memory: 16, parallelism: 1 };
const FOREIGN_LIGHT = { kdf: 'argon2id', iterations: 2, memory: 16, parallelism: 1 } as const;

/** What these tests read of an export (bitwarden/clients' shapes: every passkey member a string). */
interface ExportJson {
  encrypted: boolean;
  folders: unknown[];
  items: { id: string; name: string; login: { fido2Credentials: Record<string, unknown>[] } & Record<string, unknown> }[];
  salt: string;
  data: string;
}
const readExport = (text: string) => JSON.parse(text) as ExportJson;

describe('guid-utils: credential IDs as GUIDs (bitwarden/clients guid-utils.spec.ts vectors)', () => {
  it('Spec: "08d70b74-e9f5-4522-a425-e5dcd40107e7" is the bytes in reading order', () => {
    const bytes = Uint8Array.from([0x08, 0xd7, 0x0b, 0x74, 0xe9, 0xf5, 0x45, 0x22, 0xa4, 0x25, 0xe5, 0xdc, 0xd4, 0x01, 0x07, 0xe7]);
    expect(guidToBytes('08d70b74-e9f5-4522-a425-e5dcd40107e7')).toEqual(bytes);
    expect(guidToBytes('08D70B74-E9F5-4522-A425-E5DCD40107E7')).toEqual(bytes);
    expect(bytesToGuid(bytes)).toBe('08d70b74-e9f5-4522-a425-e5dcd40107e7');
    expect(bytesToGuid(new Uint8Array(16))).toBe('00000000-0000-0000-0000-000000000000');
  });
  it('Spec: malformed GUIDs are not GUIDs', () => {
    for (const s of ['invalid', '', '00000000-0000-0000-0000-0000000000000000', '00000000-0000-0000-0000-000000']) expect(guidToBytes(s)).toBeUndefined();
  });
});

describe('Bitwarden JSON: write then parse gives the same passkeys', () => {
  it('unencrypted: byte-identical keys and ids, GUID and "b64." credential ids, counter and dates kept', async () => {
    const passkeys = [
      await keyportPasskey(ALG.ES256, { credentialId: globalThis.crypto.getRandomValues(new Uint8Array(16)), signCount: 7 }),
      await keyportPasskey(ALG.ES256, { credentialId: globalThis.crypto.getRandomValues(new Uint8Array(32)), title: 'Work account', discoverable: false }),
    ];
    const text = await writeBitwarden(passkeys, { now: NOW });
    const doc = await parseBitwarden(text);
    expect(doc.invalid).toEqual([]);
    expect(doc.passkeys.map((p) => comparable(p, { keep: ['signCount'] }))).toEqual(passkeys.map((p) => comparable(p, { keep: ['signCount'] })));
    const items = readExport(text).items;
    expect(items[0]!.login.fido2Credentials[0]!.credentialId).toBe(bytesToGuid(passkeys[0]!.credentialId));
    expect(items[1]!.login.fido2Credentials[0]!.credentialId).toBe(`b64.${b64u(passkeys[1]!.credentialId)}`);
    expect(items.map((i) => i.login.fido2Credentials[0]!.discoverable)).toEqual(['true', 'false']);
  });

  it('Fido2CredentialExport members, all strings, as bitwarden/clients writes them', async () => {
    const p = await keyportPasskey(ALG.ES256);
    const json = readExport(await writeBitwarden([p], { now: NOW }));
    expect(json).toMatchObject({ encrypted: false, folders: [] });
    const item = json.items[0]!;
    expect(item).toMatchObject({ type: 1, name: p.rpId, login: { username: p.userName, uris: [{ match: null, uri: `https://${p.rpId}` }] } });
    expect(item.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(item.login.fido2Credentials[0]).toEqual({
      credentialId: bytesToGuid(p.credentialId),
      keyType: 'public-key',
      keyAlgorithm: 'ECDSA',
      keyCurve: 'P-256',
      keyValue: b64u(p.pkcs8),
      rpId: p.rpId,
      userHandle: b64u(p.userHandle),
      userName: p.userName,
      counter: '0',
      rpName: p.rpId,
      userDisplayName: p.userDisplayName,
      discoverable: 'true',
      creationDate: new Date(p.createdAt!).toISOString(),
    });
  });

  it('password-protected (Argon2id and PBKDF2-SHA256): the same passkeys back with the password', async () => {
    const passkeys = [await keyportPasskey(ALG.ES256), await keyportPasskey(ALG.ES256)];
    for (const kdf of [LIGHT, { type: 'pbkdf2', iterations: 600_000 } satisfies BitwardenKdf]) {
      const text = await writeBitwarden(passkeys, { now: NOW, password: 'correct horse', kdf });
      const json = readExport(text);
      expect(json).toMatchObject({ encrypted: true, passwordProtected: true, kdfType: kdf.type === 'pbkdf2' ? 0 : 1, kdfIterations: kdf.iterations });
      expect(Object.keys(json)).toEqual(
        kdf.type === 'pbkdf2'
          ? ['encrypted', 'passwordProtected', 'salt', 'kdfType', 'kdfIterations', 'encKeyValidation_DO_NOT_EDIT', 'data']
          : ['encrypted', 'passwordProtected', 'salt', 'kdfType', 'kdfIterations', 'kdfMemory', 'kdfParallelism', 'encKeyValidation_DO_NOT_EDIT', 'data'],
      );
      expect(Buffer.from(json.salt, 'base64')).toHaveLength(16);
      expect(json.data).toMatch(/^2\.[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+$/);
      expect(text).not.toContain(b64u(passkeys[0]!.pkcs8));
      const doc = await parseBitwarden(text, { password: 'correct horse' });
      expect(doc.passkeys.map((p) => comparable(p))).toEqual(passkeys.map((p) => comparable(p)));
    }
  });

  it('Bitwarden holds only ECDSA P-256: Ed25519 and RSA passkeys are refused with a sentence', async () => {
    const ed = await keyportPasskey(ALG.EdDSA);
    await expect(writeBitwarden([await keyportPasskey(), ed], { now: NOW })).rejects.toMatchObject({
      code: 'cannot-export',
      message: expect.stringMatching(new RegExp(`only hold ECDSA P-256 passkeys; 1 of these .*${ed.rpId}`)),
    });
  });
});

describe('Bitwarden: documents made by another implementation (tests/support/foreign.mjs)', () => {
  const data = new TextEncoder().encode('authenticatorData || clientDataHash');

  it('unencrypted export: passkeys imported, and the keys sign for the foreign public keys', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'vault.example', userName: 'alice' }), await f.makeForeignPasskey({ rpId: 'localhost', userName: 'bob', credentialIdLength: 48 })];
    const doc = await parseBitwarden(f.bitwardenJson(made));
    expect(doc.invalid).toEqual([]);
    for (const [i, p] of doc.passkeys.entries()) {
      const m = made[i]!;
      expect([p.rpId, p.userName, p.userDisplayName, b64u(p.credentialId), b64u(p.userHandle), p.createdAt, p.signCount, p.title]).toEqual([
        m.rpId,
        m.userName,
        m.userDisplayName,
        m.credentialIdB64,
        m.userHandleB64,
        m.createdAt,
        undefined,
        `${m.rpId} site`,
      ]);
      expect(f.verifyForeign(m, data, await (await importSigner(p.alg, p.pkcs8))(data))).toBe(true);
    }
  });

  it('password-protected with PBKDF2-SHA256 600000 and with Argon2id', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'vault.example', userName: 'alice' })];
    for (const opts of [{ kdf: 'pbkdf2' as const }, FOREIGN_LIGHT]) {
      const text = await f.bitwardenEncryptedJson(made, 'pässwörd 🔑', opts);
      const doc = await parseBitwarden(text, { password: 'pässwörd 🔑' });
      expect(doc.passkeys.map((p) => b64u(p.credentialId))).toEqual([made[0]!.credentialIdB64]);
      expect(f.verifyForeign(made[0]!, data, await (await importSigner(doc.passkeys[0]!.alg, doc.passkeys[0]!.pkcs8))(data))).toBe(true);
    }
  });

  it('items without passkeys, folders and a login’s password survive a re-export; `preserved` holds no key', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'a.example', userName: 'pat' }), await f.makeForeignPasskey({ rpId: 'b.example', userName: 'pat' })];
    const text = f.bitwardenJson(made, { withOtherItems: true });
    const original = readExport(text);
    const doc = await parseBitwarden(text);
    expect(JSON.stringify(doc.preserved)).not.toContain(b64u(made[0]!.pkcs8));
    const again = readExport(await writeBitwarden(doc.passkeys, { now: NOW, preserved: doc.preserved }));
    expect(again.folders).toEqual(original.folders);
    expect(again.items).toEqual(original.items);
    const back = await parseBitwarden(JSON.stringify(again));
    expect(back.passkeys.map((p) => comparable(p))).toEqual(doc.passkeys.map((p) => comparable(p)));

    // Leave the first passkey out: its login keeps the password; a new passkey gets its own item at the end.
    const extra = await keyportPasskey();
    const partial = readExport(await writeBitwarden([doc.passkeys[1]!, extra], { now: NOW, preserved: doc.preserved }));
    expect(partial.items).toHaveLength(original.items.length + 1);
    expect(partial.items[0]!.login).toMatchObject({ password: 'hunter2', fido2Credentials: [] });
    expect(partial.items.at(-1)!.login.fido2Credentials[0]!.rpId).toBe(extra.rpId);
  });

  it('a passkey-only login whose passkey is left out is dropped', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'a.example', userName: 'pat' }), await f.makeForeignPasskey({ rpId: 'b.example', userName: 'pat' })];
    const doc = await parseBitwarden(f.bitwardenJson(made));
    const items = readExport(await writeBitwarden([doc.passkeys[1]!], { now: NOW, preserved: doc.preserved })).items;
    expect(items.map((i: { name: string }) => i.name)).toEqual(['b.example site']);
  });
});

describe('Bitwarden: refusals', () => {
  it('wrong password, missing password, tampered data or MAC, unknown EncString, out-of-bounds KDF', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'vault.example', userName: 'alice' })];
    const text = await f.bitwardenEncryptedJson(made, 'right', FOREIGN_LIGHT);
    const json = readExport(text);
    await expect(parseBitwarden(text, { password: 'wrong' })).rejects.toMatchObject({ name: 'FormatError', code: 'wrong-password', message: expect.stringMatching(/^Wrong password/) });
    await expect(parseBitwarden(text)).rejects.toMatchObject({ code: 'password-required' });
    const flip = (enc: string, part: number) => {
      const parts = enc.slice(2).split('|');
      const bytes = Buffer.from(parts[part]!, 'base64');
      bytes[0]! ^= 1;
      parts[part] = bytes.toString('base64');
      return `2.${parts.join('|')}`;
    };
    for (const part of [0, 1, 2]) {
      const tampered = JSON.stringify({ ...json, data: flip(json.data, part) });
      await expect(parseBitwarden(tampered, { password: 'right' })).rejects.toMatchObject({ code: 'tampered', message: expect.stringMatching(/failed authentication/) });
    }
    await expect(parseBitwarden(JSON.stringify({ ...json, data: '0.' + json.data.slice(2).split('|').slice(0, 2).join('|') }), { password: 'right' })).rejects.toThrow(
      /type 0; only type 2/,
    );
    await expect(parseBitwarden(JSON.stringify({ ...json, kdfMemory: 4096 }), { password: 'right' })).rejects.toThrow(/memory must be between 16 and 1024 MiB, not 4096/);
    await expect(parseBitwarden(JSON.stringify({ ...json, kdfType: 2 }), { password: 'right' })).rejects.toThrow(/"kdfType" must be 0 \(PBKDF2-SHA256\) or 1 \(Argon2id\)/);
    await expect(parseBitwarden(JSON.stringify({ ...json, kdfType: 0, kdfIterations: 1000 }), { password: 'right' })).rejects.toThrow(/PBKDF2 iterations must be between 5000/);
  });

  it('an account-restricted export, and files that are not Bitwarden exports', async () => {
    const accountEncrypted = JSON.stringify({ encrypted: true, encKeyValidation_DO_NOT_EDIT: '2.AAAA|BBBB|CCCC', folders: [], items: [] });
    await expect(parseBitwarden(accountEncrypted)).rejects.toThrow(/only that account can open/);
    await expect(parseBitwarden('{"version": {"major": 1}}')).rejects.toMatchObject({ code: 'not-this-format' });
    await expect(parseBitwarden('<xml/>')).rejects.toMatchObject({ code: 'not-this-format' });
    await expect(parseBitwarden('{"encrypted": false, "items": {}}')).rejects.toThrow(/field "items" must be a list/);
  });

  it('each bad passkey is an InvalidEntry with a reason; the others are imported', async () => {
    const f = await loadForeign();
    const good = await f.makeForeignPasskey({ rpId: 'ok.example', userName: 'u' });
    const ed = await f.makeForeignPasskey({ alg: 'EdDSA', rpId: 'ed.example', userName: 'u' });
    const base = readExport(f.bitwardenJson([good]));
    const cred = base.items[0]!.login.fido2Credentials[0]!;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...cred, credentialId: 'not-a-guid' }, /neither a GUID nor "b64\."/],
      [{ ...cred, credentialId: 'b64.***' }, /credential ID is not base64url/],
      [{ ...cred, keyType: 'secret' }, /"keyType" must be "public-key"/],
      [{ ...cred, userHandle: null }, /no user handle/],
      [{ ...cred, keyValue: b64u(ed.pkcs8) }, /says its key is ECDSA P-256, but the key is Ed25519/],
      [{ ...cred, keyValue: 'AAAA' }, /not valid PKCS#8 DER/],
      [{ ...cred, counter: '99999999999' }, /larger than WebAuthn’s 32 bits|"counter" must be a whole number/],
      [{ ...cred, counter: '-1' }, /"counter" must be a whole number/],
      [{ ...cred, creationDate: 'yesterday' }, /creation date "yesterday" is not a date/],
      [{ ...cred, rpId: 'https://ok.example' }, /not a valid domain name/],
      [{ ...cred, rpId: undefined }, /"rpId" is missing/],
    ];
    for (const [bad, reason] of cases) {
      const doc = structuredClone(base);
      doc.items[0]!.name = 'Broken';
      doc.items[0]!.login.fido2Credentials = [bad];
      doc.items.push(structuredClone(base.items[0]!));
      const parsed = await parseBitwarden(JSON.stringify(doc));
      expect(parsed.passkeys.map((p) => p.rpId), String(reason)).toEqual(['ok.example']);
      expect(parsed.invalid, String(reason)).toHaveLength(1);
      expect(parsed.invalid[0]!.where).toBe('item 1 ‘Broken’');
      expect(parsed.invalid[0]!.reason).toMatch(reason);
    }
  });

  it('the same credential twice in one file: the second is reported', async () => {
    const f = await loadForeign();
    const m = await f.makeForeignPasskey({ rpId: 'ok.example', userName: 'u' });
    const doc = readExport(f.bitwardenJson([m, m]));
    const parsed = await parseBitwarden(JSON.stringify(doc));
    expect(parsed.passkeys).toHaveLength(1);
    expect(parsed.invalid[0]).toEqual({ where: 'item 2 ‘ok.example site’', reason: 'It has the same credential ID as item 1 ‘ok.example site’; only the first is imported.' });
  });
});

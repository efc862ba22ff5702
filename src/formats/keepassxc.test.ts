import { describe, expect, it } from 'vitest';
import { importSigner } from '../webauthn/authenticator/keys.ts';
import { encode as b64u } from '../webauthn/base64url.ts';
import { ALG } from '../webauthn/cose.ts';
import { derToPem } from './keys.ts';
import { parseKeepassxc, writeKeepassXml, writeKeepassxc, writePasskeyFile } from './keepassxc.ts';
import { ALG_OF, comparable, keyportPasskey, loadForeign } from '../../tests/vectors/formatFixtures.ts';
import { child, parseXml, writeXml } from './xml.ts';

const NOW = 1_750_000_000_000;
/** KeePassXC has no display name: the user name comes back in its place. */
const asKeepass = (p: Parameters<typeof comparable>[0]) => comparable({ ...p, userDisplayName: p.userName }, { precisionMs: 1000 });

describe('KeePassXC .passkey file', () => {
  it('write then parse: the same passkey, every algorithm', async () => {
    for (const alg of [ALG.ES256, ALG.EdDSA, ALG.RS256]) {
      const p = await keyportPasskey(alg);
      const doc = await parseKeepassxc(writePasskeyFile(p));
      expect(doc.invalid).toEqual([]);
      expect(doc.passkeys.map((x) => comparable(x))).toEqual([comparable({ ...p, userDisplayName: p.userName, createdAt: undefined, title: undefined })]);
    }
  });

  it('has PasskeyExporter.cpp’s members, the key as PKCS#8 PEM', async () => {
    const p = await keyportPasskey(ALG.EdDSA);
    const json = JSON.parse(writePasskeyFile(p)) as { privateKey: string } & Record<string, unknown>;
    expect(json).toEqual({
      credentialId: b64u(p.credentialId),
      privateKey: derToPem(p.pkcs8),
      relyingParty: p.rpId,
      url: `https://${p.rpId}`,
      userHandle: b64u(p.userHandle),
      username: p.userName,
    });
    expect(json.privateKey.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(json.privateKey.trim().endsWith('-----END PRIVATE KEY-----')).toBe(true);
  });

  it('reads a file from the independent generator, and the key signs for the foreign public key', async () => {
    const f = await loadForeign();
    const data = new TextEncoder().encode('authenticatorData || clientDataHash');
    for (const alg of ['ES256', 'EdDSA', 'RS256'] as const) {
      const m = await f.makeForeignPasskey({ alg, rpId: 'keepass.example', userName: 'kim' });
      const doc = await parseKeepassxc(f.keepassxcPasskeyFile(m));
      expect(doc.invalid).toEqual([]);
      const p = doc.passkeys[0]!;
      expect([p.alg, p.rpId, p.userName, b64u(p.credentialId), b64u(p.userHandle)]).toEqual([ALG_OF[alg], m.rpId, m.userName, m.credentialIdB64, m.userHandleB64]);
      expect(f.verifyForeign(m, data, await (await importSigner(p.alg, p.pkcs8))(data))).toBe(true);
    }
  });

  it('a bad file is one InvalidEntry, or a FormatError when it is not a .passkey file', async () => {
    const p = await keyportPasskey();
    const json = JSON.parse(writePasskeyFile(p)) as { privateKey: string } & Record<string, unknown>;
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...json, privateKey: 'MIGHAgEAMBMGByqGSM49' }, /not a PEM block/],
      [{ ...json, privateKey: json.privateKey.replace(/PRIVATE KEY/g, 'EC PRIVATE KEY') }, /older "EC PRIVATE KEY" form/],
      [{ ...json, credentialId: 'not base64!' }, /credential ID is not base64/],
      [{ ...json, userHandle: '' }, /no user handle/],
      [{ ...json, username: 7 }, /"username" must be text/],
      [{ ...json, relyingParty: 'EXAMPLE.com' }, /capital letters/],
    ];
    for (const [doc, reason] of bad) {
      const parsed = await parseKeepassxc(JSON.stringify(doc));
      expect(parsed.passkeys, String(reason)).toEqual([]);
      expect(parsed.invalid[0]!.reason, String(reason)).toMatch(reason);
      expect(parsed.invalid[0]!.where).toMatch(/^the passkey file/);
    }
    await expect(parseKeepassxc('{"hello": 1}')).rejects.toMatchObject({ code: 'not-this-format' });
    await expect(parseKeepassxc('hello')).rejects.toMatchObject({ code: 'not-this-format' });
  });
});

describe('KeePassXC attributes in KeePass 2 XML', () => {
  it('write then parse: the same passkeys (display name = user name, times in seconds)', async () => {
    const passkeys = [await keyportPasskey(ALG.ES256), await keyportPasskey(ALG.EdDSA, { title: 'Blog' }), await keyportPasskey(ALG.RS256)];
    const doc = await parseKeepassxc(writeKeepassXml(passkeys, { now: NOW }));
    expect(doc.invalid).toEqual([]);
    expect(doc.passkeys.map((p) => comparable(p, { precisionMs: 1000 }))).toEqual(passkeys.map(asKeepass));
  });

  it('each entry carries the attributes addPasskeyToEntry sets, protected where KeePassXC protects them', async () => {
    const p = await keyportPasskey();
    const root = parseXml(writeKeepassXml([p], { now: NOW }));
    const entry = child(child(child(root, 'Root')!, 'Group')!, 'Entry')!;
    const strings = Object.fromEntries(entry.children.filter((c) => c.name === 'String').map((s) => [child(s, 'Key')!.text, child(s, 'Value')!]));
    expect(Object.fromEntries(Object.entries(strings).map(([k, v]) => [k, [v.text, v.attrs.ProtectInMemory ?? '']]))).toEqual({
      Title: [p.rpId, ''],
      UserName: [p.userName, ''],
      Password: ['', 'True'],
      URL: [`https://${p.rpId}`, ''],
      Notes: ['', ''],
      KPEX_PASSKEY_CREDENTIAL_ID: [b64u(p.credentialId), 'True'],
      KPEX_PASSKEY_PRIVATE_KEY_PEM: [derToPem(p.pkcs8), 'True'],
      KPEX_PASSKEY_RELYING_PARTY: [p.rpId, ''],
      KPEX_PASSKEY_USERNAME: [p.userName, ''],
      KPEX_PASSKEY_USER_HANDLE: [b64u(p.userHandle), 'True'],
      KPEX_PASSKEY_FLAG_BE: ['1', ''],
      KPEX_PASSKEY_FLAG_BS: ['1', ''],
    });
    expect(child(entry, 'UUID')!.text).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(child(child(entry, 'Times')!, 'CreationTime')!.text).toBe(new Date(p.createdAt!).toISOString().replace('.000', ''));
  });

  it('reads the independent generator’s XML (ids in base64url or standard base64), keys sign', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ alg: 'EdDSA', rpId: 'a.example', userName: 'kim' }), await f.makeForeignPasskey({ rpId: 'b.example', userName: 'lee' })];
    const data = new TextEncoder().encode('authenticatorData || clientDataHash');
    for (const standardBase64Ids of [false, true]) {
      const doc = await parseKeepassxc(f.keepassxcXml(made, { standardBase64Ids }));
      expect(doc.invalid).toEqual([]);
      for (const [i, p] of doc.passkeys.entries()) {
        const m = made[i]!;
        expect([b64u(p.credentialId), b64u(p.userHandle), p.rpId, p.userName, p.createdAt, p.title]).toEqual([m.credentialIdB64, m.userHandleB64, m.rpId, m.userName, m.createdAt, `${m.rpId} (Passkey)`]);
        expect(f.verifyForeign(m, data, await (await importSigner(p.alg, p.pkcs8))(data))).toBe(true);
      }
    }
  });

  it('other entries, groups, meta and a passkey entry’s password survive a re-export; `preserved` holds no key', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'a.example', userName: 'kim' }), await f.makeForeignPasskey({ rpId: 'b.example', userName: 'lee' })];
    const text = f.keepassxcXml(made, { withOtherEntries: true });
    const doc = await parseKeepassxc(text);
    expect(JSON.stringify(doc.preserved)).not.toContain('BEGIN PRIVATE KEY');
    const again = writeKeepassxc(doc.passkeys, { now: NOW, preserved: doc.preserved });
    // The same document, apart from the modification times of the passkey entries.
    const strip = (t: string) => parseXml(t.replace(/<LastModificationTime>[^<]*<\/LastModificationTime>/g, ''));
    expect(strip(again)).toEqual(strip(text));
    const back = await parseKeepassxc(again);
    expect(back.passkeys.map((p) => comparable(p))).toEqual(doc.passkeys.map((p) => comparable(p)));

    // Leave the first passkey out: its entry keeps the password but loses the passkey; a new passkey is added.
    const extra = await keyportPasskey();
    const partial = await parseKeepassxc(writeKeepassxc([doc.passkeys[1]!, extra], { now: NOW, preserved: doc.preserved }));
    expect(partial.passkeys.map((p) => p.rpId)).toEqual(['b.example', extra.rpId]);
    const root = parseXml(writeKeepassxc([doc.passkeys[1]!], { now: NOW, preserved: doc.preserved }));
    const first = child(child(child(root, 'Root')!, 'Group')!, 'Entry')!;
    const keys = first.children.filter((c) => c.name === 'String').map((s) => child(s, 'Key')!.text);
    expect(keys).toEqual(['Title', 'UserName', 'Password', 'URL', 'Notes']);
  });

  it('history of a passkey entry keeps no old keys in `preserved`; the recycle bin is skipped', async () => {
    const f = await loadForeign();
    const [m, binned] = [await f.makeForeignPasskey({ rpId: 'a.example', userName: 'kim' }), await f.makeForeignPasskey({ rpId: 'bin.example', userName: 'old' })];
    const base = parseXml(f.keepassxcXml([m]));
    const group = child(child(base, 'Root')!, 'Group')!;
    const entry = child(group, 'Entry')!;
    entry.children.push({ name: 'History', attrs: {}, text: '', children: [structuredClone(entry)] });
    const binDoc = parseXml(f.keepassxcXml([binned]));
    const binGroup = { ...child(child(binDoc, 'Root')!, 'Group')!, attrs: {} };
    child(binGroup, 'UUID')!.text = 'AAAAAAAAAAAAAAAAAAAAAA==';
    group.children.push(binGroup);
    child(base, 'Meta')!.children.push({ name: 'RecycleBinUUID', attrs: {}, children: [], text: 'AAAAAAAAAAAAAAAAAAAAAA==' });
    const doc = await parseKeepassxc(writeXml(base));
    expect(doc.passkeys.map((p) => p.rpId)).toEqual(['a.example']);
    expect(doc.invalid).toEqual([]);
    // Only the recycled entry, left as it was, still has a key; the live entry and its history have none.
    expect(JSON.stringify(doc.preserved).match(/BEGIN PRIVATE KEY/g)).toHaveLength(1);
    const live = child(child(child((doc.preserved as { root: Parameters<typeof child>[0] }).root, 'Root')!, 'Group')!, 'Entry')!;
    const old = child(child(live, 'History')!, 'Entry')!;
    expect(old.children.filter((c) => c.name === 'String').map((s) => child(s, 'Key')!.text)).toEqual(['Title', 'UserName', 'Password', 'URL', 'Notes']);
  });

  it('bad entries are reported by title and group; files that are not KeePass XML are refused', async () => {
    const f = await loadForeign();
    const m = await f.makeForeignPasskey({ rpId: 'good.example', userName: 'kim' });
    const broken = await f.makeForeignPasskey({ rpId: 'broken.example', userName: 'x' });
    const text = f.keepassxcXml([broken, m]).replace(`<Value ProtectInMemory="True">${broken.userHandleB64}</Value>`, '<Value ProtectInMemory="True"></Value>');
    const doc = await parseKeepassxc(text);
    expect(doc.passkeys.map((p) => p.rpId)).toEqual(['good.example']);
    expect(doc.invalid).toEqual([{ where: 'entry ‘broken.example (Passkey)’ in Root', reason: 'It has no KPEX_PASSKEY_USER_HANDLE.' }]);

    const protectedXml = f.keepassxcXml([m]).replace(/ProtectInMemory="True">/g, 'Protected="True">');
    expect((await parseKeepassxc(protectedXml)).invalid[0]!.reason).toMatch(/inner stream/);

    await expect(parseKeepassxc('<html><body/></html>')).rejects.toMatchObject({ code: 'not-this-format', message: expect.stringMatching(/no <KeePassFile><Root>/) });
    await expect(parseKeepassxc('<KeePassFile><Root>')).rejects.toMatchObject({ code: 'not-this-format', message: expect.stringMatching(/never closed/) });
    await expect(parseKeepassxc('<!DOCTYPE lolz [<!ENTITY lol "lol">]><KeePassFile/>')).rejects.toThrow(/DOCTYPE/);
  });

  it('writeKeepassxc: .passkey for exactly one passkey, XML otherwise or when asked', async () => {
    const [a, b] = [await keyportPasskey(), await keyportPasskey()];
    expect(writeKeepassxc([a], { now: NOW }).startsWith('{')).toBe(true);
    expect(writeKeepassxc([a, b], { now: NOW }).startsWith('<?xml')).toBe(true);
    expect(writeKeepassxc([], { now: NOW }).startsWith('<?xml')).toBe(true);
    expect(writeKeepassxc([a], { now: NOW, container: 'xml' }).startsWith('<?xml')).toBe(true);
    expect(() => writeKeepassxc([a, b], { now: NOW, container: 'passkey-file' })).toThrow(/exactly one passkey, not 2/);
  });
});

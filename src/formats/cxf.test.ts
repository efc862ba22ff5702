import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { importSigner } from '../webauthn/authenticator/keys.ts';
import { encode as b64u } from '../webauthn/base64url.ts';
import { ALG } from '../webauthn/cose.ts';
import { parseCxf, writeCxf } from './cxf.ts';
import { ALG_OF, comparable, keyportPasskey, loadForeign } from '../../tests/vectors/formatFixtures.ts';
import { FormatError } from './types.ts';

const NOW = 1_750_000_000_000;
const write = (passkeys: Parameters<typeof writeCxf>[0], preserved?: unknown) =>
  writeCxf(passkeys, { now: NOW, exporterRpId: 'keyport.dev', exporterDisplayName: 'Keyport', preserved });

/** What these tests read of a CXF document: §3.1 header, §3.2.1 accounts, §3.2.3 items, their credentials. */
interface CxfJson {
  version: unknown;
  exporterRpId: string;
  timestamp: number;
  futureMember?: unknown;
  accounts: { id: string; fullName?: string; items: ({ id: string; title: string; credentials: ({ type: string } & Record<string, unknown>)[] } & Record<string, unknown>)[] }[];
}
const readCxf = (text: string) => JSON.parse(text) as CxfJson;

describe('CXF v1.0: write then parse gives the same passkeys', () => {
  it('ES256, EdDSA and RS256, with and without a PRF secret; byte-identical keys and ids', async () => {
    const passkeys = [
      await keyportPasskey(ALG.ES256, { prfSecret: globalThis.crypto.getRandomValues(new Uint8Array(32)) }),
      await keyportPasskey(ALG.EdDSA, { title: 'My blog' }),
      await keyportPasskey(ALG.RS256),
    ];
    const doc = await parseCxf(write(passkeys));
    expect(doc.invalid).toEqual([]);
    // §3.2.3 creationAt is in seconds.
    expect(doc.passkeys.map((p) => comparable(p, { precisionMs: 1000 }))).toEqual(passkeys.map((p) => comparable(p, { precisionMs: 1000 })));
  });

  it('§3.1 header, §3.2.1 account, §3.2.3 item and §3.3.12 passkey have the spec’s members', async () => {
    const p = await keyportPasskey(ALG.ES256, { prfSecret: new Uint8Array(32).fill(7) });
    const json = readCxf(write([p]));
    expect(Object.keys(json)).toEqual(['version', 'exporterRpId', 'exporterDisplayName', 'timestamp', 'accounts']);
    expect(json.version).toEqual({ major: 1, minor: 0 });
    expect(json.timestamp).toBe(NOW / 1000);
    const account = json.accounts[0]!;
    expect(account).toMatchObject({ username: '', email: '', collections: [] });
    expect(typeof account.id).toBe('string');
    const item = account.items[0]!;
    expect(item).toMatchObject({ creationAt: Math.floor(p.createdAt! / 1000), modifiedAt: NOW / 1000, title: p.rpId, scope: { urls: [`https://${p.rpId}`], androidApps: [] } });
    expect(item.credentials).toEqual([
      {
        type: 'passkey',
        credentialId: b64u(p.credentialId),
        rpId: p.rpId,
        username: p.userName,
        userDisplayName: p.userDisplayName,
        userHandle: b64u(p.userHandle),
        key: b64u(p.pkcs8),
        fido2Extensions: { hmacCredentials: { algorithm: 'hmac-sha256', credWithUV: b64u(p.prfSecret!), credWithoutUV: b64u(p.prfSecret!) } },
      },
    ]);
    // Base64url without padding everywhere.
    expect(JSON.stringify(json)).not.toMatch(/=["]/);
  });

  it('item ids are derived from the credential id, so two exports of a passkey agree', async () => {
    const p = await keyportPasskey();
    const a = readCxf(write([p])).accounts[0]!.items[0]!.id;
    const b = readCxf(write([p])).accounts[0]!.items[0]!.id;
    expect(a).toBe(b);
  });
});

describe('CXF §3.3.12.2 Fido2Extensions credBlob and largeBlob: carried both ways', () => {
  const withBlobs = async () => {
    const largeBlob = Uint8Array.from({ length: 2048 }, (_, i) => i % 13);
    return keyportPasskey(ALG.ES256, { largeBlob, credBlob: Uint8Array.of(1, 2, 3) });
  };

  it('written as the passkey has them (the large blob DEFLATE-compressed, its size beside it) and read back', async () => {
    const p = await withBlobs();
    const ext = readCxf(write([p, await keyportPasskey(ALG.ES256, { largeBlob: new Uint8Array() })])).accounts[0]!.items.map((i) => i.credentials[0]!.fido2Extensions) as Record<string, { uncompressedSize: number; data: string }>[];
    expect(ext[0]!.credBlob).toBe('AQID');
    expect(ext[0]!.largeBlob!.uncompressedSize).toBe(2048);
    expect(new Uint8Array(inflateRawSync(Buffer.from(ext[0]!.largeBlob!.data, 'base64url')))).toEqual(p.largeBlob);
    // Room for a blob and none in it: an empty one, so the passkey can still hold one after an import.
    expect(ext[1]!.largeBlob!.uncompressedSize).toBe(0);
    const doc = await parseCxf(write([p]));
    expect(doc.invalid).toEqual([]);
    expect(comparable(doc.passkeys[0]!, { keep: ['largeBlob', 'credBlob'] })).toEqual(comparable(p, { keep: ['largeBlob', 'credBlob'] }));
  });

  it("another manager's blob, compressed by zlib, is read", async () => {
    const f = await loadForeign();
    const m = await f.makeForeignPasskey({ rpId: 'a.example', userName: 'pat' });
    const json = readCxf(f.cxfDocument([m]));
    const blob = new TextEncoder().encode('certificate '.repeat(100));
    json.accounts[0]!.items[0]!.credentials[0]!.fido2Extensions = { largeBlob: { uncompressedSize: blob.length, data: deflateRawSync(blob).toString('base64url') }, credBlob: 'AAEC' };
    const doc = await parseCxf(JSON.stringify(json));
    expect(doc.invalid).toEqual([]);
    expect(doc.passkeys[0]!.largeBlob).toEqual(blob);
    expect(doc.passkeys[0]!.credBlob).toEqual(Uint8Array.of(0, 1, 2));
  });

  it.each<[string, (blob: Uint8Array) => Record<string, unknown>, RegExp]>([
    ['a large blob over 2048 bytes', () => ({ largeBlob: { uncompressedSize: 4096, data: deflateRawSync(new Uint8Array(4096)).toString('base64url') } }), /large blob is 4096 bytes; Keyport keeps at most 2048/],
    ['one that expands past what it claims', () => ({ largeBlob: { uncompressedSize: 10, data: deflateRawSync(new Uint8Array(1_000_000)).toString('base64url') } }), /not DEFLATE data of at most 2048 bytes/],
    ['a size that is not the truth', (b) => ({ largeBlob: { uncompressedSize: 5, data: deflateRawSync(b).toString('base64url') } }), /not the 5 its uncompressedSize says/],
    ['data that is not DEFLATE', () => ({ largeBlob: { uncompressedSize: 3, data: '____' } }), /not DEFLATE data/],
    ['a credBlob over 32 bytes', () => ({ credBlob: b64u(new Uint8Array(33)) }), /credBlob is 33 bytes; Keyport keeps at most 32/],
  ])('%s: the passkey is refused with a reason, nothing dropped silently', async (_what, ext, reason) => {
    const f = await loadForeign();
    const m = await f.makeForeignPasskey({ rpId: 'a.example', userName: 'pat' });
    const json = readCxf(f.cxfDocument([m]));
    json.accounts[0]!.items[0]!.credentials[0]!.fido2Extensions = ext(Uint8Array.of(1, 2, 3, 4));
    const doc = await parseCxf(JSON.stringify(json));
    expect(doc.passkeys).toEqual([]);
    expect(doc.invalid).toHaveLength(1);
    expect(doc.invalid[0]!.reason).toMatch(reason);
  });
});

describe('CXF: documents made by another implementation (tests/support/foreign.mjs)', () => {
  it('imports every algorithm, reads the PRF secret from credWithUV, and the keys sign for the foreign public keys', async () => {
    const f = await loadForeign();
    const made = [
      await f.makeForeignPasskey({ alg: 'ES256', rpId: 'login.example.com', userName: 'alice', prf: true }),
      await f.makeForeignPasskey({ alg: 'EdDSA', rpId: 'example.org', userName: 'bob', userDisplayName: 'Bob B.', credentialIdLength: 32 }),
      await f.makeForeignPasskey({ alg: 'RS256', rpId: 'localhost', userName: 'carol' }),
    ];
    const doc = await parseCxf(f.cxfDocument(made));
    expect(doc.invalid).toEqual([]);
    expect(doc.passkeys).toHaveLength(3);
    const data = new TextEncoder().encode('authenticatorData || clientDataHash');
    for (const [i, p] of doc.passkeys.entries()) {
      const m = made[i]!;
      expect(p.alg).toBe(ALG_OF[m.alg]);
      expect(p.rpId).toBe(m.rpId);
      expect(p.userName).toBe(m.userName);
      expect(p.userDisplayName).toBe(m.userDisplayName);
      expect(b64u(p.credentialId)).toBe(m.credentialIdB64);
      expect(b64u(p.userHandle)).toBe(m.userHandleB64);
      expect(p.createdAt).toBe(m.createdAt);
      expect(p.title).toBe(`${m.rpId} login`);
      const signature = await (await importSigner(p.alg, p.pkcs8))(data);
      expect(f.verifyForeign(m, data, signature)).toBe(true);
    }
    expect(b64u(doc.passkeys[0]!.prfSecret!)).toBe(b64u(made[0]!.prfSecret!));
    expect(doc.passkeys[1]!.prfSecret).toBeUndefined();
  });

  it('other credentials, items, unknown members and extensions survive a re-export, with no key in `preserved`', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'a.example', userName: 'pat', prf: true }), await f.makeForeignPasskey({ alg: 'EdDSA', rpId: 'b.example', userName: 'pat' })];
    const text = f.cxfDocument(made, { withOtherCredentials: true });
    const original = readCxf(text);
    const doc = await parseCxf(text);
    expect(doc.invalid).toEqual([]);
    const preservedText = JSON.stringify(doc.preserved);
    for (const m of made) expect(preservedText).not.toContain(b64u(m.pkcs8));
    expect(preservedText).not.toContain(b64u(made[0]!.prfSecret!));

    const again = readCxf(write(doc.passkeys, doc.preserved));
    expect(again.futureMember).toEqual({ kept: true });
    expect(again.exporterRpId).toBe('keyport.dev');
    const acct = again.accounts[0]!;
    const orig = original.accounts[0]!;
    expect(acct.id).toBe(orig.id);
    expect(acct.fullName).toBe('Pat Example');
    expect(acct.items).toHaveLength(orig.items.length);
    for (const [i, item] of acct.items.entries()) {
      const o = orig.items[i]!;
      // The passkeys' items got a new modifiedAt; everything else, passkeys included, is as it was.
      const { modifiedAt: _a, ...rest } = item;
      const { modifiedAt: _b, ...origRest } = o;
      expect(rest).toEqual(origRest);
    }
    // The second, independent hmac secret (credWithoutUV) came back too.
    expect(acct.items[0]!.credentials[1]!.fido2Extensions).toEqual(orig.items[0]!.credentials[1]!.fido2Extensions);
    // And the re-export reads back to the same passkeys.
    const back = await parseCxf(JSON.stringify(again));
    expect(back.passkeys.map((p) => comparable(p))).toEqual(doc.passkeys.map((p) => comparable(p)));
  });

  it('a passkey left out of the re-export leaves its item’s other credentials; a passkey-only item goes', async () => {
    const f = await loadForeign();
    const made = [await f.makeForeignPasskey({ rpId: 'a.example', userName: 'pat' }), await f.makeForeignPasskey({ rpId: 'b.example', userName: 'pat' })];
    const withOthers = await parseCxf(f.cxfDocument(made, { withOtherCredentials: true }));
    const kept = readCxf(write([withOthers.passkeys[1]!], withOthers.preserved)).accounts[0]!.items;
    expect(kept[0]!.credentials.map((c) => c.type)).toEqual(['basic-auth', 'totp']);
    expect(kept[1]!.credentials.map((c) => c.type)).toEqual(['basic-auth', 'passkey', 'totp']);

    const plain = await parseCxf(f.cxfDocument(made));
    const items = readCxf(write([plain.passkeys[0]!], plain.preserved)).accounts[0]!.items;
    expect(items).toHaveLength(1);
    expect(items[0]!.credentials[0]!.rpId).toBe('a.example');
  });

  it('new passkeys join the first preserved account', async () => {
    const f = await loadForeign();
    const plain = await parseCxf(f.cxfDocument([await f.makeForeignPasskey({ rpId: 'a.example', userName: 'pat' })]));
    const extra = await keyportPasskey();
    const json = readCxf(write([...plain.passkeys, extra], plain.preserved));
    expect(json.accounts).toHaveLength(1);
    expect(json.accounts[0]!.items.map((i) => i.title)).toEqual(['a.example login', extra.rpId]);
  });
});

describe('CXF: malformed and hostile input', () => {
  const header = (credentials: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      version: { major: 1, minor: 0 },
      exporterRpId: 'x.example',
      exporterDisplayName: 'X',
      timestamp: 1,
      accounts: [{ id: 'AAAA', username: '', email: '', collections: [], items: [{ id: 'AQ', title: 'T', credentials }] }],
      ...extra,
    });

  const goodCredential = async () => {
    const f = await loadForeign();
    const m = await f.makeForeignPasskey({ rpId: 'ok.example', userName: 'u' });
    return readCxf(f.cxfDocument([m])).accounts[0]!.items[0]!.credentials[0]!;
  };

  it('a file that is not CXF is a FormatError with a sentence', async () => {
    await expect(parseCxf('not json')).rejects.toMatchObject({ name: 'FormatError', code: 'not-this-format', message: 'This file is not a CXF document: it is not JSON.' });
    await expect(parseCxf('{"encrypted": false, "items": []}')).rejects.toThrow(/no "version" and "accounts"/);
    await expect(parseCxf('[]')).rejects.toThrow(FormatError);
  });

  it('§3.1.1: an unknown major version is refused; a newer minor version is read', async () => {
    await expect(parseCxf(header([], { version: { major: 2, minor: 0 } }))).rejects.toMatchObject({ code: 'unsupported-version', message: expect.stringMatching(/version 2\.0; Keyport reads version 1\.x/) });
    const c = await goodCredential();
    expect((await parseCxf(header([c], { version: { major: 1, minor: 7 } }))).passkeys).toHaveLength(1);
  });

  it('a malformed header is a FormatError naming the member', async () => {
    await expect(parseCxf(header([], { version: { major: '1', minor: 0 } }))).rejects.toThrow(/"version.major" must be a number/);
    await expect(parseCxf(header([], { timestamp: -5 }))).rejects.toThrow(/"timestamp" must not be negative/);
  });

  it('each bad passkey is an InvalidEntry with a reason; the good one beside it is imported', async () => {
    const good = await goodCredential();
    const p384 = await import('node:crypto').then((c) => new Uint8Array(c.generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'der' })));
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, credentialId: 42 }, /"credentialId" must be text/],
      [{ ...good, credentialId: 'has space' }, /"credentialId" must be base64url/],
      [{ ...good, credentialId: 'AB+/' }, /"credentialId" must be base64url/],
      [{ ...good, credentialId: 'A' }, /credential ID is not base64url/],
      [{ ...good, credentialId: '' }, /credential ID is empty/],
      [{ ...good, credentialId: b64u(new Uint8Array(1024)) }, /1024 bytes; WebAuthn allows at most 1023/],
      [{ ...good, userHandle: b64u(new Uint8Array(65)) }, /65 bytes; WebAuthn allows at most 64/],
      [{ ...good, userHandle: '' }, /no user handle/],
      [{ ...good, rpId: 'Example.COM' }, /capital letters/],
      [{ ...good, rpId: 'exa mple.com' }, /not an ASCII domain name|not a valid domain/],
      [{ ...good, rpId: '-bad.example' }, /not a valid domain name/],
      [{ ...good, rpId: '192.168.1.1' }, /IP address/],
      [{ ...good, rpId: 'a'.repeat(254) }, /254 characters long/],
      [{ ...good, rpId: 'bücher.example' }, /not an ASCII domain name/],
      [{ ...good, username: 'x'.repeat(1025) }, /1025 characters long; at most 1024/],
      [{ ...good, userDisplayName: undefined }, /"userDisplayName" is missing/],
      [{ ...good, key: b64u(new Uint8Array([0x30, 0x03, 0x02, 0x01])) }, /not valid PKCS#8 DER/],
      [{ ...good, key: b64u(p384) }, /P-384; Keyport supports P-256 only/],
      [{ ...good, fido2Extensions: { hmacCredentials: { algorithm: 'hmac-sha256', credWithUV: b64u(new Uint8Array(16)), credWithoutUV: 'AA' } } }, /PRF secret is 16 bytes/],
      [{ ...good, fido2Extensions: { hmacCredentials: { algorithm: 'hmac-sha256', credWithUV: 5 } } }, /"fido2Extensions.hmacCredentials.credWithUV" must be text/],
      [{ ...good, fido2Extensions: 'yes' }, /"fido2Extensions" must be an object/],
    ];
    for (const [cred, reason] of cases) {
      const doc = await parseCxf(header([cred, good]));
      expect(doc.passkeys.map((p) => p.rpId), String(reason)).toEqual(['ok.example']);
      expect(doc.invalid, String(reason)).toHaveLength(1);
      expect(doc.invalid[0]!.where).toBe('account 1, item 1 ‘T’, credential 1');
      expect(doc.invalid[0]!.reason).toMatch(reason);
    }
  });

  it('an item creation time beyond any date is refused for its passkey', async () => {
    const good = await goodCredential();
    const text = JSON.stringify({
      version: { major: 1, minor: 0 },
      exporterRpId: 'x',
      exporterDisplayName: 'X',
      timestamp: 1,
      accounts: [{ id: 'AA', username: '', email: '', collections: [], items: [{ id: 'AQ', title: 'T', creationAt: 9e15, credentials: [good] }] }],
    });
    expect((await parseCxf(text)).invalid[0]!.reason).toBe('Its creation time is not a date.');
  });

  it('an unknown hmac algorithm is not a PRF secret, and is written back as it was', async () => {
    const good = await goodCredential();
    const hmac = { algorithm: 'hmac-sha512', credWithUV: 'AAAA', credWithoutUV: 'BBBB' };
    const doc = await parseCxf(header([{ ...good, fido2Extensions: { hmacCredentials: hmac, payments: true } }]));
    expect(doc.passkeys[0]!.prfSecret).toBeUndefined();
    const again = readCxf(write(doc.passkeys, doc.preserved));
    expect(again.accounts[0]!.items[0]!.credentials[0]!.fido2Extensions).toEqual({ hmacCredentials: hmac, payments: true });
  });

  it('duplicates inside one file: the second is reported, the first imported', async () => {
    const good = await goodCredential();
    const doc = await parseCxf(header([good, { ...good, username: 'again' }]));
    expect(doc.passkeys).toHaveLength(1);
    expect(doc.invalid).toEqual([{ where: 'account 1, item 1 ‘T’, credential 2', reason: 'It has the same credential ID as account 1, item 1 ‘T’, credential 1; only the first is imported.' }]);
  });

  it('an account or item of the wrong shape is reported and kept', async () => {
    const text = JSON.stringify({ version: { major: 1, minor: 0 }, exporterRpId: 'x', exporterDisplayName: 'X', timestamp: 1, accounts: [42, { id: 'AA', items: [{ title: 'no list', credentials: 'nope' }] }] });
    const doc = await parseCxf(text);
    expect(doc.invalid.map((i) => i.where)).toEqual(['account 1', 'account 2, item 1 ‘no list’']);
    const again = readCxf(write([], doc.preserved));
    expect(again.accounts[0]).toBe(42);
    expect(again.accounts[1]!.items[0]!.credentials).toBe('nope');
  });

  it('writeCxf refuses preserved data of another format', async () => {
    expect(() => write([], { format: 'bitwarden', document: {} })).toThrow(TypeError);
  });
});

import { describe, expect, it } from 'vitest';
import { encode as b64u } from '../webauthn/base64url.ts';
import { ALG } from '../webauthn/cose.ts';
import { FORMATS, canExport, parseDocument, writeDocument } from './index.ts';
import { comparable, keyportPasskey, loadForeign } from '../../tests/vectors/formatFixtures.ts';
import type { FormatId } from './types.ts';

const NOW = 1_750_000_000_000;

describe('parseDocument / writeDocument', () => {
  it('every format: writeDocument then parseDocument gives the same passkeys', async () => {
    const es = [await keyportPasskey(ALG.ES256, { prfSecret: new Uint8Array(32).fill(9) }), await keyportPasskey(ALG.ES256)];
    const all = [...es, await keyportPasskey(ALG.EdDSA)];
    const cases: [FormatId, typeof all, (p: (typeof all)[number]) => unknown][] = [
      ['cxf', all, (p) => comparable(p, { precisionMs: 1000 })],
      ['bitwarden', es, (p) => comparable({ ...p, prfSecret: undefined })],
      ['keepassxc', all, (p) => comparable({ ...p, prfSecret: undefined, userDisplayName: p.userName }, { precisionMs: 1000 })],
    ];
    for (const [format, passkeys, view] of cases) {
      const text = await writeDocument(format, passkeys, { now: NOW });
      const doc = await parseDocument(format, text);
      expect(doc.invalid).toEqual([]);
      expect(doc.passkeys.map((p) => comparable(p, { precisionMs: format === 'bitwarden' ? 1 : 1000 }))).toEqual(passkeys.map(view));
    }
  });

  it('a password is for Bitwarden only; Bitwarden takes ES256 only', async () => {
    const ed = await keyportPasskey(ALG.EdDSA);
    await expect(writeDocument('cxf', [ed], { now: NOW, password: 'x' })).rejects.toMatchObject({ code: 'cannot-export' });
    expect(canExport('bitwarden', ed)).toBe(false);
    expect(canExport('cxf', ed)).toBe(true);
    expect(canExport('keepassxc', ed)).toBe(true);
    await expect(writeDocument('bitwarden', [ed], { now: NOW })).rejects.toMatchObject({ code: 'cannot-export' });
  });

  it('preserved data of one format is not accepted by another', async () => {
    const f = await loadForeign();
    const doc = await parseDocument('cxf', f.cxfDocument([await f.makeForeignPasskey({ rpId: 'a.example', userName: 'u' })]));
    await expect(writeDocument('bitwarden', [], { now: NOW, preserved: doc.preserved })).rejects.toThrow(TypeError);
    await expect(writeDocument('keepassxc', [], { now: NOW, preserved: doc.preserved })).rejects.toThrow(TypeError);
  });

  it('a UTF-8 byte order mark before JSON is not an error', async () => {
    const f = await loadForeign();
    const text = '\uFEFF' + f.cxfDocument([await f.makeForeignPasskey({ rpId: 'a.example', userName: 'u' })]);
    expect((await parseDocument('cxf', text)).passkeys).toHaveLength(1);
  });
});

describe('limits against hostile files', () => {
  it('a document over 64 MiB is refused before it is read', async () => {
    const huge = ' '.repeat(64 * 1024 * 1024 + 1);
    for (const format of FORMATS) await expect(parseDocument(format, huge)).rejects.toMatchObject({ code: 'too-large' });
  });

  it('an empty file, or one that is not text, is refused', async () => {
    await expect(parseDocument('cxf', '  \n')).rejects.toMatchObject({ code: 'not-this-format', message: 'This file is empty.' });
    await expect(parseDocument('cxf', 42 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('more than 100000 items is refused as a whole', async () => {
    const items = Array.from({ length: 100_001 }, () => ({ type: 2, name: 'n' }));
    await expect(parseDocument('bitwarden', JSON.stringify({ encrypted: false, folders: [], items }))).rejects.toMatchObject({ code: 'too-large' });
  });

  it('a huge field is one InvalidEntry, not a crash', async () => {
    const f = await loadForeign();
    const m = await f.makeForeignPasskey({ rpId: 'a.example', userName: 'x'.repeat(2_000_000) });
    const doc = await parseDocument('cxf', f.cxfDocument([m]));
    expect(doc.passkeys).toEqual([]);
    expect(doc.invalid[0]!.reason).toMatch(/user name is 2000000 characters long; at most 1024/);
  });

  it('deeply nested JSON is a FormatError, not a crash', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    for (const format of ['cxf', 'bitwarden'] as const) await expect(parseDocument(format, deep)).rejects.toMatchObject({ name: 'FormatError' });
  });

  it('bytes of a passkey are copied out of the file, and ids are what the file said', async () => {
    const f = await loadForeign();
    const m = await f.makeForeignPasskey({ rpId: 'a.example', userName: 'u', credentialIdLength: 1023 });
    const doc = await parseDocument('cxf', f.cxfDocument([m]));
    expect(b64u(doc.passkeys[0]!.credentialId)).toBe(m.credentialIdB64);
  });
});

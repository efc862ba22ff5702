// The one validation module (docs/design.md rules 1, 2 and 8): what it refuses, with which name, in which order.
import { describe, expect, it } from 'vitest';
import { ORIGIN, RP_ID, sameOrigin } from '../../../tests/vectors/ceremonyHarness.ts';
import { validateCreate, validateGet, validateRequest, validateSignal, withRelatedOrigins } from './validate.ts';
import type { Caller } from '../types.ts';

const createOptions = (rpId: string | null = RP_ID) => ({
  rp: { name: 'Example', ...(rpId !== null ? { id: rpId } : {}) },
  user: { id: 'dXNlci0x', name: 'alice', displayName: 'Alice' },
  challenge: 'AAECAwQFBgcICQoLDA0ODw',
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
});
const getOptions = (rpId: string | null = RP_ID) => ({ challenge: 'AAECAwQFBgcICQoLDA0ODw', ...(rpId !== null ? { rpId } : {}) });

function errorName(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as Error).name;
  }
}

describe('rule 1: an opaque origin is refused, never read from the URL', () => {
  const opaque: Caller = { origin: 'null', sameOriginWithAncestors: true, door: 'shim' };
  it('Spec §5.1.3 step 7: create() from an opaque origin → NotAllowedError', () => {
    expect(errorName(() => validateCreate(createOptions(), opaque, true))).toBe('NotAllowedError');
  });
  it('Spec §5.1.4.1 step 7: get() from an opaque origin → NotAllowedError, with or without an rpId', () => {
    expect(errorName(() => validateGet(getOptions(), opaque, true))).toBe('NotAllowedError');
    expect(errorName(() => validateGet(getOptions(null), opaque, true))).toBe('NotAllowedError');
  });
  it('an opaque origin in a cross-origin frame is refused the same way', () => {
    expect(errorName(() => validateGet(getOptions(), { ...opaque, sameOriginWithAncestors: false, topOrigin: ORIGIN }, true))).toBe('NotAllowedError');
  });
});

describe("rule 2: the document's own permissions policy", () => {
  it('Deviation (as Chromium): a same-origin document whose policy disables the feature → NotAllowedError', () => {
    expect(errorName(() => validateCreate(createOptions(), sameOrigin, false))).toBe('NotAllowedError');
    expect(errorName(() => validateGet(getOptions(), sameOrigin, false))).toBe('NotAllowedError');
  });
  it('Spec §5.1.3 step 2: a cross-origin frame without the feature → NotAllowedError; with it, crossOrigin and topOrigin kept', () => {
    const framed: Caller = { origin: ORIGIN, sameOriginWithAncestors: false, topOrigin: 'https://shop.example', door: 'shim' };
    expect(errorName(() => validateGet(getOptions(), framed, false))).toBe('NotAllowedError');
    expect(validateGet(getOptions(), framed, true).caller).toEqual(framed);
  });
  it('the proxy door: the browser checked the policy already', () => {
    expect(validateGet(getOptions(), { ...sameOrigin, door: 'proxy' }, false).rpId).toBe(RP_ID);
  });
});

describe('§5.1.3 step 2: create() in a cross-site frame needs transient activation', () => {
  const framed: Caller = { origin: ORIGIN, sameOriginWithAncestors: false, topOrigin: 'https://shop.example', door: 'shim' };
  it('Deviation (as Chromium 156): a same-site cross-origin frame creates without it', () => {
    expect(validateCreate(createOptions(), { ...framed, topOrigin: 'https://www.example.com' }, true).rpId).toBe(RP_ID);
    expect(errorName(() => validateCreate(createOptions(), { ...framed, topOrigin: 'http://www.example.com' }, true))).toBe('NotAllowedError');
    expect(errorName(() => validateCreate(createOptions(), { ...framed, topOrigin: undefined }, true))).toBe('NotAllowedError');
  });
  it('without it → NotAllowedError; with it, accepted; get() does not need it; the proxy door: the browser checked', () => {
    expect(errorName(() => validateCreate(createOptions(), framed, true))).toBe('NotAllowedError');
    expect(validateCreate(createOptions(), { ...framed, transientActivation: true }, true).rpId).toBe(RP_ID);
    expect(validateGet(getOptions(), framed, true).rpId).toBe(RP_ID);
    expect(validateCreate(createOptions(), { ...framed, door: 'proxy' }, false).rpId).toBe(RP_ID);
  });
  it('a same-origin document creates without it', () => {
    expect(validateCreate(createOptions(), sameOrigin, true).rpId).toBe(RP_ID);
  });
});

describe('§5.1.3 step 8: the RP ID, checked before anything is shown', () => {
  it('a registrable suffix of the origin is accepted; absent, the effective domain', () => {
    expect(validateCreate(createOptions(), sameOrigin, true).rpId).toBe(RP_ID);
    expect(validateCreate(createOptions(null), sameOrigin, true).rpId).toBe('login.example.com');
    expect(validateGet(getOptions(null), sameOrigin, true).rpId).toBe('login.example.com');
  });
  it('a foreign RP ID → SecurityError (a page on evil.example asking for bank.example)', () => {
    const evil: Caller = { origin: 'https://evil.example', sameOriginWithAncestors: true, door: 'shim' };
    expect(errorName(() => validateGet(getOptions('bank.example'), evil, true))).toBe('SecurityError');
    expect(errorName(() => validateCreate(createOptions('bank.example'), evil, true))).toBe('SecurityError');
  });
  it('whole labels only: login.example.com may not claim gin.example.com or a public suffix', () => {
    expect(errorName(() => validateGet(getOptions('gin.example.com'), sameOrigin, true))).toBe('SecurityError');
    expect(errorName(() => validateGet(getOptions('com'), sameOrigin, true))).toBe('SecurityError');
  });
  it('http is only for localhost', () => {
    const http: Caller = { origin: 'http://login.example.com', sameOriginWithAncestors: true, door: 'shim' };
    expect(errorName(() => validateGet(getOptions(), http, true))).toBe('SecurityError');
    expect(validateGet(getOptions('localhost'), { ...http, origin: 'http://localhost:8080' }, true).rpId).toBe('localhost');
  });
});

describe('order of the checks: the names the browser gives', () => {
  it('malformed options are a TypeError, even from a refused document', () => {
    expect(errorName(() => validateRequest('get', { challenge: 42 }, { ...sameOrigin, origin: 'null' }, false))).toBe('TypeError');
  });
  it('the policy before the RP ID: a disabled document learns nothing about its RP ID', () => {
    const evil: Caller = { origin: 'https://evil.example', sameOriginWithAncestors: true, door: 'shim' };
    expect(errorName(() => validateGet(getOptions('bank.example'), evil, false))).toBe('NotAllowedError');
  });
  it('user.id over 64 bytes is a TypeError', () => {
    const options = { ...createOptions(), user: { id: 'A'.repeat(88), name: 'a', displayName: 'A' } };
    expect(errorName(() => validateCreate(options, sameOrigin, true))).toBe('TypeError');
  });
  it('credProps in get() is NotSupportedError, a prf.evalByCredential key not allowed a SyntaxError', () => {
    expect(errorName(() => validateGet({ ...getOptions(), extensions: { credProps: true } }, sameOrigin, true))).toBe('NotSupportedError');
    const prf = { eval: undefined, evalByCredential: { AAAA: { first: 'AAAA' } } };
    expect(errorName(() => validateGet({ ...getOptions(), allowCredentials: [{ type: 'public-key', id: 'BBBB' }], extensions: { prf } }, sameOrigin, true))).toBe('SyntaxError');
  });
});

describe('signals (§5.1.10): the same module as ceremonies', () => {
  const page: Caller = { origin: 'https://login.example.com', sameOriginWithAncestors: true, door: 'shim' };
  const unknown = (o: Record<string, unknown>) => validateSignal('unknownCredential', { rpId: 'example.com', credentialId: 'AAAA', ...o }, page);
  it('accepts the origin\'s effective domain or a registrable suffix, and names the caller\'s origin', () => {
    expect(unknown({})).toEqual({ kind: 'unknownCredential', rpId: 'example.com', credentialId: 'AAAA', origin: 'https://login.example.com' });
    expect(unknown({ rpId: 'login.example.com' }).rpId).toBe('login.example.com');
    expect((unknown({ credentialId: '' }) as { credentialId: string }).credentialId).toBe(''); // as Chromium 156: "" decodes
  });
  it('another site, a public suffix, an uppercase RP ID or an opaque or insecure caller → SecurityError', () => {
    expect(errorName(() => unknown({ rpId: 'other.example' }))).toBe('SecurityError');
    expect(errorName(() => unknown({ rpId: 'com' }))).toBe('SecurityError');
    expect(errorName(() => unknown({ rpId: 'EXAMPLE.COM' }))).toBe('SecurityError');
    expect(errorName(() => validateSignal('unknownCredential', { rpId: 'example.com', credentialId: 'AAAA' }, { ...page, origin: 'null' }))).toBe('SecurityError');
    expect(errorName(() => validateSignal('unknownCredential', { rpId: 'example.com', credentialId: 'AAAA' }, { ...page, origin: 'http://login.example.com' }))).toBe('SecurityError');
  });
  it('base64url first: padding, the standard alphabet or junk → TypeError, even for another site (as Chromium)', () => {
    for (const id of ['AA==', 'a+b/', '!!', 'A']) expect(errorName(() => unknown({ credentialId: id }))).toBe('TypeError');
    expect(errorName(() => unknown({ rpId: 'other.example', credentialId: '!!' }))).toBe('TypeError');
    expect(errorName(() => validateSignal('allAcceptedCredentials', { rpId: 'example.com', userId: 'AAAA', allAcceptedCredentialIds: ['AAAA', 'a/'] }, page))).toBe('TypeError');
    expect(errorName(() => validateSignal('currentUserDetails', { rpId: 'example.com', userId: 'x=', name: 'a', displayName: 'b' }, page))).toBe('TypeError');
  });
  it('a member missing or of another type → TypeError', () => {
    expect(errorName(() => validateSignal('unknownCredential', { rpId: 'example.com' }, page))).toBe('TypeError');
    expect(errorName(() => validateSignal('allAcceptedCredentials', { rpId: 'example.com', userId: 'AAAA', allAcceptedCredentialIds: 'AAAA' }, page))).toBe('TypeError');
    expect(errorName(() => validateSignal('currentUserDetails', { rpId: 'example.com', userId: 'AAAA', name: 'a' }, page))).toBe('TypeError');
    expect(errorName(() => validateSignal('currentUserDetails', null, page))).toBe('TypeError');
  });
  it('passes the names and the accepted list through as given', () => {
    expect(validateSignal('currentUserDetails', { rpId: 'example.com', userId: 'AAAA', name: 'a@b', displayName: 'A B' }, page)).toMatchObject({ userId: 'AAAA', name: 'a@b', displayName: 'A B' });
    expect(validateSignal('allAcceptedCredentials', { rpId: 'example.com', userId: 'AAAA', allAcceptedCredentialIds: [] }, page)).toMatchObject({ allAcceptedCredentialIds: [] });
  });
});

describe('extension inputs the client refuses (NotSupportedError, as Chromium 156; tests/e2e/differential.test.mjs)', () => {
  const create = (extensions: object) => errorName(() => validateCreate({ ...createOptions(), extensions }, sameOrigin, true));
  const get = (extensions: object, allowCredentials?: object[]) =>
    errorName(() => validateGet({ ...getOptions(), extensions, ...(allowCredentials ? { allowCredentials } : {}) }, sameOrigin, true));
  const allowed = { type: 'public-key', id: 'AAECAwQFBgcICQoLDA0ODw' };

  it.each(['', 'null', 'https://login.example.com'])('§10.1.1 appid %j in create() → NotSupportedError', (appid) => {
    expect(create({ appid })).toBe('NotSupportedError');
  });
  it('§10.1.5 largeBlob read or write in create() → NotSupportedError, read false too; support alone is accepted', () => {
    expect(create({ largeBlob: { read: true } })).toBe('NotSupportedError');
    expect(create({ largeBlob: { read: false } })).toBe('NotSupportedError');
    expect(create({ largeBlob: { write: 'AQID' } })).toBe('NotSupportedError');
    expect(create({ largeBlob: { support: 'preferred', read: true } })).toBe('NotSupportedError');
    expect(create({ largeBlob: { support: 'required' } })).toBeUndefined();
    expect(create({ largeBlob: {} })).toBeUndefined();
  });
  it('§10.1.5 largeBlob support in get(), or read with write → NotSupportedError', () => {
    expect(get({ largeBlob: { support: 'preferred' } })).toBe('NotSupportedError');
    expect(get({ largeBlob: { read: true, write: 'AQID' } }, [allowed])).toBe('NotSupportedError');
    expect(get({ largeBlob: { read: true } })).toBeUndefined();
  });
  it('largeBlob write needs exactly one allowed credential (as Chromium 156)', () => {
    expect(get({ largeBlob: { write: 'AQID' } })).toBe('NotSupportedError');
    expect(get({ largeBlob: { write: 'AQID' } }, [allowed, { ...allowed, id: 'AAAA' }])).toBe('NotSupportedError');
    expect(get({ largeBlob: { write: 'AQID' } }, [allowed])).toBeUndefined();
  });
  it('largeBlob write of at most 2048 bytes; over it → NotSupportedError (as Chromium 156)', () => {
    const bytes = (n: number) => 'A'.repeat(Math.ceil((n * 4) / 3));
    expect(get({ largeBlob: { write: bytes(2048) } }, [allowed])).toBeUndefined();
    expect(get({ largeBlob: { write: bytes(2049) } }, [allowed])).toBe('NotSupportedError');
    expect(get({ largeBlob: { write: bytes(40_000) } }, [allowed])).toBe('NotSupportedError');
  });
  it('an extension error comes before the RP ID check, as in Chromium (the renderer refuses it first)', () => {
    expect(errorName(() => validateCreate({ ...createOptions('other.example'), extensions: { appid: '' } }, sameOrigin, true))).toBe('NotSupportedError');
    expect(errorName(() => validateGet({ ...getOptions('other.example'), extensions: { largeBlob: { support: 'required' } } }, sameOrigin, true))).toBe('NotSupportedError');
  });
  it('a malformed extension input is a TypeError (rule 6)', () => {
    expect(create({ largeBlob: { support: 5 } })).toBe('TypeError');
    expect(create({ credBlob: 'not base64url!' })).toBe('TypeError');
    expect(get({ getCredBlob: 'yes' })).toBe('TypeError');
  });
});

describe('§5.11 related origins on the page-script door (withRelatedOrigins)', () => {
  const caller: Caller = { origin: 'https://shop.example', sameOriginWithAncestors: true, door: 'shim' };
  const listing = (listed: Record<string, string[]>) => {
    const asked: string[] = [];
    const check = async (origin: string, rpId: string) => (asked.push(rpId), (listed[rpId] ?? []).includes(origin));
    return { asked, check };
  };

  it('an RP ID whose document lists the origin is accepted for create(), get() and signals', async () => {
    const { asked, check } = listing({ 'rp.example': ['https://shop.example'] });
    const c = await withRelatedOrigins((r) => validateCreate(createOptions('rp.example'), caller, true, r), caller, check);
    expect(c.rpId).toBe('rp.example');
    const g = await withRelatedOrigins((r) => validateGet(getOptions('rp.example'), caller, true, r), caller, check);
    expect(g.rpId).toBe('rp.example');
    const s = await withRelatedOrigins((r) => validateSignal('unknownCredential', { rpId: 'rp.example', credentialId: 'AAAA' }, caller, r), caller, check);
    expect(s).toMatchObject({ rpId: 'rp.example', origin: 'https://shop.example' });
    expect(asked).toEqual(['rp.example', 'rp.example', 'rp.example']);
  });

  it('not listed, or the check fails whatever the reason → SecurityError', async () => {
    const { check } = listing({ 'rp.example': ['https://other.example'] });
    await expect(withRelatedOrigins((r) => validateCreate(createOptions('rp.example'), caller, true, r), caller, check)).rejects.toMatchObject({ name: 'SecurityError' });
    const broken = async () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(withRelatedOrigins((r) => validateGet(getOptions('rp.example'), caller, true, r), caller, broken)).rejects.toMatchObject({ name: 'SecurityError' });
  });

  it('only a foreign registrable RP ID is asked about: never a public suffix, an IP, an upper-case name, or other errors', async () => {
    const { asked, check } = listing({});
    for (const rpId of ['com', '127.0.0.1', 'Rp.example', 'localhost']) {
      await expect(withRelatedOrigins((r) => validateCreate(createOptions(rpId), caller, true, r), caller, check)).rejects.toMatchObject({ name: 'SecurityError' });
    }
    await expect(withRelatedOrigins((r) => validateCreate({ ...createOptions('rp.example'), challenge: 1 }, caller, true, r), caller, check)).rejects.toMatchObject({ name: 'TypeError' });
    const opaque: Caller = { ...caller, origin: 'null' };
    await expect(withRelatedOrigins((r) => validateGet(getOptions('rp.example'), opaque, true, r), opaque, check)).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect(asked).toEqual([]);
  });

  it('a grant is for the one RP ID it was checked for', () => {
    expect(errorName(() => validateCreate(createOptions('bank.example'), caller, true, 'rp.example'))).toBe('SecurityError');
  });

  it('the proxy door: the browser checked, and Keyport checks a related origin again (it is stricter)', async () => {
    const proxy: Caller = { ...caller, door: 'proxy' };
    const { asked, check } = listing({ 'rp.example': ['https://shop.example'] });
    const c = await withRelatedOrigins((r) => validateCreate(createOptions('rp.example'), proxy, true, r), proxy, check);
    expect(c.rpId).toBe('rp.example');
    await expect(withRelatedOrigins((r) => validateGet(getOptions('bank.example'), proxy, true, r), proxy, check)).rejects.toMatchObject({ name: 'SecurityError' });
    // Its own domain or a suffix: as the browser said, nothing fetched.
    expect((await withRelatedOrigins((r) => validateGet(getOptions('shop.example'), proxy, true, r), proxy, check)).rpId).toBe('shop.example');
    expect(asked).toEqual(['rp.example', 'bank.example']);
  });
});

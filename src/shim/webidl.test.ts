// WebIDL §3.2 conversion of the WebAuthn dictionaries, in Node. The browsers are the reference for
// these rules (tests/e2e/differential.test.mjs compares them live); here they are pinned case by case.
import { describe, expect, it } from 'vitest';
import { decode } from '../webauthn/base64url.ts';
import { bufferSource, convertCreationOptions, convertCredentialOptions, convertRequestOptions } from './webidl.ts';

const creation = (over: Record<string, unknown> = {}) => ({
  rp: { name: 'Example' },
  user: { id: new Uint8Array([1, 2, 3]), name: 'alice', displayName: 'Alice' },
  challenge: new Uint8Array(16).fill(7),
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
  ...over,
});

describe('WebIDL BufferSource', () => {
  it('a view gives its own bytes, not its whole buffer', () => {
    const buffer = Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]).buffer;
    expect([...bufferSource(new Uint8Array(buffer, 2, 3), 'x')]).toEqual([2, 3, 4]);
    expect([...bufferSource(new DataView(buffer, 5, 2), 'x')]).toEqual([5, 6]);
    expect([...bufferSource(new Int16Array(buffer, 2, 1), 'x')]).toEqual([2, 3]);
    expect([...bufferSource(buffer, 'x')]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('copies: later writes to the page buffer do not change the request', () => {
    const view = new Uint8Array([9, 9]);
    const copy = bufferSource(view, 'x');
    view[0] = 1;
    expect([...copy]).toEqual([9, 9]);
  });

  it.each([[[1, 2, 3]], ['AQID'], [42], [null], [{ length: 3 }]])('%j is a TypeError', (value) => {
    expect(() => bufferSource(value, 'challenge')).toThrow(TypeError);
  });

  it('a SharedArrayBuffer-backed view is a TypeError', () => {
    expect(() => bufferSource(new Uint8Array(new SharedArrayBuffer(4)), 'challenge')).toThrow(TypeError);
  });
});

describe('PublicKeyCredentialCreationOptions', () => {
  it('converts to the JSON form with defaults filled in', () => {
    const json = convertCreationOptions(creation());
    expect(json).toEqual({
      rp: { name: 'Example' },
      user: { id: 'AQID', name: 'alice', displayName: 'Alice' },
      challenge: 'BwcHBwcHBwcHBwcHBwcHBw',
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      excludeCredentials: [],
      hints: [],
      attestation: 'none',
      attestationFormats: [],
    });
  });

  it.each(['rp', 'user', 'challenge', 'pubKeyCredParams'])('a missing required member %s is a TypeError', (member) => {
    expect(() => convertCreationOptions(creation({ [member]: undefined }))).toThrow(TypeError);
  });

  it.each([['rp', 'name'], ['user', 'id'], ['user', 'name'], ['user', 'displayName']])('a missing %s.%s is a TypeError', (outer, inner) => {
    const o = creation() as unknown as Record<string, Record<string, unknown>>;
    delete o[outer]![inner];
    expect(() => convertCreationOptions(o)).toThrow(TypeError);
  });

  it('DOMString members go through ToString; a Symbol is a TypeError', () => {
    const json = convertCreationOptions(creation({ rp: { name: 42, id: { toString: () => 'localhost' } } }));
    expect(json.rp).toEqual({ name: '42', id: 'localhost' });
    expect(() => convertCreationOptions(creation({ rp: { name: Symbol('x') } }))).toThrow(TypeError);
  });

  it('long alg and unsigned long timeout: ToNumber, NaN to 0, modulo 2^32', () => {
    const json = convertCreationOptions(creation({ pubKeyCredParams: [{ type: 'public-key', alg: '-7' }, { type: 'public-key', alg: 1.9 }], timeout: '5000' }));
    expect(json.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, 1]);
    expect(json.timeout).toBe(5000);
    expect(convertCreationOptions(creation({ timeout: -1 })).timeout).toBe(4294967295);
    expect(convertCreationOptions(creation({ timeout: Number.NaN })).timeout).toBe(0);
  });

  it('unknown values of DOMString "enums" fall back to their defaults, as the spec says to ignore them', () => {
    const json = convertCreationOptions(creation({ attestation: 'bogus', authenticatorSelection: { userVerification: 'bogus', residentKey: 'bogus', authenticatorAttachment: 'bogus' } }));
    expect(json.attestation).toBe('none');
    expect(json.authenticatorSelection).toEqual({ requireResidentKey: false, userVerification: 'preferred' });
  });

  it('unknown extensions are dropped; credProps and prf are converted', () => {
    const json = convertCreationOptions(creation({ extensions: { foo: 1, credProps: 1, prf: { eval: { first: new Uint8Array([1]) } } } }));
    expect(json.extensions).toEqual({ credProps: true, prf: { eval: { first: 'AQ' } } });
  });

  it('a sequence must be iterable: an object with length is a TypeError', () => {
    expect(() => convertCreationOptions(creation({ pubKeyCredParams: { length: 1, 0: { type: 'public-key', alg: -7 } } }))).toThrow(TypeError);
  });

  it('getters are read (once per member)', () => {
    let reads = 0;
    const o = creation();
    Object.defineProperty(o, 'challenge', { get: () => (reads++, new Uint8Array([5])), enumerable: true });
    expect(decode(convertCreationOptions(o).challenge)).toEqual(new Uint8Array([5]));
    expect(reads).toBe(1);
  });
});

describe('PublicKeyCredentialRequestOptions', () => {
  it('converts allowCredentials descriptors, keeping unknown types for the client to filter', () => {
    const json = convertRequestOptions({ challenge: new Uint8Array([1]), allowCredentials: [{ type: 'future', id: new Uint8Array([2]), transports: ['usb'] }] });
    expect(json).toEqual({ challenge: 'AQ', allowCredentials: [{ type: 'future', id: 'Ag', transports: ['usb'] }], hints: [], userVerification: 'preferred' });
  });

  it('a descriptor without an id is a TypeError', () => {
    expect(() => convertRequestOptions({ challenge: new Uint8Array([1]), allowCredentials: [{ type: 'public-key' }] })).toThrow(TypeError);
  });
});

describe('CredentialCreationOptions / CredentialRequestOptions', () => {
  it('mediation is an enum: an unknown value is a TypeError', () => {
    expect(() => convertCredentialOptions({ mediation: 'bogus' }, 'get')).toThrow(TypeError);
    expect(convertCredentialOptions({ mediation: 'conditional' }, 'get').mediation).toBe('conditional');
  });

  it('signal must be an AbortSignal', () => {
    expect(() => convertCredentialOptions({ signal: {} }, 'get')).toThrow(TypeError);
    expect(convertCredentialOptions({ signal: AbortSignal.abort() }, 'get').signal?.aborted).toBe(true);
  });

  it('options that are not a dictionary are a TypeError; undefined and null are empty', () => {
    expect(() => convertCredentialOptions(42, 'get')).toThrow(TypeError);
    expect(convertCredentialOptions(undefined, 'get')).toEqual({ mediation: 'optional', signal: undefined, publicKey: undefined, other: false });
    expect(convertCredentialOptions(null, 'get').publicKey).toBeUndefined();
  });

  it('uiMode is an enum of a request only (Chromium 156: immediate, passive), read after signal', () => {
    expect(convertCredentialOptions({ uiMode: 'immediate' }, 'get').uiMode).toBe('immediate');
    expect(() => convertCredentialOptions({ uiMode: 'modal' }, 'get')).toThrow(/CredentialUiModeRequirement/);
    expect(() => convertCredentialOptions({ uiMode: '' }, 'get')).toThrow(TypeError);
    // CredentialCreationOptions has no such member: create() never reads it.
    expect(convertCredentialOptions({ uiMode: 'bogus' }, 'create').uiMode).toBeUndefined();
    const seen: string[] = [];
    const o = new Proxy({ uiMode: 'immediate', mediation: 'optional', publicKey: {} }, { get: (t, k) => (typeof k === 'string' && seen.push(k), t[k as keyof typeof t]) });
    convertCredentialOptions(o, 'get');
    expect(seen).toEqual(['digital', 'federated', 'identity', 'mediation', 'otp', 'password', 'publicKey', 'signal', 'uiMode']);
  });

  it('a password or federated member marks the request as not only publicKey', () => {
    expect(convertCredentialOptions({ password: true, publicKey: {} }, 'get').other).toBe(true);
  });
});

describe('convertSignalOptions (WebAuthn L3 §5.1.10 dictionaries)', () => {
  it('reads every required member as a DOMString, the accepted ids as a sequence, in lexicographic order', async () => {
    const { convertSignalOptions } = await import('./webidl.ts');
    const read: string[] = [];
    const spy = new Proxy({ rpId: 'example.com', userId: 'AAAA', allAcceptedCredentialIds: new Set(['AAAA', 'BBBB']) }, { get: (t, k) => (read.push(String(k)), (t as Record<string | symbol, unknown>)[k]) });
    expect(convertSignalOptions('allAcceptedCredentials', spy)).toEqual({ allAcceptedCredentialIds: ['AAAA', 'BBBB'], rpId: 'example.com', userId: 'AAAA' });
    expect(read).toEqual(['allAcceptedCredentialIds', 'rpId', 'userId']);
    expect(convertSignalOptions('currentUserDetails', { rpId: 1, userId: 'AAAA', name: { toString: () => 'n' }, displayName: 'd' })).toEqual({ displayName: 'd', name: 'n', rpId: '1', userId: 'AAAA' });
  });
  it('a missing member, a non-sequence or a non-dictionary → TypeError', async () => {
    const { convertSignalOptions } = await import('./webidl.ts');
    expect(() => convertSignalOptions('unknownCredential', { rpId: 'example.com' })).toThrow(TypeError);
    expect(() => convertSignalOptions('unknownCredential', undefined)).toThrow(TypeError);
    expect(() => convertSignalOptions('unknownCredential', 5)).toThrow(TypeError);
    expect(() => convertSignalOptions('allAcceptedCredentials', { rpId: 'e', userId: 'AAAA', allAcceptedCredentialIds: 5 })).toThrow(TypeError);
  });
});

describe('AuthenticationExtensionsClientInputs: inputs the client checks reach it intact', () => {
  it('appid is a USVString: null is "null", an empty string stays, so create() can refuse any of them', () => {
    expect(convertCreationOptions(creation({ extensions: { appid: null } })).extensions).toEqual({ appid: 'null' });
    expect(convertCreationOptions(creation({ extensions: { appid: '' } })).extensions).toEqual({ appid: '' });
    expect(convertCreationOptions(creation({ extensions: { appid: undefined } })).extensions).toEqual({});
    expect(() => convertCreationOptions(creation({ extensions: { appid: Symbol('x') } }))).toThrow(TypeError);
  });

  it('§10.1.5 largeBlob: support a DOMString, read a boolean, write a BufferSource (a view gives its own bytes)', () => {
    const write = new Uint8Array([0, 1, 2, 3]).subarray(1, 3);
    expect(convertRequestOptions({ challenge: new Uint8Array(4), extensions: { largeBlob: { read: 0, support: 7, write } } }).extensions).toEqual({
      largeBlob: { read: false, support: '7', write: 'AQI' },
    });
    expect(convertCreationOptions(creation({ extensions: { largeBlob: null } })).extensions).toEqual({ largeBlob: {} });
    expect(() => convertCreationOptions(creation({ extensions: { largeBlob: 5 } }))).toThrow(TypeError);
    expect(() => convertRequestOptions({ challenge: new Uint8Array(4), extensions: { largeBlob: { write: 'AQI' } } })).toThrow(TypeError);
  });

  it('§10.1.5 a largeBlob write over 2048 bytes crosses the bridge as its first 2049, which the client refuses', () => {
    const big = new Uint8Array(10 * 1024 * 1024).fill(1);
    const write = convertRequestOptions({ challenge: new Uint8Array(4), extensions: { largeBlob: { write: big } } }).extensions?.largeBlob?.write;
    expect(write).toHaveLength(Math.ceil((2049 * 4) / 3));
    const exact = convertRequestOptions({ challenge: new Uint8Array(4), extensions: { largeBlob: { write: big.subarray(0, 2048) } } }).extensions?.largeBlob?.write;
    expect(exact).toHaveLength(Math.ceil((2048 * 4) / 3));
  });

  it('credBlob a BufferSource, getCredBlob a boolean', () => {
    expect(convertCreationOptions(creation({ extensions: { credBlob: new Uint8Array([255]), getCredBlob: 1 } })).extensions).toEqual({ credBlob: '_w', getCredBlob: true });
    expect(() => convertCreationOptions(creation({ extensions: { credBlob: [1] } }))).toThrow(TypeError);
  });
});

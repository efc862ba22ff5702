import { createHash } from 'node:crypto';
import { decodeCredentialPublicKey, isoCBOR, parseAuthenticatorData } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import { type CborMap, encode } from './cbor.ts';
import { ALG, encodeCoseKey } from './cose.ts';
import { type AuthData, FLAG, encodeAuthData, parseAuthData } from './authData.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const sha256 = (s: string) => Uint8Array.from(createHash('sha256').update(s).digest());

const RP_ID_HASH = sha256('example.com');
const AAGUID = hex('000102030405060708090a0b0c0d0e0f');
const CRED_ID = hex('c0ffee00112233445566778899aabbccddeeff');
const COSE = encode(encodeCoseKey({ alg: ALG.EdDSA, x: hex('11'.repeat(32)) }));

const withAcd: AuthData = {
  rpIdHash: RP_ID_HASH,
  flags: FLAG.UP | FLAG.UV | FLAG.BE,
  signCount: 0,
  attestedCredentialData: { aaguid: AAGUID, credentialId: CRED_ID, credentialPublicKey: COSE },
};

describe('WebAuthn L3 §6.1 authenticator data layout', () => {
  it('Spec: rpIdHash of "example.com" is SHA-256 of its UTF-8 bytes', () => {
    expect(toHex(RP_ID_HASH)).toBe('a379a6f6eeafb9a55e378c118034e2751e682fab9f2d30ab13d2125586ce1947');
  });

  it('Spec: rpIdHash (32) || flags (1) || signCount (4, big-endian) without attested data', () => {
    const bytes = encodeAuthData({ rpIdHash: RP_ID_HASH, flags: FLAG.UP | FLAG.BE | FLAG.BS, signCount: 0x01020304 });
    expect(toHex(bytes)).toBe(toHex(RP_ID_HASH) + '19' + '01020304');
  });

  it('Spec: §6.5.1 attested credential data is aaguid (16) || L (2, big-endian) || credentialId (L) || COSE key, and sets AT', () => {
    const bytes = encodeAuthData(withAcd);
    expect(toHex(bytes)).toBe(toHex(RP_ID_HASH) + '4d' + '00000000' + toHex(AAGUID) + '0013' + toHex(CRED_ID) + toHex(COSE));
  });

  it('Spec: extensions are a CBOR map after the attested data, and set ED', () => {
    const extensions: CborMap = new Map([['credProtect', 2]]);
    const bytes = encodeAuthData({ ...withAcd, extensions });
    expect(bytes[32]).toBe(FLAG.UP | FLAG.UV | FLAG.BE | FLAG.AT | FLAG.ED);
    expect(toHex(bytes.subarray(bytes.length - encode(extensions).length))).toBe(toHex(encode(extensions)));
  });

  it('derives AT and ED from the content, not from the flags given', () => {
    const bytes = encodeAuthData({ rpIdHash: RP_ID_HASH, flags: 0xff, signCount: 0, extensions: new Map() });
    expect(bytes[32]).toBe(0xff & ~(FLAG.AT | FLAG.ED));
    expect(bytes.length).toBe(37);
  });

  it('writes the signature counter as an unsigned 32-bit big-endian value', () => {
    const bytes = encodeAuthData({ rpIdHash: RP_ID_HASH, flags: FLAG.UP, signCount: 0xfffffffe });
    expect(toHex(bytes.subarray(33))).toBe('fffffffe');
    expect(parseAuthData(bytes).signCount).toBe(0xfffffffe);
  });

  it('refuses a bad rpIdHash, aaguid or an over-long credentialId', () => {
    expect(() => encodeAuthData({ ...withAcd, rpIdHash: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => encodeAuthData({ ...withAcd, attestedCredentialData: { ...withAcd.attestedCredentialData!, aaguid: new Uint8Array(15) } })).toThrow(RangeError);
    expect(() =>
      encodeAuthData({ ...withAcd, attestedCredentialData: { ...withAcd.attestedCredentialData!, credentialId: new Uint8Array(1024) } }),
    ).toThrow(RangeError);
  });
});

describe('encode ⇄ parse', () => {
  const cases: [string, AuthData][] = [
    ['assertion (no attested data, no extensions)', { rpIdHash: RP_ID_HASH, flags: FLAG.UP | FLAG.BE, signCount: 7 }],
    ['registration (attested data)', withAcd],
    ['registration with extensions', { ...withAcd, flags: withAcd.flags | FLAG.AT | FLAG.ED, extensions: new Map([['credProtect', 1]]) }],
    [
      'assertion with extensions',
      { rpIdHash: RP_ID_HASH, flags: FLAG.UP | FLAG.ED, signCount: 1, extensions: new Map<string, Uint8Array>([['hmac-secret', hex('00ff')]]) },
    ],
    [
      'credentialId of the maximum 1023 bytes',
      { ...withAcd, flags: withAcd.flags | FLAG.AT, attestedCredentialData: { ...withAcd.attestedCredentialData!, credentialId: new Uint8Array(1023).fill(7) } },
    ],
  ];
  for (const [name, data] of cases) {
    it(`round-trips: ${name}`, () => {
      const bytes = encodeAuthData(data);
      const parsed = parseAuthData(bytes);
      expect(parsed).toEqual({ ...data, flags: bytes[32] });
      expect(encodeAuthData(parsed)).toEqual(bytes);
    });
  }

  it('parses from a view at an offset into a larger buffer', () => {
    const bytes = encodeAuthData(withAcd);
    const big = new Uint8Array(bytes.length + 10);
    big.set(bytes, 5);
    expect(parseAuthData(big.subarray(5, 5 + bytes.length))).toEqual(parseAuthData(bytes));
  });
});

describe('strict parsing', () => {
  const full = encodeAuthData({ ...withAcd, extensions: new Map([['credProtect', 2]]) });

  it('rejects fewer than 37 bytes', () => {
    expect(() => parseAuthData(new Uint8Array(36))).toThrow(RangeError);
  });

  it('rejects every truncation of authenticator data with attested data and extensions', () => {
    for (let n = 37; n < full.length; n++) expect(() => parseAuthData(full.subarray(0, n)), `length ${n}`).toThrow();
  });

  it('rejects leftover bytes', () => {
    expect(() => parseAuthData(Uint8Array.from([...full, 0]))).toThrow(/leftover/);
    const plain = encodeAuthData({ rpIdHash: RP_ID_HASH, flags: FLAG.UP, signCount: 0 });
    expect(() => parseAuthData(Uint8Array.from([...plain, 0xa0]))).toThrow(/leftover/);
  });

  it('rejects a credentialId length above 1023', () => {
    const bytes = encodeAuthData(withAcd);
    bytes[53] = 0x04; // L = 0x0413
    expect(() => parseAuthData(bytes)).toThrow(/1023/);
  });

  it('rejects extensions that are not a map', () => {
    const bytes = Uint8Array.from([...encodeAuthData({ rpIdHash: RP_ID_HASH, flags: FLAG.UP, signCount: 0 }), 0x80]);
    bytes[32]! |= FLAG.ED;
    expect(() => parseAuthData(bytes)).toThrow(TypeError);
  });
});

describe('agreement with @simplewebauthn/server’s parser', () => {
  it('parses our encoding of attested data and extensions identically', () => {
    const coseES256 = encode(encodeCoseKey({ alg: ALG.ES256, x: hex('01'.repeat(32)), y: hex('02'.repeat(32)) }));
    const data: AuthData = {
      rpIdHash: RP_ID_HASH,
      flags: FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS,
      signCount: 42,
      attestedCredentialData: { aaguid: AAGUID, credentialId: CRED_ID, credentialPublicKey: coseES256 },
      extensions: new Map([['credProtect', 2]]),
    };
    const bytes = encodeAuthData(data);
    const theirs = parseAuthenticatorData(bytes as Uint8Array<ArrayBuffer>);
    expect(theirs.rpIdHash).toEqual(RP_ID_HASH);
    expect(theirs.flags).toEqual({ up: true, uv: true, be: true, bs: true, at: true, ed: true, flagsInt: 0xdd });
    expect(theirs.counter).toBe(42);
    expect(theirs.aaguid).toEqual(AAGUID);
    expect(theirs.credentialID).toEqual(CRED_ID);
    expect(theirs.credentialPublicKey).toEqual(coseES256);
    expect(theirs.extensionsData).toEqual({ credProtect: 2 });
    expect(theirs.extensionsDataBuffer).toEqual(encode(data.extensions!));

    const key = decodeCredentialPublicKey(theirs.credentialPublicKey!);
    expect(key.get(3)).toBe(-7);
    expect(isoCBOR.encode(key as unknown as Parameters<typeof isoCBOR.encode>[0])).toEqual(coseES256);
  });

  it('parses an assertion’s authenticator data identically', () => {
    const bytes = encodeAuthData({ rpIdHash: RP_ID_HASH, flags: FLAG.UP | FLAG.BE, signCount: 0 });
    const theirs = parseAuthenticatorData(bytes as Uint8Array<ArrayBuffer>);
    expect(theirs.flags).toMatchObject({ up: true, uv: false, be: true, bs: false, at: false, ed: false });
    expect(theirs.credentialID).toBeUndefined();
    expect(theirs.counter).toBe(0);
  });
});

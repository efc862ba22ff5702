import { createPublicKey } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { decode as b64uDecode } from './base64url.ts';
import { type CborValue, encode } from './cbor.ts';
import { ALG, type PublicKey, decodeCoseKey, encodeCoseKey, spki } from './cose.ts';

const subtle = globalThis.crypto.subtle;

/** A fresh RSASSA-PKCS1-v1_5 2048-bit pair from WebCrypto, the independent reference for RSA SPKI. */
const rsaKeyPair = async (): Promise<CryptoKeyPair> =>
  (await subtle.generateKey(
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1) },
    true,
    ['sign', 'verify'],
  ));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('RFC 9052 §7 / RFC 9053 §2: COSE_Key encode ⇄ decode', () => {
  const keys: [string, PublicKey][] = [
    ['ES256', { alg: ALG.ES256, x: bytes(32, 1), y: bytes(32, 2) }],
    ['EdDSA', { alg: ALG.EdDSA, x: bytes(32, 3) }],
    ['RS256', { alg: ALG.RS256, n: bytes(256, 4), e: Uint8Array.of(1, 0, 1) }],
  ];
  for (const [name, key] of keys) {
    it(`round-trips ${name}`, () => {
      expect(decodeCoseKey(encode(encodeCoseKey(key)))).toEqual(key);
    });
  }

  it('Spec: ES256 is kty EC2 (2), alg -7, crv P-256 (1), x (-2), y (-3) in canonical order', () => {
    const x = bytes(32, 1);
    const y = bytes(32, 2);
    const cbor = encode(encodeCoseKey({ alg: ALG.ES256, x, y }));
    expect(toHex(cbor)).toBe('a5' + '0102' + '0326' + '2001' + '215820' + toHex(x) + '225820' + toHex(y));
  });

  it('Spec: EdDSA is kty OKP (1), alg -8, crv Ed25519 (6), x (-2)', () => {
    const x = bytes(32, 3);
    expect(toHex(encode(encodeCoseKey({ alg: ALG.EdDSA, x })))).toBe('a4' + '0101' + '0327' + '2006' + '215820' + toHex(x));
  });

  it('Spec: RS256 is kty RSA (3), alg -257, n (-1), e (-2) (RFC 8230 §4)', () => {
    const n = bytes(256, 4);
    expect(toHex(encode(encodeCoseKey({ alg: ALG.RS256, n, e: Uint8Array.of(1, 0, 1) })))).toBe(
      'a4' + '0103' + '03390100' + '20590100' + toHex(n) + '2143010001',
    );
  });

  const map = (entries: [number, CborValue][]) => encode(new Map(entries));

  it('rejects ES256 with a curve other than P-256', () => {
    const k = map([[1, 2], [3, -7], [-1, 2], [-2, bytes(32, 0)], [-3, bytes(32, 0)]]); // crv 2 = P-384
    expect(() => decodeCoseKey(k)).toThrow(/P-256/);
  });

  it('rejects EdDSA with a curve other than Ed25519', () => {
    const k = map([[1, 1], [3, -8], [-1, 7], [-2, bytes(32, 0)]]); // crv 7 = Ed448
    expect(() => decodeCoseKey(k)).toThrow(/Ed25519/);
  });

  it('rejects coordinates of the wrong size or type', () => {
    expect(() => decodeCoseKey(map([[1, 2], [3, -7], [-1, 1], [-2, bytes(31, 0)], [-3, bytes(32, 0)]]))).toThrow(RangeError);
    expect(() => decodeCoseKey(map([[1, 1], [3, -8], [-1, 6], [-2, 'x']]))).toThrow(TypeError);
  });

  it('rejects a kty/alg mismatch, an unknown alg and a non-map', () => {
    expect(() => decodeCoseKey(map([[1, 1], [3, -7], [-1, 1], [-2, bytes(32, 0)], [-3, bytes(32, 0)]]))).toThrow(RangeError);
    expect(() => decodeCoseKey(map([[1, 2], [3, -35], [-1, 2]]))).toThrow(RangeError);
    expect(() => decodeCoseKey(encode([1, 2]))).toThrow(TypeError);
  });
});

describe('WebAuthn §5.2.1.1 getPublicKey(): SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)', () => {
  it('Spec: P-256 SPKI equals WebCrypto’s export of a generated key', async () => {
    const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']));
    const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
    const expected = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
    expect(toHex(spki({ alg: ALG.ES256, x: raw.slice(1, 33), y: raw.slice(33) }))).toBe(toHex(expected));
  });

  it('Spec: RSA SPKI equals WebCrypto’s export of a generated 2048-bit key', async () => {
    const pair = await rsaKeyPair();
    const jwk = await subtle.exportKey('jwk', pair.publicKey);
    const expected = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
    expect(toHex(spki({ alg: ALG.RS256, n: b64uDecode(jwk.n!), e: b64uDecode(jwk.e!) }))).toBe(toHex(expected));
  });

  it('RSA SPKI: a modulus given with a leading zero byte encodes as the minimal DER INTEGER', async () => {
    const pair = await rsaKeyPair();
    const jwk = await subtle.exportKey('jwk', pair.publicKey);
    const n = b64uDecode(jwk.n!);
    const padded = Uint8Array.from([0, ...n]);
    const expected = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
    expect(toHex(spki({ alg: ALG.RS256, n: padded, e: Uint8Array.of(0, 1, 0, 1) }))).toBe(toHex(expected));
  });

  it('Spec: Ed25519 SPKI equals WebCrypto’s export and is RFC 8410 §4’s prefix || key', async () => {
    const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']));
    const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
    const expected = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
    expect(toHex(spki({ alg: ALG.EdDSA, x: raw }))).toBe(toHex(expected));

    const x = ed25519.getPublicKey(ed25519.utils.randomSecretKey());
    expect(toHex(spki({ alg: ALG.EdDSA, x }))).toBe('302a300506032b6570032100' + toHex(x));
    const jwk = createPublicKey({ key: Buffer.from(spki({ alg: ALG.EdDSA, x })), format: 'der', type: 'spki' }).export({ format: 'jwk' });
    expect(jwk.x).toBe(Buffer.from(x).toString('base64url'));
  });
});

import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { generateCredentialKey, importSigner } from '../webauthn/authenticator/keys.ts';
import { ALG, type Alg, spki } from '../webauthn/cose.ts';
import { TAG, oidBytes, tlv } from '../webauthn/der.ts';
import { KeyError, derToPem, inspectPrivateKey, pemToDer } from './keys.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const der = (k: ReturnType<typeof generateKeyPairSync>['privateKey']) => new Uint8Array(k.export({ type: 'pkcs8', format: 'der' }));
const message = new TextEncoder().encode('authenticatorData || clientDataHash');

const EC_OID = oidBytes('1.2.840.10045.2.1');
const P256_OID = oidBytes('1.2.840.10045.3.1.7');
const ED_OID = oidBytes('1.3.101.112');
const int = (n: number) => tlv(TAG.INTEGER, Uint8Array.of(n));

/** PKCS#8 of a P-256 scalar in the shapes encoders produce (RFC 5915 §3 optional members). */
function ecPkcs8(d: Uint8Array, { params = false, pub = true }: { params?: boolean; pub?: boolean | Uint8Array } = {}): Uint8Array {
  const point = pub instanceof Uint8Array ? pub : pub ? p256.getPublicKey(d, false) : new Uint8Array(0);
  const inner = tlv(
    TAG.SEQUENCE,
    int(1),
    tlv(TAG.OCTET_STRING, d),
    ...(params ? [tlv(TAG.CTX0_CONS, tlv(TAG.OID, P256_OID))] : []),
    ...(pub ? [tlv(TAG.CTX1_CONS, tlv(TAG.BIT_STRING, Uint8Array.of(0), point))] : []),
  );
  return tlv(TAG.SEQUENCE, int(0), tlv(TAG.SEQUENCE, tlv(TAG.OID, EC_OID), tlv(TAG.OID, P256_OID)), tlv(TAG.OCTET_STRING, inner));
}

/** RFC 8410 §7 / RFC 5958 v2 with the public key, as BouncyCastle writes Ed25519 keys. */
function ed25519V2(seed: Uint8Array, pub = ed25519.getPublicKey(seed)): Uint8Array {
  return tlv(TAG.SEQUENCE, int(1), tlv(TAG.SEQUENCE, tlv(TAG.OID, ED_OID)), tlv(TAG.OCTET_STRING, tlv(TAG.OCTET_STRING, seed)), tlv(TAG.CTX1_PRIM, Uint8Array.of(0), pub));
}

describe('inspectPrivateKey: the keys Keyport makes (src/webauthn/authenticator/keys.ts)', () => {
  for (const [name, alg] of Object.entries(ALG) as [string, Alg][]) {
    it(`${name}: same algorithm, same public key, byte-identical PKCS#8`, async () => {
      const key = await generateCredentialKey(alg);
      const got = await inspectPrivateKey(key.pkcs8);
      expect(got.alg).toBe(alg);
      expect(got.publicKey).toEqual(key.publicKey);
      expect(hex(got.pkcs8)).toBe(hex(key.pkcs8));
    });
  }
});

describe('inspectPrivateKey: keys from other encoders (node:crypto / OpenSSL)', () => {
  it('ES256: the derived public key is the one OpenSSL derives, and the key signs', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const got = await inspectPrivateKey(der(privateKey));
    expect(got.alg).toBe(ALG.ES256);
    expect(hex(spki(got.publicKey))).toBe(hex(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))));
    const sig = await (await importSigner(got.alg, got.pkcs8))(message);
    expect(verify('sha256', message, publicKey, sig)).toBe(true);
  });

  it('Ed25519: derived public key matches, canonical 48-byte form, and it signs', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const got = await inspectPrivateKey(der(privateKey));
    expect(got.pkcs8).toHaveLength(48);
    expect(hex(spki(got.publicKey))).toBe(hex(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))));
    const sig = await (await importSigner(got.alg, got.pkcs8))(message);
    expect(verify(null, message, publicKey, sig)).toBe(true);
  });

  it('RS256 (3072 bits): public key from the private key, and it signs', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    const got = await inspectPrivateKey(der(privateKey));
    expect(got.alg).toBe(ALG.RS256);
    expect(hex(spki(got.publicKey))).toBe(hex(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))));
    const sig = await (await importSigner(got.alg, got.pkcs8))(message);
    expect(verify('sha256', message, publicKey, sig)).toBe(true);
  });

  it('RFC 5915 §3: an ECPrivateKey without its public key, or with the curve repeated, becomes the canonical form', async () => {
    const key = await generateCredentialKey(ALG.ES256);
    const d = key.pkcs8.slice(36, 68);
    for (const variant of [ecPkcs8(d, { pub: false }), ecPkcs8(d, { params: true }), ecPkcs8(d, { params: true, pub: false })]) {
      const got = await inspectPrivateKey(variant);
      expect(hex(got.pkcs8)).toBe(hex(key.pkcs8));
      expect(got.publicKey).toEqual(key.publicKey);
    }
  });

  it('RFC 5958 v2: an Ed25519 key carrying its public key is read; the output is the v1 form', async () => {
    const seed = ed25519.utils.randomSecretKey();
    const got = await inspectPrivateKey(ed25519V2(seed));
    expect(got.pkcs8).toHaveLength(48);
    expect(got.publicKey).toEqual({ alg: ALG.EdDSA, x: ed25519.getPublicKey(seed) });
    expect(createPrivateKey({ key: Buffer.from(got.pkcs8), format: 'der', type: 'pkcs8' }).asymmetricKeyType).toBe('ed25519');
  });
});

describe('inspectPrivateKey: refusals, each with a sentence', () => {
  const refuse = async (bytes: Uint8Array, pattern: RegExp) => {
    const e = await inspectPrivateKey(bytes).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(KeyError);
    expect((e as Error).message).toMatch(pattern);
  };

  it('other curves and algorithms are named', async () => {
    await refuse(der(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey), /P-384.*P-256 only/);
    await refuse(der(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey), /secp256k1/);
    await refuse(der(generateKeyPairSync('x25519').privateKey), /X25519/);
    await refuse(der(generateKeyPairSync('ed448').privateKey), /Ed448/);
    await refuse(der(generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey), /DSA key/);
    await refuse(der(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey), /RSASSA-PSS/);
  });

  it('RSA below 2048 bits', async () => {
    await refuse(der(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey), /1024 bits; at least 2048/);
  });

  it('truncated DER, trailing bytes, empty input', async () => {
    const key = await generateCredentialKey(ALG.ES256);
    await refuse(key.pkcs8.subarray(0, key.pkcs8.length - 1), /not valid PKCS#8 DER: .*truncated/);
    await refuse(key.pkcs8.subarray(0, 20), /truncated/);
    await refuse(Uint8Array.from([...key.pkcs8, 0]), /unexpected bytes after the end/);
    await refuse(new Uint8Array(0), /empty/);
    await refuse(new TextEncoder().encode('not a key at all'), /not valid PKCS#8/);
  });

  it('X.690 §10.1: non-minimal and indefinite lengths', async () => {
    const key = await generateCredentialKey(ALG.EdDSA);
    const longForm = Uint8Array.from([0x30, 0x81, 0x2e, ...key.pkcs8.subarray(2)]);
    await refuse(longForm, /non-minimal length/);
    const indefinite = Uint8Array.from([0x30, 0x80, ...key.pkcs8.subarray(2), 0, 0]);
    await refuse(indefinite, /indefinite length/);
  });

  it('an EC key whose stored public point is not on the curve, or is another key', async () => {
    const d = p256.utils.randomSecretKey();
    const off = p256.getPublicKey(d, false);
    off[64] = off[64]! ^ 1;
    await refuse(ecPkcs8(d, { pub: off }), /not a point on P-256/);
    await refuse(ecPkcs8(d, { pub: p256.getPublicKey(p256.utils.randomSecretKey(), false) }), /does not belong to it/);
  });

  it('EC scalars outside 1..n-1, and of the wrong length', async () => {
    await refuse(ecPkcs8(new Uint8Array(32), { pub: false }), /not a valid P-256 scalar/);
    await refuse(ecPkcs8(new Uint8Array(32).fill(0xff), { pub: false }), /not a valid P-256 scalar/);
    await refuse(ecPkcs8(new Uint8Array(31).fill(1), { pub: false }), /31 bytes; a P-256 key is 32/);
  });

  it('an Ed25519 key with a public key that is not its own', async () => {
    const seed = ed25519.utils.randomSecretKey();
    await refuse(ed25519V2(seed, ed25519.getPublicKey(ed25519.utils.randomSecretKey())), /does not belong to it/);
  });

  it('an encrypted PKCS#8 (RFC 5958 §3)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const enc = new Uint8Array(privateKey.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'pw' }));
    await refuse(enc, /encrypted/);
  });

  it('an RSA key whose CRT values do not belong to its modulus', async () => {
    const good = der(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    const bad = good.slice();
    bad[bad.length - 10] = bad[bad.length - 10]! ^ 0xff; // inside the CRT coefficient
    await refuse(bad, /inconsistent/);
  });

  it('a value that is not bytes is a TypeError (a programming error, not a file problem)', async () => {
    await expect(inspectPrivateKey('MIGH' as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});

describe('PEM (RFC 7468)', () => {
  it('round trip; 64-character lines as Botan (KeePassXC) writes; OpenSSL reads it', async () => {
    const key = await generateCredentialKey(ALG.RS256);
    const text = derToPem(key.pkcs8);
    expect(text.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    expect(text.endsWith('\n-----END PRIVATE KEY-----\n')).toBe(true);
    expect(text.split('\n').slice(1, -3).every((l) => l.length === 64)).toBe(true);
    expect(hex(pemToDer(text))).toBe(hex(key.pkcs8));
    expect(createPrivateKey(text).asymmetricKeyType).toBe('rsa');
  });

  it('reads OpenSSL PEM with CRLF and surrounding whitespace', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const crlf = `\r\n  ${pem.replace(/\n/g, '\r\n')}  \r\n`;
    expect(hex(pemToDer(crlf))).toBe(hex(pemToDer(pem)));
  });

  it('refuses other labels with a sentence that says what to do', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    expect(() => pemToDer(sec1)).toThrow(/older "EC PRIVATE KEY" form/);
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
    expect(() => pemToDer(encrypted)).toThrow(/encrypted/);
    const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string;
    expect(() => pemToDer(publicPem)).toThrow(/"PUBLIC KEY", not a "PRIVATE KEY"/);
    expect(() => pemToDer('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----')).toThrow(/begins as .* but ends as/);
    expect(() => pemToDer('-----BEGIN PRIVATE KEY-----\nA*AA\n-----END PRIVATE KEY-----')).toThrow(/not valid base64/);
    expect(() => pemToDer('MIGHAgEAMBMGByqGSM49')).toThrow(/not a PEM block/);
  });
});

import { createPublicKey, generateKeyPairSync, sign as nodeSign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ALG, type Alg, spki } from '../cose.ts';
import { generateCredentialKey, importSigner } from './keys.ts';
import { p1363ToDer } from '../der.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const message = new TextEncoder().encode('authenticatorData || SHA-256(clientDataJSON)');

/** How node:crypto verifies each COSE algorithm (ES256 as DER, as WebAuthn §6.5.5 requires). */
const nodeAlg: Record<Alg, string | null> = { [ALG.ES256]: 'sha256', [ALG.EdDSA]: null, [ALG.RS256]: 'sha256' };

describe('credential key pairs: generate, sign, verify independently', () => {
  for (const [name, alg] of Object.entries(ALG) as [string, Alg][]) {
    it(`${name}: a signature from importSigner verifies with node:crypto against cose.spki()`, async () => {
      const key = await generateCredentialKey(alg);
      expect(key.alg).toBe(alg);
      expect(key.publicKey.alg).toBe(alg);
      const publicKey = createPublicKey({ key: Buffer.from(spki(key.publicKey)), format: 'der', type: 'spki' });
      const signer = await importSigner(alg, key.pkcs8);
      const sig = await signer(message);
      expect(verify(nodeAlg[alg], message, publicKey, sig)).toBe(true);
      expect(verify(nodeAlg[alg], Uint8Array.from([...message, 0]), publicKey, sig)).toBe(false);
    });

    it(`${name}: the PKCS#8 is a standard private key whose public half matches`, async () => {
      const key = await generateCredentialKey(alg);
      const { createPrivateKey } = await import('node:crypto');
      const priv = createPrivateKey({ key: Buffer.from(key.pkcs8), format: 'der', type: 'pkcs8' });
      const pubDer = createPublicKey(priv).export({ format: 'der', type: 'spki' });
      expect(toHex(new Uint8Array(pubDer))).toBe(toHex(spki(key.publicKey)));
    });
  }

  it('ES256 signatures are DER, not IEEE P1363', async () => {
    const key = await generateCredentialKey(ALG.ES256);
    const sig = await (await importSigner(ALG.ES256, key.pkcs8))(message);
    expect(sig[0]).toBe(0x30);
    expect(sig[1]).toBe(sig.length - 2);
    expect(sig.length).toBeGreaterThanOrEqual(8);
    expect(sig.length).toBeLessThanOrEqual(72);
  });

  it('RS256 uses a 2048-bit modulus and exponent 65537', async () => {
    const key = await generateCredentialKey(ALG.RS256);
    if (key.publicKey.alg !== ALG.RS256) throw new Error('unreachable');
    expect(key.publicKey.n).toHaveLength(256);
    expect(key.publicKey.e).toEqual(Uint8Array.of(1, 0, 1));
  });

  it('Ed25519 signatures are deterministic (RFC 8032)', async () => {
    const key = await generateCredentialKey(ALG.EdDSA);
    const signer = await importSigner(ALG.EdDSA, key.pkcs8);
    expect(await signer(message)).toEqual(await signer(message));
  });

  it('refuses an Ed25519 PKCS#8 of another shape', async () => {
    const key = await generateCredentialKey(ALG.EdDSA);
    await expect(importSigner(ALG.EdDSA, key.pkcs8.subarray(1))).rejects.toThrow(RangeError);
    const wrongPrefix = key.pkcs8.slice();
    wrongPrefix[9] = 0x71; // Ed448 OID
    await expect(importSigner(ALG.EdDSA, wrongPrefix)).rejects.toThrow(RangeError);
  });
});

describe('p1363ToDer: RFC 3279 §2.2.3 Ecdsa-Sig-Value', () => {
  const r = (first: string, fill = '11') => first + fill.repeat(32 - first.length / 2);

  it('encodes r and s without padding when their high bits are clear', () => {
    const sig = hex(r('7f') + r('01'));
    expect(toHex(p1363ToDer(sig))).toBe('3044' + '0220' + r('7f') + '0220' + r('01'));
  });

  it('prefixes 0x00 when the high bit of r or s is set (INTEGERs are signed)', () => {
    const sig = hex(r('80') + r('ff'));
    expect(toHex(p1363ToDer(sig))).toBe('3046' + '022100' + r('80') + '022100' + r('ff'));
  });

  it('strips leading zero bytes to the minimal encoding', () => {
    const rBytes = '0000' + '7f' + '11'.repeat(29); // 30 significant bytes
    const sBytes = '00'.repeat(31) + '05'; // 1 significant byte
    expect(toHex(p1363ToDer(hex(rBytes + sBytes)))).toBe('3023' + '021e' + '7f' + '11'.repeat(29) + '020105');
  });

  it('strips leading zeros but keeps the one 0x00 a high bit needs', () => {
    const rBytes = '0000' + '80' + '22'.repeat(29); // → 00 80 22…: 31 bytes
    const sBytes = '00' + 'ff' + '33'.repeat(30); // → 00 ff 33…: 32 bytes
    expect(toHex(p1363ToDer(hex(rBytes + sBytes)))).toBe('3043' + '021f' + '0080' + '22'.repeat(29) + '0220' + '00ff' + '33'.repeat(30));
  });

  it('encodes zero as a single 0x00 byte', () => {
    expect(toHex(p1363ToDer(new Uint8Array(64)))).toBe('3006020100020100');
  });

  it('refuses anything but 64 bytes', () => {
    expect(() => p1363ToDer(new Uint8Array(63))).toThrow(RangeError);
    expect(() => p1363ToDer(new Uint8Array(72))).toThrow(RangeError);
  });

  it('agrees with node:crypto: P1363 signatures converted to DER verify', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 64; i++) {
      const msg = Uint8Array.of(i);
      const p1363 = nodeSign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      expect(verify('sha256', msg, { key: publicKey, dsaEncoding: 'der' }, p1363ToDer(new Uint8Array(p1363)))).toBe(true);
    }
  });
});

import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode as b64d } from '../webauthn/base64url.ts';
import { ALG, type PublicKey } from '../webauthn/cose.ts';
import { verifySignature } from './verify.ts';

/** A key pair from node:crypto (an independent implementation), as a COSE-shaped public key and a signing function. */
function nodeKey(alg: number): { key: PublicKey; sign: (data: Uint8Array) => Uint8Array } {
  if (alg === ALG.ES256) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    return { key: { alg: ALG.ES256, x: b64d(jwk.x!), y: b64d(jwk.y!) }, sign: (d) => sign('sha256', d, privateKey) };
  }
  if (alg === ALG.EdDSA) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    return { key: { alg: ALG.EdDSA, x: b64d(publicKey.export({ format: 'jwk' }).x!) }, sign: (d) => sign(null, d, privateKey) };
  }
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  return { key: { alg: ALG.RS256, n: b64d(jwk.n!), e: b64d(jwk.e!) }, sign: (d) => sign('sha256', d, privateKey) };
}

describe('verifySignature against node:crypto signatures', () => {
  for (const [name, alg] of [['ES256', ALG.ES256], ['EdDSA', ALG.EdDSA], ['RS256', ALG.RS256]] as const) {
    it(`${name}: a signature verifies; other data or another key does not`, async () => {
      const { key, sign } = nodeKey(alg);
      const data = new TextEncoder().encode('authenticatorData || clientDataHash');
      const sig = sign(data);
      expect(await verifySignature(key, data, sig)).toBe(true);
      expect(await verifySignature(key, new TextEncoder().encode('something else'), sig)).toBe(false);
      expect(await verifySignature(nodeKey(alg).key, data, sig)).toBe(false);
    });
  }

  it('ES256: high-S signatures (OpenSSL does not normalise s) verify too', async () => {
    const { key, sign } = nodeKey(ALG.ES256);
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    let highS = 0;
    for (let i = 0; i < 16; i++) {
      const data = Uint8Array.of(i);
      const sig = sign(data);
      const rLen = sig[3]!;
      const s = BigInt(`0x${Buffer.from(sig.subarray(4 + rLen + 2)).toString('hex')}`);
      if (s > n / 2n) highS++;
      expect(await verifySignature(key, data, sig)).toBe(true);
    }
    expect(highS).toBeGreaterThan(0); // 16 tries: the chance of none is 2^-16
  });

  it('an Ed25519 signature of the wrong length is refused with RangeError', async () => {
    const { key } = nodeKey(ALG.EdDSA);
    await expect(verifySignature(key, new Uint8Array(1), new Uint8Array(63))).rejects.toThrow(RangeError);
  });
});

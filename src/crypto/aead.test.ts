import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Sealed, TamperedError, importAeadKey, open, seal } from './aead.ts';

const rawKey = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const plaintext = new TextEncoder().encode('a passkey’s PKCS#8, say');
const AAD = 'credential:abc:pkcs8';

const flip = (b: Uint8Array, bit: number) => {
  const c = b.slice();
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};

describe('AES-256-GCM seal/open (NIST SP 800-38D)', () => {
  it('round-trips with a 12-byte nonce and a 16-byte tag', async () => {
    const key = await importAeadKey(rawKey);
    const sealed = await seal(key, plaintext, AAD);
    expect(sealed.iv).toHaveLength(12);
    expect(sealed.ct).toHaveLength(plaintext.length + 16);
    expect(await open(key, sealed, AAD)).toEqual(plaintext);
  });

  it('round-trips the empty plaintext', async () => {
    const key = await importAeadKey(rawKey);
    expect(await open(key, await seal(key, new Uint8Array(0), ''), '')).toEqual(new Uint8Array(0));
  });

  it('uses a fresh nonce each time', async () => {
    const key = await importAeadKey(rawKey);
    const a = await seal(key, plaintext, AAD);
    const b = await seal(key, plaintext, AAD);
    expect(a.iv).not.toEqual(b.iv);
    expect(a.ct).not.toEqual(b.ct);
  });

  it('is standard AES-256-GCM with the AAD as UTF-8 (node:crypto opens it)', async () => {
    const key = await importAeadKey(rawKey);
    const { iv, ct } = await seal(key, plaintext, AAD);
    const d = createDecipheriv('aes-256-gcm', rawKey, iv);
    d.setAAD(Buffer.from(AAD, 'utf8'));
    d.setAuthTag(ct.subarray(ct.length - 16));
    expect(new Uint8Array(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]))).toEqual(plaintext);
  });
});

describe('tamper detection → TamperedError', () => {
  async function sealed(): Promise<{ key: CryptoKey; s: Sealed }> {
    const key = await importAeadKey(rawKey);
    return { key, s: await seal(key, plaintext, AAD) };
  }

  it('wrong AAD (a blob moved to another record)', async () => {
    const { key, s } = await sealed();
    await expect(open(key, s, 'credential:abd:pkcs8')).rejects.toThrow(TamperedError);
    await expect(open(key, s, '')).rejects.toThrow(TamperedError);
  });

  it('a flipped ciphertext bit, a flipped tag bit', async () => {
    const { key, s } = await sealed();
    await expect(open(key, { iv: s.iv, ct: flip(s.ct, 0) }, AAD)).rejects.toThrow(TamperedError);
    await expect(open(key, { iv: s.iv, ct: flip(s.ct, s.ct.length * 8 - 1) }, AAD)).rejects.toThrow(TamperedError);
  });

  it('a flipped nonce bit', async () => {
    const { key, s } = await sealed();
    await expect(open(key, { iv: flip(s.iv, 95), ct: s.ct }, AAD)).rejects.toThrow(TamperedError);
  });

  it('the wrong key', async () => {
    const { s } = await sealed();
    const other = await importAeadKey(flip(rawKey, 0));
    await expect(open(other, s, AAD)).rejects.toThrow(TamperedError);
  });

  it('malformed blobs: short nonce, ciphertext shorter than a tag, wrong types', async () => {
    const { key, s } = await sealed();
    await expect(open(key, { iv: s.iv.subarray(0, 11), ct: s.ct }, AAD)).rejects.toThrow(TamperedError);
    await expect(open(key, { iv: s.iv, ct: s.ct.subarray(0, 15) }, AAD)).rejects.toThrow(TamperedError);
    await expect(open(key, { iv: 'x', ct: s.ct } as unknown as Sealed, AAD)).rejects.toThrow(TamperedError);
  });

  it('a truncated ciphertext', async () => {
    const { key, s } = await sealed();
    await expect(open(key, { iv: s.iv, ct: s.ct.subarray(1) }, AAD)).rejects.toThrow(TamperedError);
  });
});

describe('importAeadKey', () => {
  it('refuses keys that are not 32 bytes', () => {
    expect(() => importAeadKey(new Uint8Array(16))).toThrow(RangeError);
    expect(() => importAeadKey(new Uint8Array(33))).toThrow(RangeError);
  });
});

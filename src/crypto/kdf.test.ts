import { describe, expect, it } from 'vitest';
import { DEFAULT_KDF, type KdfParams, MAX_KDF, MIN_KDF, deriveKey, kdfParamsProblem, newKdfParams } from './kdf.ts';

// Small parameters so these run fast; newKdfParams refuses them, so they are built by hand.
const small = (salt: Uint8Array, m = 64): KdfParams => ({ algorithm: 'argon2id', salt, m, t: 1, p: 1 });
const saltA = Uint8Array.from({ length: 16 }, (_, i) => i);
const saltB = Uint8Array.from({ length: 16 }, (_, i) => 16 - i);

describe('deriveKey (Argon2id, RFC 9106)', () => {
  it('is deterministic for the same password and parameters, and gives 32 bytes', async () => {
    const a = await deriveKey('correct horse battery staple', small(saltA));
    const b = await deriveKey('correct horse battery staple', small(saltA.slice()));
    expect(a).toHaveLength(32);
    expect(b).toEqual(a);
  });

  it('differs for another salt, another password, or another cost', async () => {
    const base = await deriveKey('correct horse battery staple', small(saltA));
    expect(await deriveKey('correct horse battery staple', small(saltB))).not.toEqual(base);
    expect(await deriveKey('correct horse battery stapl3', small(saltA))).not.toEqual(base);
    expect(await deriveKey('correct horse battery staple', small(saltA, 128))).not.toEqual(base);
    expect(await deriveKey('correct horse battery staple', { ...small(saltA), t: 2 })).not.toEqual(base);
  });

  it('normalizes the password to NFKC, so canonically equivalent passwords derive the same key', async () => {
    const precomposed = await deriveKey('p\u00e4ss \u00c5', small(saltA)); // ä, Å
    const decomposed = await deriveKey('pa\u0308ss A\u030a', small(saltA));
    const angstrom = await deriveKey('p\u00e4ss \u212b', small(saltA)); // U+212B ANGSTROM SIGN
    expect(decomposed).toEqual(precomposed);
    expect(angstrom).toEqual(precomposed);
  });

  it('refuses an empty password and an unknown algorithm', async () => {
    await expect(deriveKey('', small(saltA))).rejects.toThrow(TypeError);
    await expect(deriveKey('pw', { ...small(saltA), algorithm: 'scrypt' } as unknown as KdfParams)).rejects.toThrow(RangeError);
  });
});

describe('newKdfParams', () => {
  it('defaults to RFC 9106 §4’s second recommendation (m = 64 MiB, t = 3, p = 1) with a fresh 16-byte salt', () => {
    const a = newKdfParams();
    const b = newKdfParams();
    expect(a).toMatchObject({ algorithm: 'argon2id', m: 64 * 1024, t: 3, p: 1 });
    expect(DEFAULT_KDF).toEqual({ m: 65536, t: 3, p: 1 });
    expect(a.salt).toHaveLength(16);
    expect(a.salt).not.toEqual(b.salt);
  });

  it('accepts parameters above the floor', () => {
    expect(newKdfParams({ m: 128 * 1024, t: 4, p: 2 })).toMatchObject({ m: 131072, t: 4, p: 2 });
  });

  it.each([
    ['m below 64 MiB', { m: MIN_KDF.m - 1 }],
    ['t below 3', { t: 2 }],
    ['p of 0', { p: 0 }],
  ])('refuses %s', (_why, params) => {
    expect(() => newKdfParams(params)).toThrow(RangeError);
  });
});

describe('kdfParamsProblem: the bounds of a header from elsewhere (a backup file)', () => {
  it('accepts every strength Keyport writes, from the floor to the ceiling', () => {
    for (const k of [DEFAULT_KDF, MIN_KDF, MAX_KDF, { m: 256 * 1024, t: 4, p: 1 }]) expect(kdfParamsProblem(k)).toBeUndefined();
  });
  it('names the parameter that is out of bounds, with what the file asked', () => {
    expect(kdfParamsProblem({ m: 4 * 1024 * 1024 * 1024, t: 3, p: 1 })).toBe('Argon2id memory must be between 64 and 1024 MiB, not 4194304 MiB');
    expect(kdfParamsProblem({ m: 8, t: 3, p: 1 })).toMatch(/memory must be between 64 and 1024 MiB/);
    expect(kdfParamsProblem({ m: DEFAULT_KDF.m, t: 1e9, p: 1 })).toBe('Argon2id passes must be between 3 and 10, not 1000000000');
    expect(kdfParamsProblem({ m: DEFAULT_KDF.m, t: 3, p: 255 })).toBe('Argon2id parallelism must be between 1 and 16, not 255');
    expect(kdfParamsProblem({ m: DEFAULT_KDF.m, t: 3.5, p: 1 })).toMatch(/passes/);
    expect(kdfParamsProblem({ m: Number.NaN, t: 3, p: 1 })).toMatch(/memory/);
  });
});

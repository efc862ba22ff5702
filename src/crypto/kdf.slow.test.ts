// The full-cost Argon2id runs (64 MiB each, about 1–2 s apiece).
import { describe, expect, it } from 'vitest';
import { deriveKey, newKdfParams } from './kdf.ts';

describe('deriveKey at full cost', () => {
  it('Spec: reproduces the Argon2 reference implementation’s Argon2id vector (v=19, m=65536, t=2, p=1)', async () => {
    // phc-winner-argon2 src/test.c: hashtest(ARGON2_VERSION_13, 2, 16, 1, "password", "somesalt", …, Argon2_id)
    const key = await deriveKey('password', { algorithm: 'argon2id', salt: new TextEncoder().encode('somesalt'), m: 65536, t: 2, p: 1 });
    expect(Buffer.from(key).toString('hex')).toBe('09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7');
  });

  it('derives with newKdfParams() defaults and reports increasing progress ending at 1', async () => {
    const params = newKdfParams();
    const fractions: number[] = [];
    const key = await deriveKey('correct horse battery staple', params, (f) => fractions.push(f));
    expect(key).toHaveLength(32);
    expect(fractions.length).toBeGreaterThan(2);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThan(fractions[i - 1]!);
    expect(fractions[0]!).toBeGreaterThanOrEqual(0);
    expect(fractions.at(-1)!).toBeCloseTo(1, 5);
  });
});

// A fast stand-in for Argon2id in unit tests: HKDF-SHA-256 of the password under the header's salt and
// parameters. Still a function of all three, so a wrong password, another salt or other parameters give
// another key and the vault's wrong-password paths fail as they would. The extension uses argon2id
// (src/vault/keys.ts); src/vault/vault.slow.test.ts runs it end to end at full cost.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Kdf } from '../../src/vault/keys.ts';

export const fastKdf: Kdf = {
  async derive(password, params, onProgress) {
    if (typeof password !== 'string' || password.length === 0) throw new TypeError('password must be a non-empty string');
    const info = new TextEncoder().encode(`keyport test kdf|${params.algorithm}|${params.m}|${params.t}|${params.p}`);
    const key = hkdf(sha256, new TextEncoder().encode(password.normalize('NFKC')), params.salt, info, 32);
    onProgress?.(1);
    return key;
  },
};

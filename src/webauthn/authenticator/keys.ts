// Credential key pairs for the algorithms Keyport offers (WebAuthn L3 §5.8.5, COSE algorithm ids):
// ES256 (ECDSA P-256 with SHA-256, RFC 9053 §2.1), EdDSA (Ed25519, RFC 8032), RS256 (RSASSA-PKCS1-v1_5,
// RFC 8230). Private keys are kept as PKCS#8 (RFC 5208), the form CXF and other managers exchange.
// ES256 and RS256 sign with WebCrypto (5x faster than JS here); Ed25519 with @noble/curves.
import { ed25519 } from '@noble/curves/ed25519.js';
import { decode } from '../base64url.ts';
import { ALG, type Alg, type PublicKey } from '../cose.ts';
import { p1363ToDer } from '../der.ts';

const subtle = globalThis.crypto.subtle;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
// RFC 8410 §7: PKCS#8 of an Ed25519 private key is this fixed prefix and the 32-byte seed.
const ED25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

export interface GeneratedKey {
  alg: Alg;
  pkcs8: Uint8Array;
  publicKey: PublicKey;
}

export async function generateCredentialKey(alg: Alg): Promise<GeneratedKey> {
  switch (alg) {
    case ALG.ES256: {
      const pair = (await subtle.generateKey(ECDSA, true, ['sign', 'verify']));
      const raw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
      const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
      return { alg, pkcs8, publicKey: { alg, x: raw.slice(1, 33), y: raw.slice(33, 65) } };
    }
    case ALG.EdDSA: {
      const seed = ed25519.utils.randomSecretKey();
      const pkcs8 = new Uint8Array(48);
      pkcs8.set(ED25519_PKCS8_PREFIX);
      pkcs8.set(seed, 16);
      const x = ed25519.getPublicKey(seed);
      seed.fill(0);
      return { alg, pkcs8, publicKey: { alg, x } };
    }
    case ALG.RS256: {
      const pair = (await subtle.generateKey({ ...RSA, modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1) }, true, ['sign', 'verify']));
      const jwk = await subtle.exportKey('jwk', pair.publicKey);
      const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
      return { alg, pkcs8, publicKey: { alg, n: decode(jwk.n!), e: decode(jwk.e!) } };
    }
  }
}

export type Signer = (data: Uint8Array) => Promise<Uint8Array>;

/** Imports a PKCS#8 key once (non-extractable) and returns a signing function for it. */
export async function importSigner(alg: Alg, pkcs8: Uint8Array): Promise<Signer> {
  switch (alg) {
    case ALG.ES256: {
      const key = await subtle.importKey('pkcs8', pkcs8 as BufferSource, ECDSA, false, ['sign']);
      return async (data) => p1363ToDer(new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, data as BufferSource)));
    }
    case ALG.EdDSA: {
      if (pkcs8.length !== 48 || !ED25519_PKCS8_PREFIX.every((b, i) => pkcs8[i] === b)) throw new RangeError('Ed25519: unexpected PKCS#8 form');
      // WebCrypto's Ed25519 (Chromium 137+, Firefox 129+) where the browser has it: a sign-in took about
      // 0.7 ms more with @noble/curves (npm run bench). Ed25519 signatures are deterministic (RFC 8032
      // §5.1.6), so both give the same bytes; @noble/curves remains for browsers without it.
      const key = await subtle.importKey('pkcs8', pkcs8 as BufferSource, { name: 'Ed25519' }, false, ['sign']).catch(() => undefined);
      if (key) return async (data) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, data as BufferSource));
      const seed = pkcs8.slice(16);
      return async (data) => ed25519.sign(data, seed);
    }
    case ALG.RS256: {
      const key = await subtle.importKey('pkcs8', pkcs8 as BufferSource, RSA, false, ['sign']);
      return async (data) => new Uint8Array(await subtle.sign(RSA, key, data as BufferSource));
    }
  }
}

// Checks a WebAuthn signature with a credential public key, as a relying party does (WebAuthn L3 §6.5.5 Signature Formats
// for Packed Attestation, FIDO U2F Attestation, and Assertion Signatures): ES256 is an ASN.1 DER Ecdsa-Sig-Value
// (RFC 3279 §2.2.3) over SHA-256 of the data, EdDSA is Ed25519 (RFC 8032 §5.1.7), RS256 is RSASSA-PKCS1-v1_5 with
// SHA-256 (RFC 8017 §8.2.2). Only public keys come in here.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { ALG, type PublicKey, spki } from '../webauthn/cose.ts';

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** True when `signature` is a valid signature of `data` by `key`; throws (RangeError/Error) for a signature that is not well-formed. */
export async function verifySignature(key: PublicKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  switch (key.alg) {
    case ALG.ES256:
      // lowS false: WebCrypto and most authenticators do not normalise s (WebAuthn does not ask them to).
      return p256.verify(signature, data, Uint8Array.of(0x04, ...key.x, ...key.y), { format: 'der', lowS: false });
    case ALG.EdDSA:
      if (signature.length !== 64) throw new RangeError(`Ed25519 signature: 64 bytes expected, got ${signature.length}`);
      return ed25519.verify(signature, data, key.x, { zip215: false });
    case ALG.RS256: {
      const k = await globalThis.crypto.subtle.importKey('spki', spki(key) as BufferSource, RSA, false, ['verify']);
      return globalThis.crypto.subtle.verify(RSA, k, signature as BufferSource, data as BufferSource);
    }
  }
}

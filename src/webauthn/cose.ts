// COSE keys (RFC 9052 §7, RFC 9053 §2.1/§2.2, RFC 8230 §4) as WebAuthn §6.5.1.1 uses them in
// attested credential data, and the SubjectPublicKeyInfo form that getPublicKey() returns (§5.2.1.1).
import { type CborMap, decode } from './cbor.ts';
import { TAG, oidBytes, tlv, unsignedInteger } from './der.ts';

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1'; // RFC 3279 §2.3.1

export const ALG = { ES256: -7, EdDSA: -8, RS256: -257 } as const;
export type Alg = (typeof ALG)[keyof typeof ALG];
export const SUPPORTED_ALGS: readonly number[] = [ALG.ES256, ALG.EdDSA, ALG.RS256];

// Fixed DER prefixes of SPKI for the two curve types (RFC 5480 §2, RFC 8410 §4).
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
  0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
]);
const ED25519_SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export type PublicKey =
  | { alg: typeof ALG.ES256; x: Uint8Array; y: Uint8Array }
  | { alg: typeof ALG.EdDSA; x: Uint8Array }
  | { alg: typeof ALG.RS256; n: Uint8Array; e: Uint8Array };

export function encodeCoseKey(key: PublicKey): CborMap {
  switch (key.alg) {
    case ALG.ES256:
      return new Map<number, Uint8Array | number>([
        [1, 2], // kty: EC2
        [3, -7],
        [-1, 1], // crv: P-256
        [-2, key.x],
        [-3, key.y],
      ]);
    case ALG.EdDSA:
      return new Map<number, Uint8Array | number>([
        [1, 1], // kty: OKP
        [3, -8],
        [-1, 6], // crv: Ed25519
        [-2, key.x],
      ]);
    case ALG.RS256:
      return new Map<number, Uint8Array | number>([
        [1, 3], // kty: RSA
        [3, -257],
        [-1, key.n],
        [-2, key.e],
      ]);
  }
}

function bytesField(map: CborMap, label: number, size?: number): Uint8Array {
  const v = map.get(label);
  if (!(v instanceof Uint8Array)) throw new TypeError(`COSE key: label ${label} must be a byte string`);
  if (size !== undefined && v.length !== size) throw new RangeError(`COSE key: label ${label} must be ${size} bytes, got ${v.length}`);
  return v;
}

export function decodeCoseKey(bytes: Uint8Array): PublicKey {
  const map = decode(bytes);
  if (!(map instanceof Map)) throw new TypeError('COSE key: expected a map');
  const kty = map.get(1);
  const alg = map.get(3);
  if (kty === 2 && alg === ALG.ES256) {
    if (map.get(-1) !== 1) throw new RangeError('COSE key: ES256 requires crv P-256 (1)');
    return { alg, x: bytesField(map, -2, 32), y: bytesField(map, -3, 32) };
  }
  if (kty === 1 && alg === ALG.EdDSA) {
    if (map.get(-1) !== 6) throw new RangeError('COSE key: EdDSA requires crv Ed25519 (6)');
    return { alg, x: bytesField(map, -2, 32) };
  }
  if (kty === 3 && alg === ALG.RS256) return { alg, n: bytesField(map, -1), e: bytesField(map, -2) };
  // A label of another CBOR type is named by its type ("Map", "Uint8Array"), not "[object Map]".
  const shown = (v: unknown) => (typeof v === 'object' && v !== null ? Object.prototype.toString.call(v).slice(8, -1) : String(v));
  throw new RangeError(`COSE key: unsupported kty ${shown(kty)} / alg ${shown(alg)}`);
}

/** SubjectPublicKeyInfo DER of a public key (RFC 5280 §4.1.2.7), as PublicKeyCredential's getPublicKey() returns. */
export function spki(key: PublicKey): Uint8Array {
  switch (key.alg) {
    case ALG.ES256:
      return Uint8Array.from([...P256_SPKI_PREFIX, 0x04, ...key.x, ...key.y]);
    case ALG.EdDSA:
      return Uint8Array.from([...ED25519_SPKI_PREFIX, ...key.x]);
    case ALG.RS256: {
      // RFC 8017 §A.1.1 RSAPublicKey inside RFC 3279 rsaEncryption SPKI (AlgorithmIdentifier with NULL parameters).
      const rsaKey = tlv(TAG.SEQUENCE, unsignedInteger(key.n), unsignedInteger(key.e));
      const algId = tlv(TAG.SEQUENCE, tlv(TAG.OID, oidBytes(RSA_ENCRYPTION)), tlv(TAG.NULL));
      return tlv(TAG.SEQUENCE, algId, tlv(TAG.BIT_STRING, Uint8Array.of(0), rsaKey));
    }
  }
}

// Private keys as other managers hand them over: PKCS#8 (RFC 5208, RFC 5958 OneAsymmetricKey) DER, or its
// PEM form (RFC 7468 §10 "PRIVATE KEY"). Only the keys Keyport signs with are accepted: ECDSA on P-256
// (RFC 5915, RFC 5480 §2.1.1), Ed25519 (RFC 8410 §7) and RSA of at least 2048 bits (RFC 8017 §A.1.2).
// The public key is always derived from the private key, never taken from the file; a public key the file
// carries must match it. The key comes back in one canonical PKCS#8 form that every browser's WebCrypto
// imports and that src/webauthn/authenticator/keys.ts produces and reads.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { equalBytes } from '@noble/curves/utils.js';
import { ALG, type Alg, type PublicKey } from '../webauthn/cose.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';
import { DerError, DerReader, TAG, oidBytes, readBitStringBytes, readOid, readSmallInt, readUnsigned, tlv } from '../webauthn/der.ts';

/** A key Keyport cannot use, with a sentence saying why. */
export class KeyError extends Error {
  override name = 'KeyError';
}

/** Generous for an 8192-bit RSA key (about 4.9 KB); anything larger is not a credential key. */
export const MAX_PKCS8_BYTES = 16 * 1024;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

const OID = {
  ecPublicKey: '1.2.840.10045.2.1', // RFC 5480 §2.1.1
  prime256v1: '1.2.840.10045.3.1.7', // RFC 5480 §2.1.1.1 secp256r1
  ed25519: '1.3.101.112', // RFC 8410 §3
  rsaEncryption: '1.2.840.113549.1.1.1', // RFC 8017 §A.1
} as const;

/** Names for the OIDs people are likely to bring, so the refusal can say what the key is. */
const KNOWN: Record<string, string> = {
  '1.3.132.0.34': 'an EC key on P-384',
  '1.3.132.0.35': 'an EC key on P-521',
  '1.3.132.0.33': 'an EC key on P-224',
  '1.2.840.10045.3.1.1': 'an EC key on P-192',
  '1.3.132.0.10': 'an EC key on secp256k1',
  '1.3.36.3.3.2.8.1.1.7': 'an EC key on brainpoolP256r1',
  '1.3.101.113': 'an Ed448 key',
  '1.3.101.110': 'an X25519 key (key agreement, it cannot sign)',
  '1.3.101.111': 'an X448 key (key agreement, it cannot sign)',
  '1.2.840.10040.4.1': 'a DSA key',
  '1.2.840.113549.1.1.10': 'an RSASSA-PSS key (WebAuthn RS256 is RSASSA-PKCS1-v1_5)',
  '1.2.840.113549.1.3.1': 'a Diffie-Hellman key',
  '1.2.643.7.1.1.1.1': 'a GOST key',
};
const SUPPORTED = 'Keyport supports ECDSA P-256 (ES256), Ed25519 (EdDSA) and RSA of 2048 bits or more (RS256).';

export interface InspectedKey {
  alg: Alg;
  publicKey: PublicKey;
  /** The same private key in canonical PKCS#8 form (see the file comment). */
  pkcs8: Uint8Array;
}

/**
 * Reads a PKCS#8 private key, checks it is one Keyport can sign with, and derives its public key.
 * Rejects (KeyError) with a sentence a person can act on.
 */
export async function inspectPrivateKey(pkcs8: Uint8Array): Promise<InspectedKey> {
  if (!(pkcs8 instanceof Uint8Array)) throw new TypeError('inspectPrivateKey: pkcs8 must be a Uint8Array');
  if (pkcs8.length === 0) throw new KeyError('The private key is empty.');
  if (pkcs8.length > MAX_PKCS8_BYTES) throw new KeyError(`The private key is ${pkcs8.length} bytes, more than any credential key (${MAX_PKCS8_BYTES}).`);
  try {
    return await inspect(pkcs8);
  } catch (e) {
    if (e instanceof DerError) throw new KeyError(`The private key is not valid PKCS#8 DER: ${e.message}.`);
    throw e;
  }
}

async function inspect(pkcs8: Uint8Array): Promise<InspectedKey> {
  const outer = new DerReader(pkcs8, 'PKCS#8');
  const body = outer.expect(TAG.SEQUENCE, 'PrivateKeyInfo');
  outer.end();
  const r = new DerReader(body, 'PrivateKeyInfo');
  // RFC 5958 §3: EncryptedPrivateKeyInfo starts with a SEQUENCE (the encryption algorithm), not a version.
  if (r.peekTag() === TAG.SEQUENCE) throw new KeyError('The private key is encrypted (PKCS#8 EncryptedPrivateKeyInfo); export it without a password.');
  const version = readSmallInt(r.expect(TAG.INTEGER, 'version'), 'version');
  if (version !== 0 && version !== 1) throw new KeyError(`The private key has PKCS#8 version ${version}; only v1 (0) and v2 (1) exist (RFC 5958 §2).`);
  const algId = new DerReader(r.expect(TAG.SEQUENCE, 'privateKeyAlgorithm'), 'AlgorithmIdentifier');
  const oid = readOid(algId.expect(TAG.OID, 'algorithm'), 'algorithm');
  const params = algId.done ? undefined : algId.read();
  algId.end();
  const privateKey = r.expect(TAG.OCTET_STRING, 'privateKey');
  r.optional(TAG.CTX0_CONS, 'attributes'); // RFC 5958 §2 attributes: nothing Keyport needs
  const pubBits = r.optional(TAG.CTX1_PRIM, 'publicKey');
  r.end();
  const publicInFile = pubBits && readBitStringBytes(pubBits, 'publicKey');

  switch (oid) {
    case OID.ecPublicKey: {
      if (!params) throw new KeyError('The EC private key does not name its curve.');
      if (params.tag !== TAG.OID) throw new KeyError('The EC private key uses explicit curve parameters; only the named curve P-256 is supported (RFC 5480 §2.1.1).');
      const curve = readOid(params.value, 'namedCurve');
      if (curve !== OID.prime256v1) throw new KeyError(`The private key is ${KNOWN[curve] ?? `an EC key on the curve ${curve}`}; Keyport supports P-256 only.`);
      return ecKey(privateKey, publicInFile);
    }
    case OID.ed25519:
      // RFC 8410 §3: the parameters MUST be absent.
      if (params) throw new KeyError('The Ed25519 private key has algorithm parameters, which RFC 8410 §3 forbids.');
      return ed25519Key(privateKey, publicInFile);
    case OID.rsaEncryption:
      if (!params || params.tag !== TAG.NULL || params.value.length !== 0) throw new KeyError('The RSA private key lacks the NULL parameters RFC 8017 §A.1 requires.');
      return rsaKey(privateKey);
    default:
      throw new KeyError(`The private key is ${KNOWN[oid] ?? `of an unknown algorithm (${oid})`}. ${SUPPORTED}`);
  }
}

/** RFC 5915 §3 ECPrivateKey on P-256; canonical form as WebCrypto exports it (public key included, no parameters). */
function ecKey(inner: Uint8Array, publicInFile: Uint8Array | undefined): InspectedKey {
  const outer = new DerReader(inner, 'ECPrivateKey');
  const r = new DerReader(outer.expect(TAG.SEQUENCE, 'ECPrivateKey'), 'ECPrivateKey');
  outer.end();
  if (readSmallInt(r.expect(TAG.INTEGER, 'version'), 'version') !== 1) throw new KeyError('The EC private key has a version other than 1 (RFC 5915 §3).');
  const d = r.expect(TAG.OCTET_STRING, 'privateKey');
  const params = r.optional(TAG.CTX0_CONS, 'parameters');
  const pub = r.optional(TAG.CTX1_CONS, 'publicKey');
  r.end();
  // RFC 5915 §3: the octet string is ceiling(log2(n)/8) = 32 bytes for P-256.
  if (d.length !== 32) throw new KeyError(`The EC private key is ${d.length} bytes; a P-256 key is 32 (RFC 5915 §3).`);
  if (params) {
    const p = new DerReader(params, 'parameters');
    const curve = readOid(p.expect(TAG.OID, 'namedCurve'), 'namedCurve');
    p.end();
    if (curve !== OID.prime256v1) throw new KeyError('The EC private key names two different curves.');
  }
  if (!p256.utils.isValidSecretKey(d)) throw new KeyError('The EC private key is not a valid P-256 scalar (it must be between 1 and the group order).');
  const derived = p256.getPublicKey(d, false);
  const claimed: Uint8Array[] = [];
  if (pub) {
    const p = new DerReader(pub, 'publicKey');
    claimed.push(readBitStringBytes(p.expect(TAG.BIT_STRING, 'publicKey'), 'publicKey'));
    p.end();
  }
  if (publicInFile) claimed.push(publicInFile);
  for (const c of claimed) {
    let point: Uint8Array;
    try {
      point = p256.Point.fromBytes(c).toBytes(false);
    } catch {
      throw new KeyError('The public key stored with the EC private key is not a point on P-256.');
    }
    if (!equalBytes(point, derived)) throw new KeyError('The public key stored with the EC private key does not belong to it.');
  }
  const canonical = tlv(
    TAG.SEQUENCE,
    tlv(TAG.INTEGER, Uint8Array.of(0)),
    tlv(TAG.SEQUENCE, tlv(TAG.OID, oidBytes(OID.ecPublicKey)), tlv(TAG.OID, oidBytes(OID.prime256v1))),
    tlv(TAG.OCTET_STRING, tlv(TAG.SEQUENCE, tlv(TAG.INTEGER, Uint8Array.of(1)), tlv(TAG.OCTET_STRING, d), tlv(TAG.CTX1_CONS, tlv(TAG.BIT_STRING, Uint8Array.of(0), derived)))),
  );
  return { alg: ALG.ES256, publicKey: { alg: ALG.ES256, x: derived.slice(1, 33), y: derived.slice(33, 65) }, pkcs8: canonical };
}

/** RFC 8410 §7 CurvePrivateKey; canonical form is the 48-byte v1 encoding of the 32-byte seed. */
function ed25519Key(inner: Uint8Array, publicInFile: Uint8Array | undefined): InspectedKey {
  const r = new DerReader(inner, 'CurvePrivateKey');
  const seed = r.expect(TAG.OCTET_STRING, 'CurvePrivateKey');
  r.end();
  if (seed.length !== 32) throw new KeyError(`The Ed25519 private key is ${seed.length} bytes; it must be 32 (RFC 8032 §5.1.5).`);
  const x = ed25519.getPublicKey(seed);
  if (publicInFile && !equalBytes(publicInFile, x)) throw new KeyError('The public key stored with the Ed25519 private key does not belong to it.');
  const canonical = tlv(TAG.SEQUENCE, tlv(TAG.INTEGER, Uint8Array.of(0)), tlv(TAG.SEQUENCE, tlv(TAG.OID, oidBytes(OID.ed25519))), tlv(TAG.OCTET_STRING, tlv(TAG.OCTET_STRING, seed)));
  return { alg: ALG.EdDSA, publicKey: { alg: ALG.EdDSA, x }, pkcs8: canonical };
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

const big = (b: Uint8Array) => (b.length === 0 ? 0n : BigInt('0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')));
const gcd = (a: bigint, b: bigint): bigint => {
  while (b) [a, b] = [b, a % b];
  return a;
};

/**
 * RFC 8017 §3.2: n = p·q, e·d ≡ 1 mod λ(n), dP = d mod (p−1), dQ = d mod (q−1), qInv·q ≡ 1 mod p. Some
 * signers silently fall back when the CRT values are wrong (OpenSSL), others fail (BoringSSL): check here.
 */
function rsaConsistent(values: Uint8Array[]): boolean {
  const [n, e, d, p, q, dP, dQ, qInv] = values.map(big) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  if (p < 3n || q < 3n || e < 3n || n !== p * q) return false;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  return (e * d) % lambda === 1n && dP === d % (p - 1n) && dQ === d % (q - 1n) && (qInv * q) % p === 1n;
}

/** RFC 8017 §A.1.2 RSAPrivateKey, two-prime, checked consistent; WebCrypto's re-export is the canonical form. */
async function rsaKey(inner: Uint8Array): Promise<InspectedKey> {
  const outer = new DerReader(inner, 'RSAPrivateKey');
  const r = new DerReader(outer.expect(TAG.SEQUENCE, 'RSAPrivateKey'), 'RSAPrivateKey');
  outer.end();
  const version = readSmallInt(r.expect(TAG.INTEGER, 'version'), 'version');
  if (version !== 0) throw new KeyError('The RSA private key has more than two primes (RFC 8017 §A.1.2 version 1), which browsers cannot use.');
  const names = ['modulus', 'publicExponent', 'privateExponent', 'prime1', 'prime2', 'exponent1', 'exponent2', 'coefficient'];
  const values = names.map((name) => readUnsigned(r.expect(TAG.INTEGER, name), name));
  r.end();
  const n = values[0]!;
  const bits = n.length * 8 - Math.clz32(n[0]!) + 24;
  if (bits < MIN_RSA_BITS) throw new KeyError(`The RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required.`);
  if (bits > MAX_RSA_BITS) throw new KeyError(`The RSA key has ${bits} bits; Keyport accepts at most ${MAX_RSA_BITS}.`);
  if (!rsaConsistent(values)) throw new KeyError('The RSA private key is inconsistent: its primes and exponents do not belong to its modulus (RFC 8017 §3.2).');
  const subtle = globalThis.crypto.subtle;
  const wrapped = tlv(
    TAG.SEQUENCE,
    tlv(TAG.INTEGER, Uint8Array.of(0)),
    tlv(TAG.SEQUENCE, tlv(TAG.OID, oidBytes(OID.rsaEncryption)), tlv(TAG.NULL)),
    tlv(TAG.OCTET_STRING, inner),
  );
  let key: CryptoKey;
  try {
    key = await subtle.importKey('pkcs8', wrapped as BufferSource, RSA, true, ['sign']);
  } catch (e) {
    throw new KeyError(`The RSA private key was refused by WebCrypto: ${(e as Error).message}`);
  } finally {
    wrapped.fill(0);
  }
  const canonical = new Uint8Array(await subtle.exportKey('pkcs8', key));
  const publicKey = { alg: ALG.RS256, n: n.slice(), e: values[1]!.slice() } as const;
  return { alg: ALG.RS256, publicKey, pkcs8: canonical };
}

// RFC 7468 textual encoding.

const PEM_MAX_CHARS = 64 * 1024;

/** The DER inside one PEM block with the given label (RFC 7468 §2, lax whitespace as §3 allows). */
export function pemToDer(text: string, label = 'PRIVATE KEY'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('pemToDer: text must be a string');
  if (text.length > PEM_MAX_CHARS) throw new KeyError('The PEM text is too long to be a private key.');
  const m = /^\s*-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----\s*$/.exec(text);
  if (!m) throw new KeyError(`The private key is not a PEM block ("-----BEGIN ${label}-----" ... "-----END ${label}-----").`);
  const [, begin, body, end] = m as unknown as [string, string, string, string];
  if (begin !== end) throw new KeyError(`The PEM block begins as "${begin}" but ends as "${end}".`);
  if (begin !== label) {
    if (begin === 'ENCRYPTED PRIVATE KEY') throw new KeyError('The private key is encrypted; export it without a password.');
    if (begin === 'EC PRIVATE KEY' || begin === 'RSA PRIVATE KEY') throw new KeyError(`The private key is in the older "${begin}" form; Keyport reads PKCS#8 ("${label}").`);
    throw new KeyError(`The PEM block is a "${begin}", not a "${label}".`);
  }
  if (body.includes(':')) throw new KeyError('The PEM block has headers (RFC 1421 encryption); export the key without a password.');
  try {
    return decodeBase64(body.replace(/[ \t\r\n]/g, ''));
  } catch (e) {
    throw new KeyError(`The PEM body is not valid base64: ${(e as Error).message}.`);
  }
}

/** RFC 7468 §2 strict form: 64-character lines, LF line ends, a final LF (as Botan, and so KeePassXC, writes it). */
export function derToPem(der: Uint8Array, label = 'PRIVATE KEY'): string {
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

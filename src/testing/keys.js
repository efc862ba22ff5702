// @ts-check
// Passkeys in Playwright's shape (browserContext.credentials' VirtualCredential: id, rpId, userHandle, privateKey,
// publicKey, signCount, every byte field base64url, the private key PKCS#8 and the public key SPKI), and the checks
// that test code's input gets here in Node, before any of it reaches a browser: an error names the argument.
// Plain Node: no extension API, no browser.

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { parse } from 'tldts';

/**
 * A passkey as Playwright's browserContext.credentials gives it: what `credentials.create()` takes and returns.
 * @typedef {object} VirtualCredential
 * @property {string} id          credential id, base64url
 * @property {string} rpId
 * @property {string} userHandle  the relying party's user.id, base64url ('' when the passkey has none)
 * @property {string} privateKey  PKCS#8 (DER), base64url
 * @property {string} publicKey   SPKI (DER), base64url
 * @property {number} signCount   the signature counter the relying party saw last
 */

/** @typedef {'ES256' | 'EdDSA' | 'RS256' | -7 | -8 | -257} AlgorithmName */

/**
 * A fresh passkey from makePasskey(): the VirtualCredential shape, plus the COSE algorithm and the COSE_Key a
 * relying party stores (e.g. @simplewebauthn/server's `credential.publicKey`).
 * @typedef {VirtualCredential & { alg: -7 | -8 | -257, cosePublicKey: string }} MadePasskey
 */

/** COSE algorithm numbers (RFC 9053) by name. */
export const ALGORITHMS = /** @type {const} */ ({ ES256: -7, EdDSA: -8, RS256: -257 });

/**
 * The COSE number of an algorithm given by name or number.
 * @param {unknown} alg
 * @param {string} what
 * @returns {-7 | -8 | -257}
 */
export function algorithmOf(alg, what) {
  if (alg === 'ES256' || alg === -7) return -7;
  if (alg === 'EdDSA' || alg === 'Ed25519' || alg === -8) return -8;
  if (alg === 'RS256' || alg === -257) return -257;
  throw new TypeError(`${what} must be 'ES256' (-7), 'EdDSA' (-8) or 'RS256' (-257), got ${describe(alg)}`);
}

/**
 * Bytes from base64url text (RFC 4648 §5, no padding), the one encoding of this package's passkeys. Standard
 * base64 is refused with a sentence saying so, rather than decoded to other bytes.
 * @param {unknown} value
 * @param {string} what  the argument's name, for the error
 * @param {{ min?: number, max?: number }} [size]  bytes
 * @returns {Buffer}
 */
export function fromBase64url(value, what, { min = 0, max = Infinity } = {}) {
  if (typeof value !== 'string') throw new TypeError(`${what} must be base64url text, got ${describe(value)}`);
  if (/[+/=]/.test(value) && /^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw new TypeError(`${what} is base64, not base64url: convert it with Buffer.from(text, 'base64').toString('base64url')`);
  }
  if (!/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) throw new TypeError(`${what} is not base64url text (got ${describe(value)})`);
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length < min || bytes.length > max) {
    throw new RangeError(`${what} is ${bytes.length} bytes; it must be ${max === Infinity ? `at least ${min}` : `${min} to ${max}`}`);
  }
  return bytes;
}

/** @param {Uint8Array} bytes */
export const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

/**
 * A relying party id WebAuthn accepts: a lower-case domain name (localhost included), never an IP address or a
 * public suffix (the public suffix list's ICANN and private sections, as browsers use it: "com", "co.uk",
 * "github.io"), where no browser would let a site create a passkey.
 * @param {unknown} rpId
 * @param {string} what
 * @returns {string}
 */
export function checkRpId(rpId, what) {
  if (typeof rpId !== 'string' || rpId === '') throw new TypeError(`${what} must be a domain name such as "example.com", got ${describe(rpId)}`);
  if (rpId !== rpId.toLowerCase()) throw new TypeError(`${what} must be lower case, as a browser gives it: "${rpId.toLowerCase()}", not "${rpId}"`);
  if (/^[0-9.]+$/.test(rpId) || /^\[?[0-9a-f:]*:[0-9a-f:.]*\]?$/i.test(rpId)) throw new TypeError(`${what} "${rpId}" is an IP address, which WebAuthn does not accept as a relying party id`);
  if (rpId.length > 253 || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(rpId)) {
    throw new TypeError(`${what} "${rpId}" is not a domain name (labels of a-z, 0-9 and inner hyphens, joined by dots)`);
  }
  const parsed = parse(rpId, { allowPrivateDomains: true });
  if (parsed.publicSuffix === rpId && (parsed.isIcann || parsed.isPrivate)) {
    throw new TypeError(`${what} "${rpId}" is a public suffix: no browser lets a site create a passkey for it; use a domain below it, such as "example.${rpId}"`);
  }
  return rpId;
}

/**
 * A PKCS#8 private key of an algorithm Keyport signs with: ES256 (P-256), EdDSA (Ed25519) or RS256 (RSA, 2048 bits
 * or more). Resolves to its COSE algorithm and its SPKI public key.
 * @param {Uint8Array} pkcs8
 * @param {string} what
 * @returns {{ alg: -7 | -8 | -257, spki: Buffer, cose: Buffer }}
 */
export function inspectPkcs8(pkcs8, what) {
  let key;
  try {
    key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new TypeError(`${what} is not a PKCS#8 (DER) private key: ${/** @type {Error} */ (e).message}`);
  }
  const pub = createPublicKey(key);
  const spki = pub.export({ format: 'der', type: 'spki' });
  const jwk = pub.export({ format: 'jwk' });
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return { alg: -7, spki, cose: coseKey(-7, jwk) };
  if (key.asymmetricKeyType === 'ed25519') return { alg: -8, spki, cose: coseKey(-8, jwk) };
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return { alg: -257, spki, cose: coseKey(-257, jwk) };
  const detail = key.asymmetricKeyDetails?.namedCurve ?? key.asymmetricKeyDetails?.modulusLength ?? '';
  throw new TypeError(`${what} is a ${key.asymmetricKeyType} ${detail} key; Keyport signs with P-256 (ES256), Ed25519 (EdDSA) or RSA of 2048 bits or more (RS256)`);
}

/**
 * A fresh key pair of the algorithm, as PKCS#8.
 * @param {-7 | -8 | -257} alg
 * @returns {Buffer}
 */
export function generatePkcs8(alg) {
  const pair = alg === -7 ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : alg === -8 ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return pair.privateKey.export({ format: 'der', type: 'pkcs8' });
}

/**
 * A fresh passkey for seeding a relying party's database in a test, in the shape of Playwright's VirtualCredential
 * (hand it to `keyport.credentials.create(p.rpId, p)`, or Playwright's own `context.credentials.create`, for ES256),
 * with `alg` and the COSE_Key beside it. Checks rpId, alg and userHandle before it makes anything.
 * @param {{ rpId: string, alg?: AlgorithmName, userHandle?: string, id?: string }} options
 * @returns {MadePasskey}
 */
export function makePasskey(options) {
  if (typeof options !== 'object' || options === null) throw new TypeError(`makePasskey: the options must be an object such as { rpId: 'example.com' }, got ${describe(options)}`);
  const { rpId, alg = 'ES256', userHandle, id, ...rest } = options;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new TypeError(`makePasskey: unknown option ${unknown.join(', ')} (expected rpId, alg, userHandle, id)`);
  checkRpId(rpId, 'makePasskey: rpId');
  const cose = algorithmOf(alg, 'makePasskey: alg');
  const handle = userHandle === undefined ? randomBytes(16) : fromBase64url(userHandle, 'makePasskey: userHandle', { min: 1, max: 64 });
  const credentialId = id === undefined ? randomBytes(16) : fromBase64url(id, 'makePasskey: id', { min: 1, max: 1023 });
  const pkcs8 = generatePkcs8(cose);
  const { spki, cose: coseKeyBytes } = inspectPkcs8(pkcs8, 'privateKey');
  return {
    id: base64url(credentialId),
    rpId,
    userHandle: base64url(handle),
    privateKey: base64url(pkcs8),
    publicKey: base64url(spki),
    signCount: 0,
    alg: cose,
    cosePublicKey: base64url(coseKeyBytes),
  };
}

// ---- COSE_Key (RFC 9052 §7, RFC 9053), in the CBOR canonical order relying parties store ----

/** @param {number} major @param {number} n */
function head(major, n) {
  if (n < 24) return Buffer.of((major << 5) | n);
  if (n < 0x100) return Buffer.of((major << 5) | 24, n);
  if (n < 0x10000) return Buffer.of((major << 5) | 25, n >> 8, n & 0xff);
  return Buffer.of((major << 5) | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}
/** @param {number} n */
const int = (n) => (n >= 0 ? head(0, n) : head(1, -1 - n));
/** @param {string | undefined} b64u */
const bstr = (b64u) => {
  const b = Buffer.from(b64u ?? '', 'base64url');
  return Buffer.concat([head(2, b.length), b]);
};

/**
 * @param {-7 | -8 | -257} alg
 * @param {import('node:crypto').JsonWebKey} jwk
 */
function coseKey(alg, jwk) {
  /** @type {Array<[number, Buffer]>} */
  const entries =
    alg === -7 ? [[1, int(2)], [3, int(-7)], [-1, int(1)], [-2, bstr(jwk.x)], [-3, bstr(jwk.y)]]
    : alg === -8 ? [[1, int(1)], [3, int(-8)], [-1, int(6)], [-2, bstr(jwk.x)]]
    : [[1, int(3)], [3, int(-257)], [-1, bstr(jwk.n)], [-2, bstr(jwk.e)]];
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, v]) => [int(k), v])]);
}

/** @param {unknown} value */
export function describe(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return !value.constructor || value.constructor === Object ? 'a plain object' : `a ${value.constructor.name}`;
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || typeof value === 'symbol') return `${typeof value} ${String(value)}`;
  return typeof value;
}

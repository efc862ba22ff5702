// @ts-check
// Passkeys as test code holds them, and as Keyport's automation API takes them. Two input forms are accepted:
// - Chromium's virtual authenticator (CDP WebAuthn.Credential: credentialId, privateKey PKCS#8 and userHandle as
//   base64 strings, isResidentCredential, rpId, signCount), and
// - the WebAuthn JSON form (PublicKeyCredential.toJSON(): base64url strings) or raw bytes, with the private key as
//   PKCS#8 (bytes, base64, base64url or PEM), a node:crypto KeyObject or an extractable WebCrypto CryptoKey.
// getCredentials answers in the CDP shape, with `id` (base64url, as in toJSON and on the relying party) beside it.
// Plain Node: no extension API, no browser; tested in tests/e2e/testing-fixture.test.mjs.

import { KeyObject, webcrypto } from 'node:crypto';

/**
 * A passkey for addCredential. Byte fields take bytes, base64 or base64url (padded or not).
 * @typedef {object} CredentialInput
 * @property {BytesLike} credentialId
 * @property {string} rpId
 * @property {PrivateKeyLike} privateKey        PKCS#8
 * @property {BytesLike} [userHandle]          the relying party's user.id
 * @property {boolean} [isResidentCredential=true]  discoverable (found without allowCredentials)
 * @property {number} [signCount]
 * @property {string} [userName]
 * @property {string} [userDisplayName]
 */

/** @typedef {string | Uint8Array | ArrayBuffer | ArrayBufferView} BytesLike */
/** @typedef {BytesLike | KeyObject | CryptoKey} PrivateKeyLike */

/**
 * A passkey as getCredentials answers: Chromium's WebAuthn.Credential shape, plus Keyport's metadata.
 * @typedef {object} VirtualCredential
 * @property {string} credentialId   base64 (as CDP)
 * @property {string} id             base64url (as PublicKeyCredential.toJSON().id and the relying party)
 * @property {boolean} isResidentCredential
 * @property {string} rpId
 * @property {string} [userHandle]   base64; absent when the passkey has none
 * @property {number} signCount
 * @property {string} userName
 * @property {string} userDisplayName
 * @property {number} alg            COSE algorithm (-7 ES256, -8 EdDSA, -257 RS256)
 * @property {boolean} backupState   BS as stored (sync or a backup holds it)
 * @property {number} createdAt      milliseconds since the epoch
 * @property {number} [lastUsedAt]
 * @property {string} [privateKey]   base64 PKCS#8, only with { includePrivateKeys: true }
 */

/**
 * What passkeyVault.addCredential takes (src/app/automation.ts TestCredential).
 * @typedef {object} AutomationCredential
 * @property {string} credentialId  base64
 * @property {string} rpId
 * @property {string} privateKey    base64 PKCS#8
 * @property {string} [userHandle]  base64
 * @property {boolean} [isResidentCredential]
 * @property {number} [signCount]
 * @property {string} [userName]
 * @property {string} [userDisplayName]
 */

const INPUT_FIELDS = new Set(['credentialId', 'rpId', 'privateKey', 'userHandle', 'isResidentCredential', 'signCount', 'userName', 'userDisplayName']);
/** Fields getCredentials answers that addCredential cannot set: ignored, so a listed passkey can be added elsewhere. */
const READ_ONLY_FIELDS = new Set(['id', 'alg', 'backupState', 'createdAt', 'lastUsedAt']);

// RFC 4648 §4 (standard) and §5 (url-safe) alphabets; padding only at the end.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Bytes from a BufferSource, or from base64 / base64url text (padded or not, never a mix of the two alphabets).
 * @param {unknown} value
 * @param {string} what  the argument's name, for the error
 * @returns {Uint8Array}
 */
export function toBytes(value, what) {
  if (typeof value === 'string') {
    const text = value.trim();
    const unpadded = text.replace(/=+$/, '');
    if (!BASE64.test(text) || unpadded.length % 4 === 1 || (/[+/]/.test(text) && /[-_]/.test(text))) {
      throw new TypeError(`${what} is not base64 or base64url text (got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}")`);
    }
    return new Uint8Array(Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  throw new TypeError(`${what} must be bytes (Uint8Array, ArrayBuffer, a view) or base64 / base64url text, got ${describe(value)}`);
}

/** @param {Uint8Array} bytes */
export const base64 = (bytes) => Buffer.from(bytes).toString('base64');
/** @param {Uint8Array} bytes */
export const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

/**
 * A PKCS#8 private key (RFC 5208) from any of the accepted forms.
 * @param {unknown} key
 * @returns {Promise<Uint8Array>}
 */
export async function pkcs8Of(key) {
  if (key instanceof KeyObject) {
    if (key.type !== 'private') throw new TypeError(`privateKey must be a private key, got a ${key.type} KeyObject`);
    return new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
  }
  if (key instanceof globalThis.CryptoKey) {
    if (key.type !== 'private') throw new TypeError(`privateKey must be a private key, got a ${key.type} CryptoKey`);
    if (!key.extractable) throw new TypeError('privateKey is a CryptoKey that is not extractable: generate it with extractable = true');
    return new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', key));
  }
  if (typeof key === 'string' && key.includes('-----BEGIN')) {
    const m = /-----BEGIN PRIVATE KEY-----([\s\S]*?)-----END PRIVATE KEY-----/.exec(key);
    if (!m) throw new TypeError('privateKey is PEM but not "PRIVATE KEY" (PKCS#8); convert it with `openssl pkcs8 -topk8 -nocrypt`');
    return toBytes(m[1]?.replace(/\s+/g, '') ?? '', 'privateKey');
  }
  return toBytes(key, 'privateKey');
}

/**
 * Checks a passkey given by test code and turns it into what passkeyVault.addCredential takes (all base64).
 * Keyport checks the rest (the key's algorithm and curve, the sizes, a duplicate id) and names what is wrong.
 * @param {CredentialInput} input
 * @returns {Promise<AutomationCredential>}
 */
export async function toAutomationCredential(input) {
  if (typeof input !== 'object' || input === null) throw new TypeError(`addCredential: the credential must be an object, got ${describe(input)}`);
  const unknown = Object.keys(input).filter((k) => !INPUT_FIELDS.has(k) && !READ_ONLY_FIELDS.has(k));
  if (unknown.length > 0) throw new TypeError(`addCredential: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (expected ${[...INPUT_FIELDS].join(', ')})`);
  const { credentialId, rpId, privateKey, userHandle, isResidentCredential, signCount, userName, userDisplayName } = input;
  if (credentialId === undefined) throw new TypeError('addCredential: credentialId is missing');
  if (typeof rpId !== 'string' || rpId === '') throw new TypeError(`addCredential: rpId must be a domain name such as "example.com", got ${describe(rpId)}`);
  if (privateKey === undefined) throw new TypeError('addCredential: privateKey (PKCS#8) is missing');
  if (isResidentCredential !== undefined && typeof isResidentCredential !== 'boolean') throw new TypeError(`addCredential: isResidentCredential must be true or false, got ${describe(isResidentCredential)}`);
  if (signCount !== undefined && !(Number.isInteger(signCount) && signCount >= 0 && signCount <= 0xffffffff)) throw new TypeError(`addCredential: signCount must be an integer from 0 to 2^32 - 1, got ${describe(signCount)}`);
  for (const [name, value] of /** @type {const} */ ([['userName', userName], ['userDisplayName', userDisplayName]])) {
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`addCredential: ${name} must be a string, got ${describe(value)}`);
  }
  /** @type {AutomationCredential} */
  const out = {
    credentialId: base64(toBytes(credentialId, 'addCredential: credentialId')),
    rpId,
    privateKey: base64(await pkcs8Of(privateKey).catch((/** @type {Error} */ e) => Promise.reject(new TypeError(`addCredential: ${e.message}`)))),
  };
  if (userHandle !== undefined) out.userHandle = base64(toBytes(userHandle, 'addCredential: userHandle'));
  if (isResidentCredential !== undefined) out.isResidentCredential = isResidentCredential;
  if (signCount !== undefined) out.signCount = signCount;
  if (userName !== undefined) out.userName = userName;
  if (userDisplayName !== undefined) out.userDisplayName = userDisplayName;
  return out;
}

/**
 * One entry of passkeyVault.getCredentials() (base64url ids) in the CDP shape.
 * @param {{ id: string, rpId: string, userName: string, userDisplayName?: string, userHandle: string, alg: number,
 *           isResidentCredential: boolean, backedUp: boolean, signCount: number, createdAt: number, lastUsedAt?: number,
 *           privateKey?: string }} meta
 * @returns {VirtualCredential}
 */
export function toVirtualCredential(meta) {
  /** @type {VirtualCredential} */
  const out = {
    credentialId: base64(toBytes(meta.id, 'id')),
    id: meta.id,
    isResidentCredential: meta.isResidentCredential,
    rpId: meta.rpId,
    signCount: meta.signCount,
    userName: meta.userName,
    userDisplayName: meta.userDisplayName ?? '',
    alg: meta.alg,
    backupState: meta.backedUp,
    createdAt: meta.createdAt,
  };
  if (meta.userHandle) out.userHandle = base64(toBytes(meta.userHandle, 'userHandle'));
  if (meta.lastUsedAt !== undefined && meta.lastUsedAt !== null) out.lastUsedAt = meta.lastUsedAt;
  if (meta.privateKey !== undefined) out.privateKey = base64(toBytes(meta.privateKey, 'privateKey'));
  return out;
}

/**
 * A credential id as Keyport names it (base64url), from bytes, base64 or base64url.
 * @param {BytesLike} credentialId
 * @param {string} what
 */
export const credentialIdOf = (credentialId, what) => base64url(toBytes(credentialId, what));

/** @param {unknown} value */
function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return !value.constructor || value.constructor === Object ? 'a plain object' : `a ${value.constructor.name}`;
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

// @ts-check
// Passkeys as test code holds them, and as Keyport's automation API takes them.
// - Playwright's shape (keys.js VirtualCredential: base64url everywhere, PKCS#8 and SPKI) for credentials.create(),
//   strict: another encoding is an error naming the field.
// - Chromium's virtual authenticator (CDP WebAuthn.Credential: credentialId, privateKey PKCS#8 and userHandle as
//   base64 strings) or the WebAuthn JSON form or raw bytes for addCredential(), which reads CDP's base64 because
//   that is what CDP's getCredentials gives; the private key as PKCS#8 (bytes, base64, base64url or PEM), a
//   node:crypto KeyObject or an extractable WebCrypto CryptoKey.
// Everything this package answers is base64url.
// Plain Node: no extension API, no browser; tested in tests/e2e/testing-fixture.test.mjs.

import { KeyObject, webcrypto } from 'node:crypto';
import * as v from 'valibot';
import { algorithmOf, base64url as toBase64url, checkRpId, describe, fromBase64url, generatePkcs8, inspectPkcs8 } from './keys.js';

/**
 * A passkey for addCredential. Byte fields take bytes, base64 or base64url (padded or not).
 * @typedef {object} CredentialInput
 * @property {BytesLike} [credentialId]     CDP's name; or `id`
 * @property {BytesLike} [id]
 * @property {string} rpId
 * @property {PrivateKeyLike} privateKey        PKCS#8
 * @property {BytesLike} [userHandle]          the relying party's user.id
 * @property {boolean} [isResidentCredential=true]  discoverable (found without allowCredentials)
 * @property {number} [signCount]
 * @property {string} [userName]
 * @property {string} [userDisplayName]
 * @property {BytesLike} [publicKey]  SPKI, checked against privateKey
 */

/** @typedef {string | Uint8Array | ArrayBuffer | ArrayBufferView} BytesLike */
/** @typedef {BytesLike | KeyObject | CryptoKey} PrivateKeyLike */

/**
 * A passkey as getCredentials answers: Playwright's VirtualCredential fields (every byte field base64url), plus
 * Keyport's metadata. The keys come only with { includePrivateKeys: true }.
 * @typedef {object} KeyportCredential
 * @property {string} id             base64url (as PublicKeyCredential.toJSON().id and the relying party)
 * @property {string} rpId
 * @property {string} userHandle     base64url; '' when the passkey has none
 * @property {number} signCount
 * @property {boolean} isResidentCredential
 * @property {string} userName
 * @property {string} userDisplayName
 * @property {number} alg            COSE algorithm (-7 ES256, -8 EdDSA, -257 RS256)
 * @property {boolean} backupState   BS as stored (sync or a backup holds it)
 * @property {number} createdAt      milliseconds since the epoch
 * @property {number} [lastUsedAt]
 * @property {string} [privateKey]   PKCS#8, base64url, only with { includePrivateKeys: true }
 * @property {string} [publicKey]    SPKI, base64url, only with { includePrivateKeys: true }
 */

/**
 * What passkeyVault.addCredential takes (src/app/automation.ts TestCredential), every byte field base64url here.
 * @typedef {object} AutomationCredential
 * @property {string} credentialId
 * @property {string} rpId
 * @property {string} privateKey    PKCS#8
 * @property {string} [userHandle]
 * @property {boolean} [isResidentCredential]
 * @property {number} [signCount]
 * @property {string} [userName]
 * @property {string} [userDisplayName]
 */

const INPUT_FIELDS = new Set(['credentialId', 'id', 'rpId', 'privateKey', 'userHandle', 'isResidentCredential', 'signCount', 'userName', 'userDisplayName']);
/** Fields getCredentials answers that addCredential cannot set: ignored, so a listed passkey can be added elsewhere. */
const READ_ONLY_FIELDS = new Set(['alg', 'publicKey', 'backupState', 'createdAt', 'lastUsedAt']);

// RFC 4648 §4 (standard) and §5 (url-safe) alphabets; padding only at the end.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Bytes from a BufferSource, or from base64 / base64url text (padded or not, never a mix of the two alphabets).
 * @param {unknown} value
 * @param {string} what  the argument's name, for the error
 * @returns {Buffer}
 */
export function toBytes(value, what) {
  if (typeof value === 'string') {
    const text = value.trim();
    const unpadded = text.replace(/=+$/, '');
    if (!BASE64.test(text) || unpadded.length % 4 === 1 || (/[+/]/.test(text) && /[-_]/.test(text))) {
      throw new TypeError(`${what} is not base64 or base64url text (got "${text.length > 40 ? `${text.slice(0, 40)}…` : text}")`);
    }
    return Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  }
  if (value instanceof ArrayBuffer) return Buffer.from(value.slice(0));
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  throw new TypeError(`${what} must be bytes (Uint8Array, ArrayBuffer, a view) or base64 / base64url text, got ${describe(value)}`);
}

export const base64url = toBase64url;

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
 * Checks a passkey given by test code and turns it into what passkeyVault.addCredential takes (all base64url).
 * Keyport checks the rest (the key's algorithm and curve, the sizes, a duplicate id) and names what is wrong.
 * @param {CredentialInput} input
 * @returns {Promise<AutomationCredential>}
 */
export async function toAutomationCredential(input) {
  if (typeof input !== 'object' || input === null) throw new TypeError(`addCredential: the credential must be an object, got ${describe(input)}`);
  const unknown = Object.keys(input).filter((k) => !INPUT_FIELDS.has(k) && !READ_ONLY_FIELDS.has(k));
  if (unknown.length > 0) throw new TypeError(`addCredential: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (expected ${[...INPUT_FIELDS].join(', ')})`);
  const { credentialId: cdpId, id, rpId, privateKey, userHandle, isResidentCredential, signCount, userName, userDisplayName } = input;
  const credentialId = cdpId ?? id;
  if (credentialId === undefined) throw new TypeError('addCredential: credentialId (or id) is missing');
  if (cdpId !== undefined && id !== undefined && base64url(toBytes(cdpId, 'addCredential: credentialId')) !== base64url(toBytes(id, 'addCredential: id'))) {
    throw new TypeError('addCredential: credentialId and id name different passkeys');
  }
  checkRpId(rpId, 'addCredential: rpId');
  if (privateKey === undefined) throw new TypeError('addCredential: privateKey (PKCS#8) is missing');
  if (isResidentCredential !== undefined && typeof isResidentCredential !== 'boolean') throw new TypeError(`addCredential: isResidentCredential must be true or false, got ${describe(isResidentCredential)}`);
  if (signCount !== undefined && !(Number.isInteger(signCount) && signCount >= 0 && signCount <= 0xffffffff)) throw new TypeError(`addCredential: signCount must be an integer from 0 to 2^32 - 1, got ${describe(signCount)}`);
  for (const [name, value] of /** @type {const} */ ([['userName', userName], ['userDisplayName', userDisplayName]])) {
    if (value !== undefined && typeof value !== 'string') throw new TypeError(`addCredential: ${name} must be a string, got ${describe(value)}`);
  }
  const pkcs8 = await pkcs8Of(privateKey).catch((/** @type {Error} */ e) => Promise.reject(new TypeError(`addCredential: ${e.message}`)));
  const key = inspectPkcs8(pkcs8, 'addCredential: privateKey');
  if (input.publicKey !== undefined && !toBytes(input.publicKey, 'addCredential: publicKey').equals(key.spki)) throw new TypeError('addCredential: publicKey is not the public key of privateKey');
  /** @type {AutomationCredential} */
  const out = {
    credentialId: base64url(toBytes(credentialId, `addCredential: ${cdpId !== undefined ? 'credentialId' : 'id'}`)),
    rpId,
    privateKey: base64url(pkcs8),
  };
  if (userHandle !== undefined && userHandle !== '') out.userHandle = base64url(toBytes(userHandle, 'addCredential: userHandle'));
  if (isResidentCredential !== undefined) out.isResidentCredential = isResidentCredential;
  if (signCount !== undefined) out.signCount = signCount;
  if (userName !== undefined) out.userName = userName;
  if (userDisplayName !== undefined) out.userDisplayName = userDisplayName;
  return out;
}

// One entry of passkeyVault.getCredentials() (src/app/automation.ts), base64url ids: JSON from the extension,
// checked here once, where it arrives.
const VaultCredentialSchema = v.looseObject({
  id: v.string(),
  rpId: v.string(),
  userName: v.string(),
  userDisplayName: v.optional(v.string()),
  userHandle: v.optional(v.string()),
  alg: v.number(),
  isResidentCredential: v.boolean(),
  backedUp: v.boolean(),
  signCount: v.number(),
  createdAt: v.number(),
  lastUsedAt: v.nullish(v.number()),
  privateKey: v.optional(v.string()),
});
/** @typedef {v.InferOutput<typeof VaultCredentialSchema>} VaultCredential */

/**
 * What passkeyVault.getCredentials() answered, checked: throws naming the entry and the field that is not as
 * Keyport answers.
 * @param {unknown} value
 * @returns {VaultCredential[]}
 */
export function parseVaultCredentials(value) {
  const parsed = v.safeParse(v.array(VaultCredentialSchema), value);
  if (parsed.success) return parsed.output;
  const issue = parsed.issues[0];
  throw new TypeError(`Keyport's passkeyVault.getCredentials answered ${v.getDotPath(issue) ?? 'a value'} not as expected: ${issue.message}`);
}

/**
 * One entry of passkeyVault.getCredentials() as this package answers it, with the SPKI public key beside a private
 * key.
 * @param {VaultCredential} meta
 * @returns {KeyportCredential}
 */
export function toKeyportCredential(meta) {
  /** @type {KeyportCredential} */
  const out = {
    id: meta.id,
    rpId: meta.rpId,
    userHandle: meta.userHandle ?? '',
    signCount: meta.signCount,
    isResidentCredential: meta.isResidentCredential,
    userName: meta.userName,
    userDisplayName: meta.userDisplayName ?? '',
    alg: meta.alg,
    backupState: meta.backedUp,
    createdAt: meta.createdAt,
  };
  if (meta.lastUsedAt !== undefined && meta.lastUsedAt !== null) out.lastUsedAt = meta.lastUsedAt;
  if (meta.privateKey !== undefined) {
    out.privateKey = meta.privateKey;
    out.publicKey = base64url(inspectPkcs8(Buffer.from(meta.privateKey, 'base64url'), 'privateKey').spki);
  }
  return out;
}

/**
 * Playwright's shape of a passkey.
 * @param {KeyportCredential} c  with its keys
 * @returns {import('./keys.js').VirtualCredential}
 */
export const toPlaywrightCredential = (c) => ({
  id: c.id,
  rpId: c.rpId,
  userHandle: c.userHandle,
  privateKey: c.privateKey ?? '',
  publicKey: c.publicKey ?? '',
  signCount: c.signCount,
});

/**
 * What credentials.create() takes beside rpId: Playwright's options, all optional (a fresh key pair, id and user
 * handle when left out), plus `alg` for a key made here and the fields getCredentials() answers, so that a listed
 * passkey or a saved state can be created again.
 * @typedef {object} CreateOptions
 * @property {string} [id]          base64url; default 16 random bytes
 * @property {string} [userHandle]  base64url; default 16 random bytes
 * @property {string} [privateKey]  PKCS#8, base64url; default a fresh key of `alg`
 * @property {string} [publicKey]   SPKI, base64url; checked against privateKey
 * @property {number} [signCount]   default 0
 * @property {import('./keys.js').AlgorithmName} [alg]  for a fresh key (default ES256); checked against privateKey
 * @property {string} [rpId]        ignored when it is the rpId argument (a captured passkey carries it)
 * @property {string} [userName]
 * @property {string} [userDisplayName]
 * @property {boolean} [isResidentCredential]  default true
 * @property {string} [cosePublicKey]  makePasskey's COSE_Key, checked against privateKey
 */

const CREATE_FIELDS = ['id', 'userHandle', 'privateKey', 'publicKey', 'signCount', 'alg', 'rpId', 'userName', 'userDisplayName', 'isResidentCredential', 'cosePublicKey'];
/** Fields getCredentials() answers that create cannot set: ignored, so a listed passkey can be created again. */
const CREATE_IGNORED = new Set(['backupState', 'createdAt', 'lastUsedAt']);

/**
 * Checks credentials.create(rpId, options) in Node and gives what passkeyVault.addCredential takes, with the
 * passkey in Playwright's shape to answer. Every problem is a TypeError or RangeError naming the argument.
 * @param {unknown} rpId
 * @param {unknown} options
 * @param {string} [call]
 * @returns {{ automation: AutomationCredential, credential: import('./keys.js').VirtualCredential }}
 */
export function toCreateRequest(rpId, options = {}, call = 'credentials.create') {
  checkRpId(rpId, `${call}: rpId`);
  const rp = /** @type {string} */ (rpId);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new TypeError(`${call}: options must be an object, got ${describe(options)}`);
  const o = /** @type {Record<string, unknown>} */ (options);
  const unknown = Object.keys(o).filter((k) => !CREATE_FIELDS.includes(k) && !CREATE_IGNORED.has(k));
  if (unknown.length > 0) throw new TypeError(`${call}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (expected ${CREATE_FIELDS.join(', ')})`);
  if (o.rpId !== undefined && o.rpId !== rp) throw new TypeError(`${call}: options.rpId ${describe(o.rpId)} is not the rpId argument "${rp}"`);
  const id = o.id === undefined ? webcrypto.getRandomValues(new Uint8Array(16)) : fromBase64url(o.id, `${call}: id`, { min: 1, max: 1023 });
  const userHandle = o.userHandle === undefined ? webcrypto.getRandomValues(new Uint8Array(16)) : fromBase64url(o.userHandle, `${call}: userHandle`, { min: 0, max: 64 });
  const signCount = o.signCount ?? 0;
  if (!(typeof signCount === 'number' && Number.isInteger(signCount) && signCount >= 0 && signCount <= 0xffffffff)) throw new RangeError(`${call}: signCount must be an integer from 0 to 4294967295, got ${describe(signCount)}`);
  const alg = o.alg === undefined ? undefined : algorithmOf(o.alg, `${call}: alg`);
  if (o.privateKey === undefined && o.publicKey !== undefined) throw new TypeError(`${call}: publicKey was given without its privateKey (Keyport signs: it needs the PKCS#8 private key)`);
  const pkcs8 = o.privateKey === undefined ? generatePkcs8(alg ?? -7) : fromBase64url(o.privateKey, `${call}: privateKey`, { min: 1, max: 4096 });
  const key = inspectPkcs8(pkcs8, `${call}: privateKey`);
  if (alg !== undefined && alg !== key.alg) throw new TypeError(`${call}: alg ${describe(o.alg)} is not the algorithm of privateKey (${key.alg})`);
  if (o.publicKey !== undefined && !fromBase64url(o.publicKey, `${call}: publicKey`).equals(key.spki)) throw new TypeError(`${call}: publicKey is not the SPKI public key of privateKey`);
  if (o.cosePublicKey !== undefined && !fromBase64url(o.cosePublicKey, `${call}: cosePublicKey`).equals(key.cose)) throw new TypeError(`${call}: cosePublicKey is not the public key of privateKey`);
  for (const name of /** @type {const} */ (['userName', 'userDisplayName'])) {
    if (o[name] !== undefined && typeof o[name] !== 'string') throw new TypeError(`${call}: ${name} must be a string, got ${describe(o[name])}`);
  }
  if (o.isResidentCredential !== undefined && typeof o.isResidentCredential !== 'boolean') throw new TypeError(`${call}: isResidentCredential must be true or false, got ${describe(o.isResidentCredential)}`);

  /** @type {AutomationCredential} */
  const automation = { credentialId: base64url(id), rpId: rp, privateKey: base64url(pkcs8), signCount };
  if (userHandle.length > 0) automation.userHandle = base64url(userHandle);
  if (typeof o.userName === 'string') automation.userName = o.userName;
  if (typeof o.userDisplayName === 'string') automation.userDisplayName = o.userDisplayName;
  if (typeof o.isResidentCredential === 'boolean') automation.isResidentCredential = o.isResidentCredential;
  return {
    automation,
    credential: { id: base64url(id), rpId: rp, userHandle: base64url(userHandle), privateKey: base64url(pkcs8), publicKey: base64url(key.spki), signCount },
  };
}

/**
 * A credential id as Keyport names it (base64url), from bytes, base64 or base64url.
 * @param {BytesLike} credentialId
 * @param {string} what
 */
export const credentialIdOf = (credentialId, what) => base64url(toBytes(credentialId, what));

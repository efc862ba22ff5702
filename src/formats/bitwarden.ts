// Bitwarden's JSON export, as bitwarden/clients writes and reads it:
// - unencrypted: {encrypted: false, folders, items} (libs/tools/export/vault-export BitwardenUnEncryptedJsonExport),
//   each item a CipherWithIdExport; logins (type 1) carry login.fido2Credentials, whose members are all strings
//   (libs/common/src/models/export/fido2-credential.export.ts): credentialId is a GUID or "b64." + base64url
//   (platform/services/fido2/credential-id-utils.ts parseCredentialId, guid-utils.ts: the GUID's hex in order),
//   keyValue the base64url PKCS#8, userHandle base64url, counter a decimal, creationDate an ISO date;
// - password-protected: {encrypted: true, passwordProtected: true, salt, kdfType, kdfIterations, kdfMemory?,
//   kdfParallelism?, encKeyValidation_DO_NOT_EDIT, data} where data is the unencrypted export as an EncString
//   (base-vault-export.service.ts buildPasswordExport; bitwarden-password-protected-importer.ts), see bitwardenCrypto.ts.
// Bitwarden creates and signs with ECDSA P-256 only (fido2-authenticator.service.ts createKeyPair).
// Items without passkeys, folders and collections are kept in `preserved` and written back on export.
import * as v from 'valibot';
import { encode as b64u } from '../webauthn/base64url.ts';
import { ALG } from '../webauthn/cose.ts';
import {
  type BitwardenKdf,
  DEFAULT_ARGON2ID,
  EncStringError,
  KDF_TYPE,
  decryptString,
  deriveExportKey,
  encryptString,
  kdfProblem,
  wipeKey,
} from './bitwardenCrypto.ts';
import { encodeBase64 } from './base64.ts';
import { Collector, EntryError, LIMITS, type RawPasskey, b64urlText, check, decodeB64url, derivedId, text } from './entry.ts';
import { FormatError, type ParsedDocument, type PortablePasskey } from './types.ts';

const MARK = '$keyport';
const CIPHER_LOGIN = 1; // libs/common/src/vault/enums/cipher-type.ts

export interface BitwardenPreserved {
  format: 'bitwarden';
  /** The unencrypted export, passkeys reduced to placeholders without their keys. */
  document: Record<string, unknown>;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

// GUID <-> 16 bytes, big-endian as the string reads (guid-utils.ts guidToRawFormat / guidToStandardFormat).
const GUID = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;

export function guidToBytes(guid: string): Uint8Array | undefined {
  const m = GUID.exec(guid);
  if (!m) return undefined;
  const hex = m.slice(1).join('');
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

export function bytesToGuid(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** parseCredentialId: "b64." + base64url, else a GUID. */
function credentialIdBytes(id: string): Uint8Array {
  if (id.startsWith('b64.')) return decodeB64url(id.slice(4), 'credential ID');
  const g = guidToBytes(id);
  if (!g) throw new EntryError('Its credential ID is neither a GUID nor "b64." followed by base64url, the two forms Bitwarden writes.');
  return g;
}

/** The form Bitwarden itself writes: a GUID for 16 bytes (its own passkeys), "b64." otherwise (imported ones). */
export function formatCredentialId(id: Uint8Array): string {
  return id.length === 16 ? bytesToGuid(id) : `b64.${b64u(id)}`;
}

const optText = v.nullish(text);
const Fido2Schema = v.looseObject({
  credentialId: text,
  keyType: v.literal('public-key', 'must be "public-key"'),
  keyAlgorithm: text,
  keyCurve: optText,
  keyValue: b64urlText,
  rpId: text,
  userHandle: v.nullish(b64urlText),
  userName: optText,
  counter: v.nullish(v.union([v.pipe(text, v.regex(/^\d{1,10}$/, 'must be a whole number')), v.pipe(v.number(), v.safeInteger())], 'must be a whole number')),
  rpName: optText,
  userDisplayName: optText,
  discoverable: v.nullish(v.union([text, v.boolean()])),
  creationDate: optText,
});

const PlainSchema = v.looseObject({
  encrypted: v.literal(false),
  folders: v.nullish(v.array(v.unknown(), 'must be a list')),
  items: v.array(v.unknown(), 'must be a list'),
});

const ProtectedSchema = v.looseObject({
  encrypted: v.literal(true),
  passwordProtected: v.literal(true),
  salt: v.pipe(text, v.minLength(1, 'must not be empty'), v.maxLength(1024, 'is too long')),
  kdfType: v.picklist([KDF_TYPE.pbkdf2, KDF_TYPE.argon2id], 'must be 0 (PBKDF2-SHA256) or 1 (Argon2id)'),
  kdfIterations: v.pipe(v.number('must be a number'), v.safeInteger('must be an integer')),
  kdfMemory: v.nullish(v.pipe(v.number('must be a number'), v.safeInteger('must be an integer'))),
  kdfParallelism: v.nullish(v.pipe(v.number('must be a number'), v.safeInteger('must be an integer'))),
  encKeyValidation_DO_NOT_EDIT: v.pipe(text, v.minLength(1, 'must not be empty')),
  data: v.pipe(text, v.minLength(1, 'must not be empty')),
});

/** True when `json` is a Bitwarden JSON export of either kind (for format detection). */
function looksLikeBitwarden(json: unknown): boolean {
  return isObject(json) && typeof json.encrypted === 'boolean' && ['items', 'data', 'encKeyValidation_DO_NOT_EDIT', 'passwordProtected'].some((k) => k in json);
}

function parseJson(data: string, what: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new FormatError(`${what} is not JSON.`, 'not-this-format');
  }
}

function formatCheck<const S extends v.GenericSchema>(schema: S, value: unknown, prefix: string): v.InferOutput<S> {
  try {
    return check(schema, value, prefix);
  } catch (e) {
    throw new FormatError((e as Error).message);
  }
}

export async function parseBitwarden(data: string, opts: { password?: string } = {}): Promise<ParsedDocument> {
  const json = parseJson(data, 'This file is not a Bitwarden export: it');
  if (!looksLikeBitwarden(json)) throw new FormatError('This file is not a Bitwarden JSON export: it has no "encrypted" flag and items.', 'not-this-format');
  const doc = json as Record<string, unknown>;
  if (doc.encrypted === false) return readPlain(doc);
  if (doc.passwordProtected !== true) {
    throw new FormatError(
      'This Bitwarden export is encrypted with the Bitwarden account’s own key, which only that account can open. Export again from Bitwarden choosing “.json (Password protected)” or unencrypted “.json”.',
      'not-this-format',
    );
  }
  const p = formatCheck(ProtectedSchema, doc, 'The password-protected export’s');
  const kdf: BitwardenKdf =
    p.kdfType === KDF_TYPE.pbkdf2
      ? { type: 'pbkdf2', iterations: p.kdfIterations }
      : { type: 'argon2id', iterations: p.kdfIterations, memory: p.kdfMemory ?? NaN, parallelism: p.kdfParallelism ?? NaN };
  const problem = kdfProblem(kdf);
  if (problem) throw new FormatError(`This export’s key derivation settings are outside what Bitwarden allows: ${problem}.`);
  if (opts.password === undefined || opts.password === '') {
    throw new FormatError('This Bitwarden export is password-protected: enter the password chosen when it was exported.', 'password-required');
  }
  const key = await deriveExportKey(opts.password, p.salt, kdf);
  try {
    try {
      // The importer's checkPassword: an authenticated decryption of the validation string.
      await decryptString(p.encKeyValidation_DO_NOT_EDIT, key);
    } catch (e) {
      if (e instanceof EncStringError && e.reason === 'mac') throw new FormatError('Wrong password for this Bitwarden export (or the file was altered).', 'wrong-password');
      throw new FormatError(`This export’s password check is damaged: ${(e as Error).message}.`, 'tampered');
    }
    let inner: string;
    try {
      inner = await decryptString(p.data, key);
    } catch (e) {
      throw new FormatError(`This export was altered or damaged: its data ${(e as EncStringError).reason === 'mac' ? 'failed authentication' : `could not be read (${(e as Error).message})`}.`, 'tampered');
    }
    const plain = parseJson(inner, 'The decrypted export');
    if (!isObject(plain) || plain.encrypted !== false) throw new FormatError('The decrypted export is not an unencrypted Bitwarden export.', 'malformed');
    return readPlain(plain);
  } finally {
    wipeKey(key);
  }
}

async function readPlain(json: Record<string, unknown>): Promise<ParsedDocument> {
  const doc = formatCheck(PlainSchema, json, 'The Bitwarden export’s');
  const out = new Collector();
  const tooMany = () => new FormatError(`This Bitwarden export has more than ${LIMITS.entries} items.`, 'too-large');
  const preserved = structuredClone(json);
  const items = preserved.items as unknown[];
  for (const [i, item] of doc.items.entries()) {
    out.tick(tooMany);
    if (!isObject(item)) {
      out.reject(`item ${i + 1}`, 'It is not an object; it was kept as it is.');
      continue;
    }
    const login = item.login;
    if (item.type !== CIPHER_LOGIN || !isObject(login) || !Array.isArray(login.fido2Credentials) || login.fido2Credentials.length === 0) continue;
    const name = typeof item.name === 'string' ? ` ‘${item.name.slice(0, 80)}’` : '';
    const creds = login.fido2Credentials as unknown[];
    const kept = structuredClone(creds);
    for (const [c, cred] of creds.entries()) {
      out.tick(tooMany);
      const where = `item ${i + 1}${name}${creds.length > 1 ? `, passkey ${c + 1}` : ''}`;
      const got = await out.add(where, () => readFido2(cred, item));
      if (got) kept[c] = placeholder(cred as Record<string, unknown>, got);
    }
    ((items[i] as Record<string, unknown>).login as Record<string, unknown>).fido2Credentials = kept;
  }
  return { passkeys: out.passkeys, invalid: out.invalid, preserved: { format: 'bitwarden', document: preserved } satisfies BitwardenPreserved };
}

function readFido2(cred: unknown, item: Record<string, unknown>): RawPasskey {
  const f = check(Fido2Schema, cred);
  if (f.userHandle == null || f.userHandle === '') throw new EntryError('It has no user handle (WebAuthn user.id), which a passkey needs to sign in without a user name.');
  const raw: RawPasskey = {
    credentialId: credentialIdBytes(f.credentialId),
    rpId: f.rpId,
    userHandle: decodeB64url(f.userHandle, 'user handle'),
    userName: f.userName ?? '',
    userDisplayName: f.userDisplayName ?? '',
    pkcs8: decodeB64url(f.keyValue, 'key (keyValue)'),
  };
  if (f.keyAlgorithm === 'ECDSA' && (f.keyCurve == null || f.keyCurve === 'P-256')) raw.expectAlg = { alg: ALG.ES256, label: 'ECDSA P-256' };
  if (f.counter != null) {
    const n = Number(f.counter);
    if (n > 0xffffffff) throw new EntryError('Its signature counter is larger than WebAuthn’s 32 bits.');
    // 0 is what Keyport means by no signCount (multi-device credentials count nothing); only a real count is kept.
    if (n > 0) raw.signCount = n;
  }
  if (f.creationDate != null) {
    const t = Date.parse(f.creationDate);
    if (Number.isNaN(t)) throw new EntryError(`Its creation date "${f.creationDate.slice(0, 40)}" is not a date.`);
    raw.createdAt = t;
  }
  if (f.discoverable === false || f.discoverable === 'false') raw.discoverable = false;
  if (typeof item.name === 'string') raw.title = item.name;
  return raw;
}

/** The credential without keyValue, marked with its credential ID so writeBitwarden can put the passkey back. */
function placeholder(cred: Record<string, unknown>, p: PortablePasskey): Record<string, unknown> {
  const { keyValue: _k, ...rest } = cred;
  return { ...rest, [MARK]: b64u(p.credentialId) };
}

export interface BitwardenWriteOptions {
  now: number;
  preserved?: unknown;
  /** Writes the password-protected form when given. */
  password?: string;
  /** For the password-protected form; Argon2id with Bitwarden's defaults when absent. */
  kdf?: BitwardenKdf;
}

/** Bitwarden signs with ECDSA P-256 only; other passkeys cannot go there. */
export const canWriteBitwarden = (p: PortablePasskey) => p.alg === ALG.ES256;

const iso = (ms: number) => new Date(ms).toISOString();

/** A GUID derived from the credential ID (version 4 layout), so re-exports of a passkey name the same item. */
function itemGuid(p: PortablePasskey): string {
  const b = derivedId('bitwarden/item', p.credentialId);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return bytesToGuid(b);
}

/** Fido2CredentialExport, members in Bitwarden's order; a placeholder's rpName and unknown members are kept. */
function fido2(p: PortablePasskey, now: number, from?: Record<string, unknown>): Record<string, unknown> {
  const { [MARK]: _m, keyValue: _k, ...old } = from ?? {};
  return {
    ...old,
    credentialId: formatCredentialId(p.credentialId),
    keyType: 'public-key',
    keyAlgorithm: 'ECDSA',
    keyCurve: 'P-256',
    keyValue: b64u(p.pkcs8),
    rpId: p.rpId,
    userHandle: b64u(p.userHandle),
    userName: p.userName,
    counter: String(p.signCount ?? 0),
    rpName: typeof old.rpName === 'string' ? old.rpName : (p.title ?? p.rpId),
    userDisplayName: p.userDisplayName,
    discoverable: p.discoverable === false ? 'false' : 'true',
    creationDate: iso(p.createdAt ?? now),
  };
}

/** CipherWithIdExport of a login holding one passkey, members in the order Bitwarden writes them. */
function newItem(p: PortablePasskey, now: number): Record<string, unknown> {
  return {
    passwordHistory: null,
    revisionDate: iso(now),
    creationDate: iso(p.createdAt ?? now),
    deletedDate: null,
    id: itemGuid(p),
    organizationId: null,
    folderId: null,
    type: CIPHER_LOGIN,
    reprompt: 0,
    name: p.title ?? p.rpId,
    notes: null,
    favorite: false,
    login: {
      fido2Credentials: [fido2(p, now)],
      uris: [{ match: null, uri: `https://${p.rpId}` }],
      username: p.userName,
      password: null,
      totp: null,
    },
    collectionIds: null,
  };
}

function readPreserved(preserved: unknown): Record<string, unknown> | undefined {
  if (preserved === undefined) return undefined;
  if (!isObject(preserved) || preserved.format !== 'bitwarden' || !isObject(preserved.document)) {
    throw new TypeError('writeBitwarden: preserved data is not from a Bitwarden import');
  }
  return structuredClone(preserved.document);
}

const isEmptyLogin = (item: Record<string, unknown>) => {
  const l = isObject(item.login) ? item.login : {};
  const has = (x: unknown) => x !== null && x !== undefined && x !== '' && !(Array.isArray(x) && x.length === 0);
  return !has(l.password) && !has(l.totp) && !has(l.fido2Credentials) && !has(item.notes) && !has(item.fields);
};

/** The unencrypted export as a value; preserved items keep their place, passkeys return to their items. */
function plainExport(passkeys: PortablePasskey[], now: number, preserved: unknown): Record<string, unknown> {
  const old = readPreserved(preserved);
  const byId = new Map(passkeys.map((p) => [b64u(p.credentialId), p]));
  const written = new Set<string>();
  const items: unknown[] = [];
  for (const item of Array.isArray(old?.items) ? old.items : []) {
    const login = isObject(item) ? item.login : undefined;
    if (!isObject(item) || !isObject(login) || !Array.isArray(login.fido2Credentials)) {
      items.push(item);
      continue;
    }
    let hadPasskey = false;
    const creds: unknown[] = [];
    for (const c of login.fido2Credentials) {
      if (!isObject(c) || typeof c[MARK] !== 'string') {
        creds.push(c);
        continue;
      }
      hadPasskey = true;
      const p = byId.get(c[MARK]);
      if (p && !written.has(c[MARK])) {
        creds.push(fido2(p, now, c));
        written.add(c[MARK]);
      }
    }
    const next = { ...item, login: { ...login, fido2Credentials: creds } };
    if (hadPasskey && creds.length === 0 && isEmptyLogin(next)) continue;
    items.push(next);
  }
  for (const p of passkeys) {
    const id = b64u(p.credentialId);
    if (written.has(id)) continue;
    written.add(id);
    items.push(newItem(p, now));
  }
  const { encrypted: _e, folders, items: _i, ...rest } = old ?? {};
  return { encrypted: false, folders: Array.isArray(folders) ? folders : [], items, ...rest };
}

/** Writes a Bitwarden JSON export (two-space indentation, as Bitwarden writes it). */
export async function writeBitwarden(passkeys: PortablePasskey[], opts: BitwardenWriteOptions): Promise<string> {
  if (!Number.isFinite(opts.now)) throw new TypeError('writeBitwarden: now must be a number of milliseconds');
  const unsupported = passkeys.filter((p) => !canWriteBitwarden(p));
  if (unsupported.length > 0) {
    const list = unsupported
      .slice(0, 5)
      .map((p) => `${p.rpId}${p.userName ? ` (${p.userName})` : ''}`)
      .join(', ');
    throw new FormatError(
      `Bitwarden can only hold ECDSA P-256 passkeys; ${unsupported.length} of these use Ed25519 or RSA (${list}${unsupported.length > 5 ? ', …' : ''}). Leave them out, or choose CXF or KeePassXC.`,
      'cannot-export',
    );
  }
  const plain = JSON.stringify(plainExport(passkeys, opts.now, opts.preserved), null, 2);
  if (opts.password === undefined) return plain;
  if (typeof opts.password !== 'string' || opts.password === '') throw new TypeError('writeBitwarden: the password must be a non-empty string');
  const kdf = opts.kdf ?? DEFAULT_ARGON2ID;
  // buildPasswordExport: a base64 salt of 16 random bytes, used as text by the KDF.
  const salt = encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  const key = await deriveExportKey(opts.password, salt, kdf);
  try {
    const doc: Record<string, unknown> = {
      encrypted: true,
      passwordProtected: true,
      salt,
      kdfType: KDF_TYPE[kdf.type],
      kdfIterations: kdf.iterations,
      ...(kdf.type === 'argon2id' ? { kdfMemory: kdf.memory, kdfParallelism: kdf.parallelism } : {}),
      encKeyValidation_DO_NOT_EDIT: await encryptString(globalThis.crypto.randomUUID(), key),
      data: await encryptString(plain, key),
    };
    return JSON.stringify(doc, null, 2);
  } finally {
    wipeKey(key);
  }
}

// FIDO Alliance Credential Exchange Format v1.0, Proposed Standard of 2025-08-14
// (https://fidoalliance.org/specs/cx/cxf-v1.0-ps-20250814.html) with the errata of 2026-03-09
// (https://fidoalliance.org/specs/cx/cxf-v1.0-ps-errata-20260309.html: fixes to the Appendix A example,
// e.g. fido2Extensions.hmacCredentials instead of the draft's hmacSecret). Section numbers below are the PS's.
//
// A document is the Header (§3.1): version, exporterRpId, exporterDisplayName, timestamp (UNIX seconds),
// accounts (§3.2.1), each with items (§3.2.3) whose credentials (§3.3) are typed by "type". Keyport reads the
// "passkey" credential (§3.3.12) and keeps everything else (other credential types, other items, unknown
// members, which §3.1.1 tells importers to tolerate) in `preserved`, so a re-export writes them back.
import * as v from 'valibot';
import { encode as b64u } from '../webauthn/base64url.ts';
import { deflateStored, inflateRaw } from './deflate.ts';
import { Collector, EntryError, LIMITS, type RawPasskey, b64urlText, check, decodeB64url, derivedId, text } from './entry.ts';
import { FormatError, type ParsedDocument, type PortablePasskey } from './types.ts';

/** The major version this code reads and writes (§3.1.1: a new major is an incompatible change). */
export const CXF_MAJOR = 1;
export const CXF_MINOR = 0;

/** Marks, in `preserved`, where an imported passkey stood; its key material is not kept there. */
const MARK = '$keyport';

/** What `preserved` holds for CXF: the header with passkey credentials reduced to placeholders. */
export interface CxfPreserved {
  format: 'cxf';
  header: Record<string, unknown>;
}

const uint = v.pipe(v.number('must be a number'), v.safeInteger('must be an integer'), v.minValue(0, 'must not be negative'));

/** §3.1 Header, as far as telling a CXF document apart needs. */
const HeaderSchema = v.looseObject({
  version: v.looseObject({ major: uint, minor: uint }, 'must be an object {major, minor}'),
  exporterRpId: v.optional(text),
  exporterDisplayName: v.optional(text),
  timestamp: v.optional(uint),
  accounts: v.array(v.unknown(), 'must be a list'),
});

/** §3.3.12.3 Fido2HmacCredentials. */
const HmacCredentialsSchema = v.looseObject({ algorithm: text, credWithUV: b64urlText, credWithoutUV: b64urlText });

/** §3.3.12 Passkey, with §3.3.12.2 Fido2Extensions. */
const PasskeySchema = v.looseObject({
  type: v.literal('passkey'),
  credentialId: b64urlText,
  rpId: text,
  username: text,
  userDisplayName: text,
  userHandle: b64urlText,
  key: b64urlText,
  fido2Extensions: v.optional(
    v.looseObject(
      {
        hmacCredentials: v.optional(HmacCredentialsSchema),
        credBlob: v.optional(b64urlText),
        largeBlob: v.optional(v.looseObject({ uncompressedSize: uint, data: b64urlText })),
        payments: v.optional(v.boolean('must be true or false')),
      },
      'must be an object',
    ),
  ),
});

/** §3.2.3 Item, only the members Keyport reads. */
const ItemSchema = v.looseObject({
  title: v.optional(text),
  creationAt: v.optional(uint),
  credentials: v.array(v.unknown(), 'must be a list'),
});

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const HMAC_SHA256 = 'hmac-sha256'; // §3.3.12.3 Fido2HmacCredentialAlgorithm

function parseJson(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new FormatError('This file is not a CXF document: it is not JSON.', 'not-this-format');
  }
}

/** True when `data` looks like a CXF header (for format detection). */
function looksLikeCxf(json: unknown): boolean {
  return isObject(json) && isObject(json.version) && Array.isArray(json.accounts);
}

export async function parseCxf(data: string): Promise<ParsedDocument> {
  const json = parseJson(data);
  if (!looksLikeCxf(json)) throw new FormatError('This file is not a CXF document: it has no "version" and "accounts" (CXF §3.1).', 'not-this-format');
  let header: v.InferOutput<typeof HeaderSchema>;
  try {
    header = check(HeaderSchema, json, 'The CXF header’s');
  } catch (e) {
    throw new FormatError((e as Error).message);
  }
  if (header.version.major !== CXF_MAJOR) {
    throw new FormatError(`This CXF file is version ${header.version.major}.${header.version.minor}; Keyport reads version ${CXF_MAJOR}.x (CXF §3.1.1).`, 'unsupported-version');
  }
  const tooMany = () => new FormatError(`This CXF file has more than ${LIMITS.entries} items or credentials.`, 'too-large');
  const out = new Collector();
  const preserved = structuredClone(json) as Record<string, unknown>;
  const accounts = preserved.accounts as unknown[];
  for (const [a, account] of accounts.entries()) {
    const aWhere = `account ${a + 1}`;
    if (!isObject(account) || !Array.isArray(account.items)) {
      out.reject(aWhere, 'It is not an account with a list of items (CXF §3.2.1); it was kept as it is.');
      continue;
    }
    for (const [i, item] of account.items.entries()) {
      out.tick(tooMany);
      const title = isObject(item) && typeof item.title === 'string' ? ` ‘${item.title.slice(0, 80)}’` : '';
      const iWhere = `${aWhere}, item ${i + 1}${title}`;
      let it: v.InferOutput<typeof ItemSchema>;
      try {
        it = check(ItemSchema, item, 'Its');
      } catch (e) {
        const hasPasskey = isObject(item) && Array.isArray(item.credentials) && item.credentials.some((c) => isObject(c) && c.type === 'passkey');
        if (hasPasskey || !isObject(item) || !Array.isArray(item.credentials)) out.reject(iWhere, (e as Error).message);
        continue;
      }
      const passkeys = it.credentials.filter((c) => isObject(c) && c.type === 'passkey').length;
      for (const [c, cred] of it.credentials.entries()) {
        out.tick(tooMany);
        if (!isObject(cred)) {
          out.reject(`${iWhere}, credential ${c + 1}`, 'It is not an object (CXF §3.3); it was kept as it is.');
          continue;
        }
        if (cred.type !== 'passkey') continue;
        const where = passkeys > 1 ? `${iWhere}, credential ${c + 1}` : iWhere;
        const got = await out.add(where, () => readPasskey(cred, it));
        if (got) it.credentials[c] = placeholder(cred);
      }
      (item as Record<string, unknown>).credentials = it.credentials;
    }
  }
  return { passkeys: out.passkeys, invalid: out.invalid, preserved: { format: 'cxf', header: preserved } satisfies CxfPreserved };
}

async function readPasskey(cred: Record<string, unknown>, item: v.InferOutput<typeof ItemSchema>): Promise<RawPasskey> {
  const p = check(PasskeySchema, cred);
  const raw: RawPasskey = {
    credentialId: decodeB64url(p.credentialId, 'credential ID'),
    rpId: p.rpId,
    userHandle: decodeB64url(p.userHandle, 'user handle'),
    userName: p.username,
    userDisplayName: p.userDisplayName,
    pkcs8: decodeB64url(p.key, 'key'),
  };
  const hmac = p.fido2Extensions?.hmacCredentials;
  // §3.3.12.3: credWithUV is the secret WebAuthn's prf extension evaluates (WebAuthn L3 §10.1.4).
  if (hmac && hmac.algorithm === HMAC_SHA256) raw.prfSecret = decodeB64url(hmac.credWithUV, 'PRF secret (hmacCredentials.credWithUV)');
  if (p.fido2Extensions?.credBlob !== undefined) raw.credBlob = decodeB64url(p.fido2Extensions.credBlob, 'credBlob');
  const large = p.fido2Extensions?.largeBlob;
  if (large) {
    // §3.3.12.2 Fido2LargeBlob: the blob DEFLATE-compressed, and its claimed size, which must be true.
    if (large.uncompressedSize > LIMITS.largeBlobBytes) throw new EntryError(`Its large blob is ${large.uncompressedSize} bytes; Keyport keeps at most ${LIMITS.largeBlobBytes}, as browsers write.`);
    let blob: Uint8Array;
    try {
      blob = await inflateRaw(decodeB64url(large.data, 'large blob'), LIMITS.largeBlobBytes);
    } catch (e) {
      if (e instanceof EntryError) throw e;
      throw new EntryError(`Its large blob is not DEFLATE data of at most ${LIMITS.largeBlobBytes} bytes.`);
    }
    if (blob.length !== large.uncompressedSize) throw new EntryError(`Its large blob is ${blob.length} bytes, not the ${large.uncompressedSize} its uncompressedSize says.`);
    raw.largeBlob = blob;
  }
  // §3.2.3 creationAt is UNIX seconds; Keyport keeps milliseconds.
  if (item.creationAt !== undefined) raw.createdAt = item.creationAt * 1000;
  if (item.title !== undefined) raw.title = item.title;
  return raw;
}

/** The credential without its secrets (key, credWithUV), marked so writeCxf can put the passkey back there. */
function placeholder(cred: Record<string, unknown>): Record<string, unknown> {
  const { key: _key, ...rest } = cred;
  const ext = rest.fido2Extensions as Record<string, unknown> | undefined;
  const hmac = ext?.hmacCredentials as Record<string, unknown> | undefined;
  if (hmac && hmac.algorithm === HMAC_SHA256) {
    // credWithoutUV has no place in PortablePasskey; it stays here so the re-export can write it back.
    rest.fido2Extensions = { ...ext, hmacCredentials: { algorithm: HMAC_SHA256, credWithoutUV: hmac.credWithoutUV } };
  }
  return { ...rest, [MARK]: 'passkey' };
}

export interface CxfWriteOptions {
  /** Milliseconds since the epoch; the header's timestamp is its seconds (§3.1). */
  now: number;
  exporterRpId: string;
  exporterDisplayName: string;
  preserved?: unknown;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** §3.2.3 Item.id: an opaque id of at most 64 bytes; derived from the credential ID so re-exports agree. */
const itemId = (p: PortablePasskey) => b64u(derivedId('cxf/item', p.credentialId));

/** §3.3.12 Passkey; members of a placeholder that Keyport does not model (unknown ones) are kept. */
function passkeyCredential(p: PortablePasskey, from?: Record<string, unknown>): Record<string, unknown> {
  const { [MARK]: _mark, key: _key, type: _type, credentialId: _c, rpId: _r, username: _u, userDisplayName: _d, userHandle: _h, fido2Extensions, ...unknown } = from ?? {};
  const ext: Record<string, unknown> = isObject(fido2Extensions) ? { ...fido2Extensions } : {};
  const oldHmac = isObject(ext.hmacCredentials) ? ext.hmacCredentials : undefined;
  delete ext.hmacCredentials;
  if (p.prfSecret) {
    // §3.3.12.3 requires both members. Keyport evaluates prf with one secret whether or not the user was
    // verified, so without a credWithoutUV from the original file the same secret serves for both.
    const withoutUv = oldHmac && oldHmac.algorithm === HMAC_SHA256 && typeof oldHmac.credWithoutUV === 'string' ? oldHmac.credWithoutUV : b64u(p.prfSecret);
    ext.hmacCredentials = { algorithm: HMAC_SHA256, credWithUV: b64u(p.prfSecret), credWithoutUV: withoutUv };
  } else if (oldHmac && oldHmac.algorithm !== HMAC_SHA256) ext.hmacCredentials = oldHmac;
  // The passkey's own blobs (imported ones included, so the file's copy is the passkey's): §3.3.12.2.
  delete ext.credBlob;
  delete ext.largeBlob;
  if (p.credBlob) ext.credBlob = b64u(p.credBlob);
  if (p.largeBlob) ext.largeBlob = { uncompressedSize: p.largeBlob.length, data: b64u(deflateStored(p.largeBlob)) };
  return {
    type: 'passkey',
    credentialId: b64u(p.credentialId),
    rpId: p.rpId,
    username: p.userName,
    userDisplayName: p.userDisplayName,
    userHandle: b64u(p.userHandle),
    key: b64u(p.pkcs8),
    ...(Object.keys(ext).length > 0 ? { fido2Extensions: ext } : {}),
    ...unknown,
  };
}

function newItem(p: PortablePasskey, now: number): Record<string, unknown> {
  return {
    id: itemId(p),
    creationAt: seconds(p.createdAt ?? now),
    modifiedAt: seconds(now),
    title: p.title ?? p.rpId,
    // §3.2.4 CredentialScope: both members are required.
    scope: { urls: [`https://${p.rpId}`], androidApps: [] },
    credentials: [passkeyCredential(p)],
  };
}

function readPreserved(preserved: unknown): Record<string, unknown> | undefined {
  if (preserved === undefined) return undefined;
  if (!isObject(preserved) || preserved.format !== 'cxf' || !isObject(preserved.header)) {
    throw new TypeError('writeCxf: preserved data is not from a CXF import');
  }
  return structuredClone(preserved.header);
}

/** Writes a CXF v1.0 header (§3.1) as JSON. Preserved accounts, items and credentials come back where they were. */
export function writeCxf(passkeys: PortablePasskey[], opts: CxfWriteOptions): string {
  const { now, exporterRpId, exporterDisplayName } = opts;
  if (!Number.isFinite(now)) throw new TypeError('writeCxf: now must be a number of milliseconds');
  const old = readPreserved(opts.preserved);
  const byId = new Map(passkeys.map((p) => [b64u(p.credentialId), p]));
  const written = new Set<string>();
  const accounts: unknown[] = [];
  for (const account of Array.isArray(old?.accounts) ? old.accounts : []) {
    if (!isObject(account) || !Array.isArray(account.items)) {
      accounts.push(account);
      continue;
    }
    const items: unknown[] = [];
    for (const item of account.items) {
      if (!isObject(item) || !Array.isArray(item.credentials)) {
        items.push(item);
        continue;
      }
      let hadPasskey = false;
      const credentials: unknown[] = [];
      for (const c of item.credentials) {
        if (!isObject(c) || c[MARK] !== 'passkey') {
          credentials.push(c);
          continue;
        }
        hadPasskey = true;
        const id = typeof c.credentialId === 'string' ? c.credentialId.replace(/=+$/, '') : '';
        const p = byId.get(id);
        if (p && !written.has(id)) {
          credentials.push(passkeyCredential(p, c));
          written.add(id);
        }
      }
      // An item that only carried passkeys no longer exported is dropped; anything else stays.
      if (hadPasskey && credentials.length === 0) continue;
      items.push({ ...item, credentials, ...(hadPasskey ? { modifiedAt: seconds(now) } : {}) });
    }
    accounts.push({ ...account, items });
  }
  const fresh = passkeys.filter((p) => !written.has(b64u(p.credentialId))).map((p) => newItem(p, now));
  const dup = new Set<string>();
  const unique = fresh.filter((it) => (dup.has(it.id as string) ? false : (dup.add(it.id as string), true)));
  if (unique.length > 0) {
    const first = accounts.find((a): a is Record<string, unknown> => isObject(a) && Array.isArray(a.items));
    if (first) (first.items as unknown[]).push(...unique);
    else {
      // §3.2.1 Account: id (at most 64 bytes), username and email are required; empty strings are allowed.
      const id = b64u(globalThis.crypto.getRandomValues(new Uint8Array(16)));
      accounts.push({ id, username: '', email: '', collections: [], items: unique });
    }
  }
  const { version: _v, exporterRpId: _r, exporterDisplayName: _d, timestamp: _t, accounts: _a, ...unknownHeader } = old ?? {};
  const header = {
    version: { major: CXF_MAJOR, minor: CXF_MINOR },
    exporterRpId,
    exporterDisplayName,
    timestamp: seconds(now),
    accounts,
    ...unknownHeader,
  };
  return JSON.stringify(header, null, 2);
}

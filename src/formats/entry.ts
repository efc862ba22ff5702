// One passkey entry of any format becomes a PortablePasskey here, with the limits every format shares:
// a file is hostile until checked, and one bad entry never costs the others (docs/design.md rule 6).
import { sha256 } from '@noble/hashes/sha2.js';
import * as v from 'valibot';
import { encode as cborEncode } from '../webauthn/cbor.ts';
import { type Alg, encodeCoseKey } from '../webauthn/cose.ts';
import { encode as b64u, decode as b64uDecode } from '../webauthn/base64url.ts';
import { KeyError, inspectPrivateKey } from './keys.ts';
import type { InvalidEntry, PortablePasskey } from './types.ts';
import { CRED_BLOB_MAX_BYTES, LARGE_BLOB_MAX_BYTES } from '../webauthn/blobs.ts';

export const LIMITS = {
  /** A whole document, in UTF-16 code units (about its size in bytes for the ASCII these formats are). */
  documentChars: 64 * 1024 * 1024,
  /** Items, entries or credentials looked at in one document. */
  entries: 100_000,
  /** RFC 1035 §2.3.4 / WebAuthn §5.1.3: a domain name. */
  rpIdChars: 253,
  /** WebAuthn L3 §5.4.3 user.id: at most 64 bytes. */
  userHandleBytes: 64,
  /** WebAuthn L3 §4 Credential ID: at most 1023 bytes. */
  credentialIdBytes: 1023,
  /** User names, display names and titles. */
  nameChars: 1024,
  /** CTAP2 §12.5 hmac-secret: CredRandom is 32 bytes. */
  prfSecretBytes: 32,
  /** What Keyport stores with a passkey (webauthn/blobs.ts). */
  largeBlobBytes: LARGE_BLOB_MAX_BYTES,
  credBlobBytes: CRED_BLOB_MAX_BYTES,
} as const;

const ALG_NAMES: Record<Alg, string> = { [-7]: 'ECDSA P-256', [-8]: 'Ed25519', [-257]: 'RSA' };

/** One entry cannot become a passkey; the message is the InvalidEntry reason. */
export class EntryError extends Error {
  override name = 'EntryError';
}

/**
 * RP ID syntax (WebAuthn L3 §5.1.3 step 8: a valid domain string, as the URL host parser leaves it):
 * lowercase ASCII labels of 1 to 63 letters, digits, hyphens or underscores, not starting or ending with a
 * hyphen, at most 253 characters, not an IPv4 address. Whether a site may use it is the browser's call.
 */
export function checkRpId(rpId: string): void {
  if (typeof rpId !== 'string' || rpId.length === 0) throw new EntryError('It has no relying party (RP ID).');
  if (rpId.length > LIMITS.rpIdChars) throw new EntryError(`Its RP ID is ${rpId.length} characters long; a domain has at most ${LIMITS.rpIdChars}.`);
  if (rpId !== rpId.toLowerCase()) throw new EntryError(`Its RP ID "${rpId}" has capital letters; RP IDs are lowercase domains.`);
  if (/[^\x21-\x7e]/.test(rpId)) throw new EntryError(`Its RP ID "${rpId}" is not an ASCII domain name (international names are written as xn--).`);
  const labels = rpId.split('.');
  for (const label of labels) {
    if (!/^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/.test(label)) throw new EntryError(`Its RP ID "${rpId}" is not a valid domain name.`);
  }
  // URL §3.5 "ends in a number": such a host is parsed as IPv4, and an IP address is not an RP ID.
  if (/^(?:0x[0-9a-f]*|[0-9]+)$/.test(labels[labels.length - 1]!)) throw new EntryError(`Its RP ID "${rpId}" is an IP address, which cannot be an RP ID.`);
}

/**
 * base64url (RFC 4648 §5) as the formats write it: without padding, though a correct '=' padding is
 * accepted since RFC 4648 §5 allows it; otherwise strict (alphabet, trailing bits).
 */
export function decodeB64url(text: string, what: string): Uint8Array {
  const m = /^([A-Za-z0-9_-]*)(={0,2})$/.exec(text);
  if (!m || (m[2]!.length > 0 && m[2]!.length !== (4 - (m[1]!.length % 4)) % 4)) throw new EntryError(`Its ${what} is not base64url.`);
  try {
    return b64uDecode(m[1]!);
  } catch {
    throw new EntryError(`Its ${what} is not base64url.`);
  }
}

/** Validates `value`; the first problem becomes an EntryError sentence naming the field. */
export function check<const S extends v.GenericSchema>(schema: S, value: unknown, prefix = 'Its'): v.InferOutput<S> {
  const r = v.safeParse(schema, value);
  if (r.success) return r.output;
  const issue = r.issues[0];
  const path = v.getDotPath(issue);
  // A required member that is absent comes as valibot's "Invalid key" issue: say so plainly.
  const message = issue.received === 'undefined' ? 'is missing' : issue.message;
  throw new EntryError(path ? `${prefix} field "${path}" ${message}.` : `It ${message}.`);
}

/** Reusable field schemas whose messages read as the end of a sentence. */
export const text = v.string('must be text');
export const b64urlText = v.pipe(
  v.string('must be text'),
  v.regex(/^[A-Za-z0-9_-]*={0,2}$/, 'must be base64url'),
);

function checkName(value: string, what: string): string {
  if (typeof value !== 'string') throw new EntryError(`Its ${what} is not text.`);
  if (value.length > LIMITS.nameChars) throw new EntryError(`Its ${what} is ${value.length} characters long; at most ${LIMITS.nameChars} are accepted.`);
  return value;
}

/** What a format reads for one passkey, before the checks (which derive alg and publicKeyCose from pkcs8). */
export type RawPasskey = Omit<PortablePasskey, 'alg' | 'publicKeyCose' | 'lastUsedAt'> & {
  /** The algorithm the file says the key has (Bitwarden's keyAlgorithm); the key itself must agree. */
  expectAlg?: { alg: Alg; label: string };
};

/** 16 bytes that name a passkey's item or entry in an export, the same each time it is exported. */
export function derivedId(purpose: string, credentialId: Uint8Array): Uint8Array {
  const tag = new TextEncoder().encode(`keyport/${purpose}\0`);
  const m = new Uint8Array(tag.length + credentialId.length);
  m.set(tag);
  m.set(credentialId, tag.length);
  return sha256(m).slice(0, 16);
}

/** Applies the shared checks and derives the public key from the private key. Throws EntryError. */
export async function toPortable(raw: RawPasskey): Promise<PortablePasskey> {
  checkRpId(raw.rpId);
  if (raw.credentialId.length === 0) throw new EntryError('Its credential ID is empty.');
  if (raw.credentialId.length > LIMITS.credentialIdBytes) throw new EntryError(`Its credential ID is ${raw.credentialId.length} bytes; WebAuthn allows at most ${LIMITS.credentialIdBytes}.`);
  if (raw.userHandle.length === 0) throw new EntryError('It has no user handle (WebAuthn user.id), which a passkey needs to sign in without a user name.');
  if (raw.userHandle.length > LIMITS.userHandleBytes) throw new EntryError(`Its user handle is ${raw.userHandle.length} bytes; WebAuthn allows at most ${LIMITS.userHandleBytes}.`);
  const userName = checkName(raw.userName, 'user name');
  const userDisplayName = checkName(raw.userDisplayName, 'display name');
  const title = raw.title === undefined ? undefined : checkName(raw.title, 'title');
  if (raw.prfSecret && raw.prfSecret.length !== LIMITS.prfSecretBytes) {
    throw new EntryError(`Its PRF secret is ${raw.prfSecret.length} bytes; hmac-secret uses ${LIMITS.prfSecretBytes}.`);
  }
  // A blob Keyport cannot keep refuses the passkey, rather than lose the site's data on the way in.
  if (raw.largeBlob && raw.largeBlob.length > LIMITS.largeBlobBytes) {
    throw new EntryError(`Its large blob is ${raw.largeBlob.length} bytes; Keyport keeps at most ${LIMITS.largeBlobBytes}, as browsers write.`);
  }
  if (raw.credBlob && raw.credBlob.length > LIMITS.credBlobBytes) throw new EntryError(`Its credBlob is ${raw.credBlob.length} bytes; Keyport keeps at most ${LIMITS.credBlobBytes}.`);
  let key;
  try {
    key = await inspectPrivateKey(raw.pkcs8);
  } catch (e) {
    if (e instanceof KeyError) throw new EntryError(e.message);
    throw e;
  } finally {
    // The decoded file bytes; the passkey keeps its own canonical copy.
    raw.pkcs8.fill(0);
  }
  if (raw.expectAlg && raw.expectAlg.alg !== key.alg) throw new EntryError(`The file says its key is ${raw.expectAlg.label}, but the key is ${ALG_NAMES[key.alg]}.`);
  const p: PortablePasskey = {
    credentialId: raw.credentialId.slice(),
    rpId: raw.rpId,
    userHandle: raw.userHandle.slice(),
    userName,
    userDisplayName,
    pkcs8: key.pkcs8,
    alg: key.alg,
    publicKeyCose: cborEncode(encodeCoseKey(key.publicKey)),
  };
  if (raw.prfSecret) {
    p.prfSecret = raw.prfSecret.slice();
    raw.prfSecret.fill(0);
  }
  if (raw.largeBlob) p.largeBlob = raw.largeBlob.slice();
  if (raw.credBlob) p.credBlob = raw.credBlob.slice();
  if (raw.createdAt !== undefined) {
    // ECMAScript §21.4.1.22: a Date reaches 8.64e15 ms either side of 1970.
    if (!Number.isFinite(raw.createdAt) || raw.createdAt < 0 || raw.createdAt > 8.64e15) throw new EntryError('Its creation time is not a date.');
    p.createdAt = raw.createdAt;
  }
  if (raw.signCount !== undefined) p.signCount = raw.signCount;
  if (raw.discoverable === false) p.discoverable = false;
  if (title !== undefined && title !== '' && title !== raw.rpId) p.title = title;
  return p;
}

/** Gathers a document's passkeys and refusals; duplicates (the same credential ID twice) are refused. */
export class Collector {
  readonly passkeys: PortablePasskey[] = [];
  readonly invalid: InvalidEntry[] = [];
  private readonly seen = new Map<string, string>();
  private count = 0;

  /** Counts one entry towards LIMITS.entries; the document is refused past it. */
  tick(onLimit: () => Error): void {
    if (++this.count > LIMITS.entries) throw onLimit();
  }

  reject(where: string, reason: string): void {
    this.invalid.push({ where, reason });
  }

  /** Reads one entry; whatever goes wrong becomes an InvalidEntry for `where`, never an abort. */
  async add(where: string, read: () => RawPasskey | Promise<RawPasskey>): Promise<PortablePasskey | undefined> {
    let p: PortablePasskey;
    try {
      p = await toPortable(await read());
    } catch (e) {
      const reason = e instanceof EntryError || e instanceof KeyError ? e.message : `It could not be read (${(e as Error)?.message ?? String(e)}).`;
      this.reject(where, reason);
      return undefined;
    }
    const id = b64u(p.credentialId);
    const first = this.seen.get(id);
    if (first !== undefined) {
      this.reject(where, `It has the same credential ID as ${first}; only the first is imported.`);
      return undefined;
    }
    this.seen.set(id, where);
    this.passkeys.push(p);
    return p;
  }
}

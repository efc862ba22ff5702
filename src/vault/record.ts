// The vault's record model. Each passkey (or its tombstone) is one record with a random id, the same id on
// every synced browser; its whole content is sealed with AES-256-GCM under the vault key, with
// "keyport/record/v1|<kind>|<id>" as associated data so a sealed blob cannot be moved to another id or kind
// (docs/design.md rule 3). IndexedDB sees only id, kind and bytes (and, beside them, the record's sync state).
//
// Kind "item" holds a sync item (src/sync/item.ts: kind, hybrid logical clock, tombstone flag, payload);
// kind "passkey" is the form before sync existed, still read and rewritten as an item at its next change.
import * as v from 'valibot';
import { encode as b64u, decode as fromB64u, isBase64url } from '../webauthn/base64url.ts';
import { type Sealed, open, seal } from '../crypto/aead.ts';
import type { CredentialMeta } from '../webauthn/authenticator/model.ts';
import { CRED_BLOB_MAX_BYTES, LARGE_BLOB_MAX_BYTES } from '../webauthn/blobs.ts';

export type RecordKind = 'passkey' | 'item';

export interface StoredRecord extends Sealed {
  id: string;
  kind: RecordKind;
  /** Sync state, in the clear beside the ciphertext (no secret): the server seq this version is based on, and whether it changed since. */
  seq?: number;
  dirty?: boolean;
}

/**
 * A passkey the site said it no longer accepts (WebAuthn L3 §5.1.10 signals): kept, out of every ceremony and
 * autofill list, until the person restores it or HIDDEN_KEEP_MS passes (then it is deleted: a tombstone).
 */
export interface HiddenBySite {
  at: number;
  /** The origin that sent the signal, validated (docs/design.md rule 8). */
  origin: string;
  signal: 'unknown' | 'allAccepted';
}

export interface Passkey extends CredentialMeta {
  hiddenBySite?: HiddenBySite;
  pkcs8: Uint8Array;
  publicKeyCose: Uint8Array;
  prfSecret: Uint8Array;
  /** WebAuthn L3 §10.1.5: present when the passkey holds a large blob (empty: room for one, none yet). */
  largeBlob?: Uint8Array;
  /** CTAP 2.1 §12.2 credBlob. */
  credBlob?: Uint8Array;
}

const b64 = v.pipe(v.string(), v.check((s: string) => isBase64url(s), 'not base64url'));
const PasskeyJSON = v.object({
  credentialId: b64,
  rpId: v.pipe(v.string(), v.minLength(1), v.maxLength(253)),
  userHandle: b64,
  userName: v.string(),
  userDisplayName: v.string(),
  alg: v.picklist([-7, -8, -257]),
  discoverable: v.boolean(),
  backedUp: v.boolean(),
  createdAt: v.number(),
  lastUsedAt: v.optional(v.number()),
  signCount: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff))),
  // Absent in records written before signals existed, which still open as visible passkeys.
  hiddenBySite: v.optional(v.object({ at: v.number(), origin: v.pipe(v.string(), v.maxLength(2048)), signal: v.picklist(['unknown', 'allAccepted']) })),
  pkcs8: b64,
  publicKeyCose: b64,
  prfSecret: b64,
  // Absent in records written before blobs existed, and for passkeys made without them.
  largeBlob: v.optional(v.pipe(b64, v.maxLength(Math.ceil((LARGE_BLOB_MAX_BYTES * 4) / 3)))),
  credBlob: v.optional(v.pipe(b64, v.maxLength(Math.ceil((CRED_BLOB_MAX_BYTES * 4) / 3)))),
});

export type PasskeyData = v.InferOutput<typeof PasskeyJSON>;

/** A passkey as a sync item's payload: JSON, byte strings as base64url. */
export function passkeyToData(p: Passkey): PasskeyData {
  const { pkcs8, publicKeyCose, prfSecret, largeBlob, credBlob, ...rest } = p;
  const data: Record<string, unknown> = {
    ...rest,
    pkcs8: b64u(pkcs8),
    publicKeyCose: b64u(publicKeyCose),
    prfSecret: b64u(prfSecret),
    largeBlob: largeBlob && b64u(largeBlob),
    credBlob: credBlob && b64u(credBlob),
  };
  for (const k of Object.keys(data)) if (data[k] === undefined) delete data[k];
  return data as PasskeyData;
}

/** A sync item's payload as a passkey, checked against the schema (a RecordError otherwise). */
export function passkeyFromData(recordId: string, data: unknown): Passkey {
  const r = v.safeParse(PasskeyJSON, data);
  if (!r.success) throw new RecordError(recordId, `Passkey record ${recordId} has an unexpected shape: ${r.issues[0].message}`);
  return fromData(r.output);
}

function fromData(p: PasskeyData): Passkey {
  const { largeBlob, credBlob, ...rest } = p;
  return {
    ...rest,
    pkcs8: fromB64u(p.pkcs8),
    publicKeyCose: fromB64u(p.publicKeyCose),
    prfSecret: fromB64u(p.prfSecret),
    ...(largeBlob !== undefined ? { largeBlob: fromB64u(largeBlob) } : {}),
    ...(credBlob !== undefined ? { credBlob: fromB64u(credBlob) } : {}),
  };
}

/** Seals any JSON content as a record of `kind`. */
export async function sealRecord(key: CryptoKey, id: string, kind: RecordKind, content: unknown): Promise<StoredRecord> {
  const sealed = await seal(key, new TextEncoder().encode(JSON.stringify(content)), recordAad(kind, id));
  return { id, kind, ...sealed };
}

/** Opens a record's JSON content; a tag that does not verify is a RecordError. */
export async function openRecord(key: CryptoKey, record: StoredRecord): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await open(key, record, recordAad(record.kind, record.id));
  } catch {
    throw new RecordError(record.id, `Record ${record.id} is damaged or was tampered with: it failed authentication.`);
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new RecordError(record.id, `Record ${record.id} is not JSON.`);
  }
}

export const recordAad = (kind: RecordKind, id: string) => `keyport/record/v1|${kind}|${id}`;

export function newRecordId(): string {
  return b64u(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}

export class RecordError extends Error {
  override name = 'RecordError';
  constructor(
    readonly recordId: string,
    message: string,
  ) {
    super(message);
  }
}

/** Opens a record; a tag that does not verify or content that does not fit the schema is a RecordError, never a skip. */
export async function openPasskey(key: CryptoKey, record: StoredRecord): Promise<Passkey> {
  let bytes: Uint8Array;
  try {
    bytes = await open(key, record, recordAad(record.kind, record.id));
  } catch {
    throw new RecordError(record.id, `Passkey record ${record.id} is damaged or was tampered with: it failed authentication.`);
  }
  let parsed: v.InferOutput<typeof PasskeyJSON>;
  try {
    parsed = v.parse(PasskeyJSON, JSON.parse(new TextDecoder().decode(bytes)));
  } catch (e) {
    throw new RecordError(record.id, `Passkey record ${record.id} has an unexpected shape: ${(e as Error).message}`);
  }
  return fromData(parsed);
}

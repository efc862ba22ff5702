// The unit of sync (docs/design.md "Sync"): one passkey, tombstone or settings entry, sealed on its own with
// AES-256-GCM under the vault key (crypto/aead.ts). The associated data "keyport/sync/v1|<id>" binds a
// blob to its record id, so a server cannot move a blob to another id; kind, timestamp and the tombstone
// flag are inside the ciphertext, so it cannot change them either (docs/design.md "Who we defend against").
import * as v from 'valibot';
import { open, seal } from '../crypto/aead.ts';
import { encode as b64u, decode as fromB64u } from '../webauthn/base64url.ts';
import { isEncodedHlc } from './hlc.ts';
import { LIMITS, RecordId } from './protocol.ts';

export const SYNC_KINDS = ['passkey', 'settings'] as const;
export type SyncKind = (typeof SYNC_KINDS)[number];

/** A JSON object: the payload of a record (a passkey as JSON, byte strings as base64url). */
export type JsonObject = { readonly [key: string]: unknown };

export interface SyncItem {
  /** 16 random bytes as base64url (22 characters), the same on every replica. */
  id: string;
  kind: SyncKind;
  /** The version's timestamp, hlc.ts `encode` form; the larger one wins (merge.ts). */
  hlc: string;
  deleted: boolean;
  /**
   * The payload. A tombstone carries no payload except its kind's monotone fields (merge.ts), which
   * keep the merge associative; never a key.
   */
  data?: JsonObject;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export const itemAad = (id: string) => `keyport/sync/v1|${id}`;

const isPlainObject = (x: unknown): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x);

const SyncItemSchema = v.pipe(
  v.strictObject({
    id: RecordId,
    kind: v.picklist(SYNC_KINDS),
    hlc: v.custom<string>(isEncodedHlc, 'hlc must be an encoded hybrid logical clock'),
    deleted: v.boolean(),
    data: v.optional(v.custom<JsonObject>(isPlainObject, 'data must be a JSON object')),
  }),
  v.check((i) => i.deleted || i.data !== undefined, 'a live record must have data'),
);

/** Checks an item's shape (the same checks `openItem` makes), for items that come from elsewhere. */
export function isSyncItem(x: unknown): x is SyncItem {
  return v.safeParse(SyncItemSchema, x).success;
}

export class TamperedRecordError extends Error {
  override name = 'TamperedRecordError';
  constructor(
    readonly recordId: string,
    readonly reason: 'authentication' | 'shape' | 'id',
    message: string,
  ) {
    super(message);
  }
}

/** JSON with object keys sorted at every level: equal items give equal strings, whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
    return s;
  }
  if (Array.isArray(value)) return `[${value.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const k of keys) {
    const x = (value as Record<string, unknown>)[k];
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(x)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * A version's identity for compare-and-set: equal fingerprints, equal items. A Replica compares the
 * fingerprint the engine read against its current item before a commit overwrites it (engine.ts).
 */
export const itemFingerprint = (item: SyncItem): string => canonicalJson(item);

/** base64url(iv || ciphertext || tag) of the item's JSON. Throws RangeError if it would exceed LIMITS.blobChars. */
export async function sealItem(key: CryptoKey, item: SyncItem): Promise<string> {
  const r = v.safeParse(SyncItemSchema, item);
  if (!r.success) throw new TypeError(`sealItem: not a sync item (${r.issues[0].message})`);
  const { iv, ct } = await seal(key, new TextEncoder().encode(canonicalJson(item)), itemAad(item.id));
  const bytes = new Uint8Array(iv.length + ct.length);
  bytes.set(iv);
  bytes.set(ct, iv.length);
  const blob = b64u(bytes);
  if (blob.length > LIMITS.blobChars) {
    throw new RangeError(`Record ${item.id} is too large to sync: ${blob.length} characters sealed, at most ${LIMITS.blobChars}.`);
  }
  return blob;
}

/**
 * Opens a blob pulled for record `id`. Every failure is a TamperedRecordError naming the record: a blob
 * that is not base64url or too short, a tag that does not verify (altered bytes, another record's blob,
 * another vault's key), content that is not a sync item, or an item whose id is not `id`.
 */
export async function openItem(key: CryptoKey, id: string, blob: string): Promise<SyncItem> {
  const fail = (reason: TamperedRecordError['reason'], why: string) =>
    new TamperedRecordError(id, reason, `Record ${id} from sync was altered or damaged (${why}); this browser kept its own copy.`);
  let bytes: Uint8Array;
  try {
    bytes = fromB64u(blob);
  } catch {
    throw fail('authentication', 'the blob is not base64url');
  }
  if (bytes.length < IV_BYTES + TAG_BYTES) throw fail('authentication', 'the blob is too short');
  let plain: Uint8Array;
  try {
    plain = await open(key, { iv: bytes.subarray(0, IV_BYTES), ct: bytes.subarray(IV_BYTES) }, itemAad(id));
  } catch {
    throw fail('authentication', 'it failed authentication');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    throw fail('shape', 'its content is not JSON');
  }
  const r = v.safeParse(SyncItemSchema, parsed);
  if (!r.success) throw fail('shape', `its content is not a sync record: ${r.issues[0].message}`);
  if (r.output.id !== id) throw fail('id', `it holds record ${r.output.id}`);
  return r.output;
}

// The sync protocol, shared by the extension's HTTP client and the sync server (src/server). The server
// stores sealed blobs under opaque ids and learns nothing else (docs/design.md rule 5): ids are random,
// the vault id and token come from the recovery code by HKDF, and the server keeps only a hash of the token.
//
//   GET    /v1/health                                     -> Health
//   PUT    /v1/vaults/:vaultId            CreateVault      -> 201 {created: true} | 200 {created: false} (same token) | 409 | 403
//   GET    /v1/vaults/:vaultId/key        (auth)           -> KeyBlobResponse
//   PUT    /v1/vaults/:vaultId/key        (auth) KeyBlobRequest -> {ok: true}
//   GET    /v1/vaults/:vaultId/records?since=&limit=&replica= (auth) -> PullResponse
//   POST   /v1/vaults/:vaultId/records    (auth) PushRequest -> PushResponse
//   POST   /v1/vaults/:vaultId/collect    (auth) CollectRequest -> CollectResponse
//   POST   /v1/vaults/:vaultId/rotate     (auth) RotateRequest -> {ok: true}; the old id and token stop working
//   DELETE /v1/vaults/:vaultId            (auth)           -> {ok: true}
//   POST   /v1/pairings                   PairingStart     -> PairingStarted
//   POST   /v1/pairings/:code/join        PairingJoin      -> PairingJoined
//   GET    /v1/pairings/:code?as=initiator (initiator's secret) -> PairingInitiatorState
//   POST   /v1/pairings/:code/reveal      (initiator's secret) PairingReveal -> {ok: true}
//   GET    /v1/pairings/:code?as=joiner   (joiner's secret) -> PairingJoinerState
//   POST   /v1/pairings/:code/payload     (joiner's secret) PairingPayload -> {ok: true}
// auth: "Authorization: Bearer <token>" (for a pairing, that role's secret). Errors: ErrorBody with an HTTP
// status (400, 401, 403, 404, 409, 410, 413, 429, 507; 503 from health when the store does not answer). 403: the
// server's registration policy refuses to create a new vault (InviteRequired: send an invite from whoever runs
// the server; InviteInvalid: the invite is unknown, used or expired; RegistrationClosed); a vault that exists is
// never refused for its policy, so pairing, restore and the same token's PUT keep working. 404: no vault
// with this id (never created, or deleted: the id may be created again); 410: the id was rotated away (for
// good). 429 carries Retry-After in seconds: the server counts failed authentications (10 a minute per address
// and per vault id), unknown pairing codes and wrong pairing secrets (10 a minute per address), and writes to a
// vault (push, key, rotate, delete, collect: by default 120 a minute per vault and per address). 507 (VaultFull): a push
// that would take the vault past its quota (by default 10,000 records and 50 MB of sealed blobs), refused whole;
// its message is a sentence that starts "the sync server is full for this vault: ". Times (expiresAt) are
// milliseconds since the epoch.
import * as v from 'valibot';

export const PROTOCOL_VERSION = 1;

/** Limits both sides enforce; the server refuses larger input with 413 or 400. */
export const LIMITS = {
  /** A sealed record: a passkey is about 1 KiB (RSA about 3 KiB); settings are small. */
  blobChars: 64 * 1024,
  keyBlobChars: 4 * 1024,
  pushChanges: 500,
  pullRecords: 1000,
  /** Whole request body. */
  bodyBytes: 8 * 1024 * 1024,
} as const;

const B64U = /^[A-Za-z0-9_-]*$/;
const b64u = (min: number, max: number) => v.pipe(v.string(), v.minLength(min), v.maxLength(max), v.regex(B64U, 'must be base64url'));

/** HKDF(recovery code, "lookup") as base64url: 32 bytes, 43 characters. */
export const VaultId = b64u(43, 43);
/** HKDF(recovery code, "token") as base64url; the server stores SHA-256 of it. */
export const Token = b64u(43, 43);
/** A record id: 16 random bytes as base64url (22 characters); the same id on every replica. */
export const RecordId = b64u(22, 22);
export const Seq = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
/** An AEAD-sealed record, base64url of iv || ciphertext; opaque to the server. */
export const Blob = b64u(1, LIMITS.blobChars);
/** The vault key wrapped under the recovery code (never under the password: the server must not be able to guess at it). */
export const KeyBlob = b64u(1, LIMITS.keyBlobChars);

/**
 * An invite an operator made (`npm run server -- invite`): 20 Crockford base32 characters (100 bits), shown as
 * XXXXX-XXXXX-XXXXX-XXXXX. Sent as typed; the server ignores case, spaces and dashes (normalizeInvite).
 */
export const Invite = v.pipe(v.string(), v.maxLength(64));
/** An invite as the person may type it, in its canonical form (20 characters), or undefined when it cannot be one. */
export function normalizeInvite(typed: string): string | undefined {
  const canonical = typed
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  return /^[0-9A-HJKMNP-TV-Z]{20}$/.test(canonical) ? canonical : undefined;
}

/** A new vault; `invite` when the server's registration policy asks for one (403 InviteRequired). */
export const CreateVault = v.object({ token: Token, key: KeyBlob, invite: v.optional(Invite) });
export const KeyBlobRequest = v.object({ key: KeyBlob });
export const KeyBlobResponse = v.object({ key: KeyBlob });

export const ServerRecord = v.object({ id: RecordId, seq: Seq, blob: Blob });
export type ServerRecord = v.InferOutput<typeof ServerRecord>;

// ---- tombstone collection ----
// A pull that names its replica (?replica=, a random id per browser, RecordId's form) tells the server that
// this browser holds every record up to `since`. The server keeps each replica's cursor; the lowest cursor of
// the replicas seen in the last 90 days is the vault's `horizon`. A browser holding a tombstone (a deleted
// passkey's marker) that is at least 90 days old and at or below the horizon asks the server to collect it
// (POST .../collect, a write); the server drops each named record whose version is at or below the horizon and
// was written at least 90 days ago, and raises the vault's `collected` to its seq. A browser whose cursor is
// below `collected` (away longer than that) may have missed a dropped tombstone: it pulls everything from 0 and
// deletes the records it got from the server (seq > 0) that the server no longer has, so that no deleted
// passkey comes back. The server never learns which records are tombstones but from the ids it is asked to drop.

/** A replica's id: 16 random bytes as base64url, kept by the browser. */
export const ReplicaId = RecordId;
/** How old a tombstone must be, and how recently a replica must have pulled to hold collection back. */
export const TOMBSTONE_MIN_AGE_MS = 90 * 24 * 60 * 60 * 1000;

export const PullResponse = v.object({
  records: v.pipe(v.array(ServerRecord), v.maxLength(LIMITS.pullRecords)),
  /** The highest seq the records reach; pull again from here while `more`. When !more, the vault's own seq. */
  latest: Seq,
  more: v.boolean(),
  /** The highest seq of a collected record: a replica whose cursor is below it pulls all and drops what is gone. */
  collected: v.optional(Seq),
  /** The lowest cursor of the vault's active replicas (absent: none known): tombstones at or below may be collected. */
  horizon: v.optional(Seq),
});
export type PullResponse = v.InferOutput<typeof PullResponse>;

/** A change based on the version with `baseSeq` (0: the record is new to the server). */
export const Change = v.object({ id: RecordId, baseSeq: Seq, blob: Blob });
export type Change = v.InferOutput<typeof Change>;

/**
 * Changes apply in order, each getting the vault's next seq; the applied ones, the others' conflicts and the
 * answer kept for retries are one transaction. A change to a record the server does not have applies
 * whatever its baseSeq. One record twice in a push is 400.
 */
export const PushRequest = v.object({
  /**
   * A retry sends the same requestId and gets the first answer back, nothing applied twice (kept 24 h, and at
   * most the vault's last 200 answers; the same requestId with other changes is 409). Deviation: a conflict
   * in a repeated answer carries the record's current version, which may be newer than the first answer's.
   */
  requestId: v.pipe(v.string(), v.uuid()),
  changes: v.pipe(v.array(Change), v.minLength(1), v.maxLength(LIMITS.pushChanges)),
});
export type PushRequest = v.InferOutput<typeof PushRequest>;

export const PushResponse = v.object({
  /** Changes written, with their new seq. */
  applied: v.array(v.object({ id: RecordId, seq: Seq })),
  /** Changes refused because the server has another version: here it is, to merge and push again. */
  conflicts: v.array(ServerRecord),
  latest: Seq,
});
export type PushResponse = v.InferOutput<typeof PushResponse>;

export const RotateRequest = v.object({ newVaultId: VaultId, newToken: Token, key: KeyBlob });

/** Tombstones to drop; the server drops those it may (see above) and names them. */
export const CollectRequest = v.object({ ids: v.pipe(v.array(RecordId), v.minLength(1), v.maxLength(LIMITS.pushChanges)) });
export const CollectResponse = v.object({ collected: v.array(RecordId) });

// ---- pairing a new browser (key agreement through the server, a short authentication string on both sides) ----
// Commit, then reveal (as ZRTP's Commit and DHPart2, RFC 6189 §4.4.1.1, or Bluetooth's numeric comparison): the
// initiator's public key A reaches the joiner only after the joiner's key B reached the initiator, and the joiner
// holds a hash of A from before it sent B. So a server that substitutes keys must pick them before it learns A,
// and the two strings then match by chance only (10^-6); see src/sync/pairing.ts. In order:
//   1. the new browser (initiator) starts with commitment = SHA-256(PAIRING_COMMIT_LABEL || A) and gets the code
//      and its secret;
//   2. the approving browser (joiner) joins with B and gets the commitment and its secret; a code joins once
//      (409 after);
//   3. the initiator polls ?as=initiator until it sees B, then
//   4. reveals A, once and only after the join (409 otherwise); the server refuses with 400 a key whose hash is
//      not the commitment. ?as=joiner then shows A, which the joiner checks against the commitment before it
//      shows the string;
//   5. after both people compared the string, the joiner posts the payload (once, and only after the reveal:
//      409 before); the initiator's poll then returns it, which completes the pairing (410 from then on).
// Each role's requests after its first carry "Authorization: Bearer <its secret>": 32 random bytes the server
// returned to that role alone and keeps only as SHA-256; a missing or wrong secret is 401 and counts as a wrong
// code. A code lives 5 minutes; an unknown or expired code is 404. Pairings live in the server's store, so any
// of its processes answers any step.
/** The prefix of the initiator's commitment: SHA-256 of these ASCII bytes followed by the 32-byte public key. */
export const PAIRING_COMMIT_LABEL = 'keyport/pairing/commit/v1';
/** X25519 public key, 32 bytes as base64url. */
export const PairingKey = b64u(43, 43);
/** SHA-256(PAIRING_COMMIT_LABEL || initiator's public key), 32 bytes as base64url. */
export const PairingCommitment = b64u(43, 43);
/** A role's secret: 32 random bytes from the server, as base64url; sent as the bearer token of that role's requests. */
export const PairingSecret = b64u(43, 43);
/** What the person types on the approving browser: 8 Crockford base32 characters shown as XXXX-XXXX. */
export const PairingCode = v.pipe(v.string(), v.regex(/^[0-9A-HJKMNP-TV-Z]{8}$/, 'must be 8 characters of a pairing code'));
export const PairingStart = v.object({ commitment: PairingCommitment });
export const PairingStarted = v.object({ code: PairingCode, expiresAt: v.number(), initiatorSecret: PairingSecret });
export const PairingJoin = v.object({ publicKey: PairingKey });
export const PairingJoined = v.object({ commitment: PairingCommitment, joinerSecret: PairingSecret });
export const PairingReveal = v.object({ publicKey: PairingKey });
/** Sealed under the agreed key: the vault id, token and vault key, sent only after both people compared the string. */
export const PairingPayload = v.object({ payload: b64u(1, 8 * 1024) });
/** ?as=initiator: the joiner's key once it joined, then the payload (handed over once). */
export const PairingInitiatorState = v.object({
  joinerPublicKey: v.optional(PairingKey),
  payload: v.optional(b64u(1, 8 * 1024)),
  expiresAt: v.number(),
});
/** ?as=joiner: the initiator's key once revealed. */
export const PairingJoinerState = v.object({
  initiatorPublicKey: v.optional(PairingKey),
  expiresAt: v.number(),
});

export const Health = v.object({ ok: v.literal(true), protocol: v.number(), store: v.string() });

export const ErrorCode = v.picklist([
  'BadRequest',
  'Unauthorized',
  'InviteRequired',
  'InviteInvalid',
  'RegistrationClosed',
  'NotFound',
  'Conflict',
  'Gone',
  'TooLarge',
  'RateLimited',
  'VaultFull',
  'Internal',
]);
export const ErrorBody = v.object({ error: v.object({ code: ErrorCode, message: v.string() }) });
export type ErrorBody = v.InferOutput<typeof ErrorBody>;

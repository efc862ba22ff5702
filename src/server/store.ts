// The sync server's storage port: a handful of single-statement steps inside a transaction. The protocol's
// rules (who may write, baseSeq conflicts, retries, rotation) live once, in vaults.ts, over this port; the two
// stores (store-sqlite.ts, embedded; store-postgres.ts, for many users) only speak their SQL. What is stored is
// what docs/design.md rule 5 allows: opaque ids, sealed blobs, sequence numbers, SHA-256 of the token, timestamps.
import type { ServerRecord } from '../sync/protocol.ts';

export interface Vault {
  /** The store's own key for the vault: it survives a rotation, which changes only the public id. */
  pk: number;
  /** SHA-256 of the bearer token, 32 bytes. */
  tokenHash: Uint8Array;
  /** The vault key wrapped under the recovery code (opaque). */
  key: string;
  /** The last sequence number given to a change in this vault (0: none yet). */
  seq: number;
  /** How many records the vault holds (passkeys, settings, tombstones), for its quota. */
  records: number;
  /** The characters of their sealed blobs, for its quota. */
  bytes: number;
  /** The highest seq of a record collected (tombstones.ts); a replica whose cursor is below it restores. */
  collected: number;
}

/** What a push changes in a vault's row. */
export type VaultCounters = Pick<Vault, 'seq' | 'records' | 'bytes'>;

/** A push answer kept for retries with the same requestId (protocol.ts PushRequest). */
export interface StoredPush {
  /** SHA-256 of the request's changes, so a reused requestId with other changes is refused. */
  requestHash: Uint8Array;
  /**
   * The PushResponse as JSON text, its conflicts as {id, seq} only (vaults.ts rebuilds them on a retry), so an
   * answer stays small whatever the size of the records it names.
   */
  response: string;
}

/**
 * A pairing in progress (pairings.ts): what the two browsers have exchanged under its code. It lives in the
 * store, not a process's memory, so each step may reach any server process.
 */
export interface PairingRow {
  /** 8 Crockford base32 characters. */
  code: string;
  /** SHA-256(PAIRING_COMMIT_LABEL || A), as sent. */
  commitment: string;
  /** SHA-256 of each role's secret; the joiner's from its join. */
  initiatorHash: Uint8Array;
  joinerHash?: Uint8Array;
  joinerKey?: string;
  initiatorKey?: string;
  payload?: string;
  expiresAt: number;
  done: boolean;
}

/** A pairings row as either store reads it (PostgreSQL: bigint as text, boolean; SQLite: integers). */
export interface PairingDbRow {
  code: string;
  commitment: string;
  initiator_hash: Buffer;
  joiner_hash: Buffer | null;
  joiner_key: string | null;
  initiator_key: string | null;
  payload: string | null;
  expires_at: string | number;
  done: boolean | number;
}

export function pairingFromRow(row: PairingDbRow): PairingRow {
  return {
    code: row.code,
    commitment: row.commitment,
    initiatorHash: row.initiator_hash,
    ...(row.joiner_hash !== null ? { joinerHash: row.joiner_hash } : {}),
    ...(row.joiner_key !== null ? { joinerKey: row.joiner_key } : {}),
    ...(row.initiator_key !== null ? { initiatorKey: row.initiator_key } : {}),
    ...(row.payload !== null ? { payload: row.payload } : {}),
    expiresAt: Number(row.expires_at),
    done: row.done === true || row.done === 1,
  };
}

/** A rate-limit counter (limiter.ts): how many hits its window holds, and when the window ends (ms). */
export interface Counter {
  key: string;
  count: number;
  endsAt: number;
}

/** One transaction. Every method is one statement; `lock` holds the vault row until the transaction ends. */
export interface Tx {
  findVault(id: string, opts: { lock: boolean }): Promise<Vault | undefined>;
  /** Whether the id was rotated away (its vault lives on under another id). */
  isGone(id: string): Promise<boolean>;
  /** False when a vault with this id exists already (a concurrent create won). */
  insertVault(id: string, tokenHash: Uint8Array, key: string): Promise<boolean>;
  /** Gives the vault a new public id, token hash and key. False when the new id is taken. */
  renameVault(pk: number, id: string, tokenHash: Uint8Array, key: string): Promise<boolean>;
  markGone(id: string, at: number): Promise<void>;
  /** Removes the vault with its records and stored pushes. */
  deleteVault(pk: number): Promise<void>;
  setKey(pk: number, key: string): Promise<void>;
  /** The vault's seq and usage after a push. */
  setCounters(pk: number, counters: VaultCounters): Promise<void>;
  /** Records with seq > since in seq order, at most `limit`. */
  records(pk: number, since: number, limit: number): Promise<ServerRecord[]>;
  /** The current versions of these record ids (absent ids are left out). */
  recordsById(pk: number, ids: readonly string[]): Promise<ServerRecord[]>;
  /** Inserts or replaces records (by id), written at `at` (ms). */
  putRecords(pk: number, records: readonly ServerRecord[], at: number): Promise<void>;
  /** The current versions of these record ids with the time each was written (ms; 0: before that was kept). */
  recordTimes(pk: number, ids: readonly string[]): Promise<{ id: string; seq: number; bytes: number; at: number }[]>;
  /** Removes these records (tombstones.ts collects). */
  deleteRecords(pk: number, ids: readonly string[]): Promise<void>;
  setCollected(pk: number, collected: number): Promise<void>;
  /** The lowest cursor of the vault's replicas seen at or after `activeSince`; undefined when none was. */
  horizon(pk: number, activeSince: number): Promise<number | undefined>;
  /** A push answer stored at or after `notBefore` (ms), if any. */
  findPush(pk: number, requestId: string, notBefore: number): Promise<StoredPush | undefined>;
  putPush(pk: number, requestId: string, push: StoredPush, at: number): Promise<void>;
  /** Deletes the vault's push answers but the newest `keep` (by time stored). */
  trimPushes(pk: number, keep: number): Promise<void>;
  /** The pairing with this code, expired or not; `lock` holds it until the transaction ends. */
  findPairing(code: string, opts: { lock: boolean }): Promise<PairingRow | undefined>;
  /** False when the code is taken (by a pairing not yet swept). */
  insertPairing(pairing: PairingRow): Promise<boolean>;
  /** Writes the pairing's keys, secret hashes, payload and state. */
  updatePairing(pairing: PairingRow): Promise<void>;
  /** Pairings that expire after `now`. */
  livePairings(now: number): Promise<number>;
  /** Stores an invite (its SHA-256 only); `expiresAt` undefined: it never expires. */
  insertInvite(hash: Uint8Array, createdAt: number, expiresAt: number | undefined): Promise<void>;
  /** Marks the invite used at `now`: true when it existed, was unused and had not expired. */
  useInvite(hash: Uint8Array, now: number): Promise<boolean>;
}

export interface Store {
  /** Named by GET /v1/health. */
  readonly kind: 'sqlite' | 'postgresql';
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Writers to one
   * vault are serialized by `findVault(id, { lock: true })`; a read-only transaction sees one snapshot.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: { readOnly?: boolean }): Promise<T>;
  /**
   * Rate-limit counters' open windows (endsAt > now) for these keys; keys with none are left out. Counters
   * live in the store, so every server process on one database counts together.
   */
  counters(keys: readonly string[], now: number): Promise<Counter[]>;
  /** One hit on each key: added to its open window, or the first of a new window that ends at now + windowMs. */
  hit(keys: readonly string[], windowMs: number, now: number): Promise<void>;
  /**
   * A replica of the vault pulled from `cursor` at `now`: it holds every record up to there (tombstones.ts).
   * Not written durably (a lost update leaves an older cursor or none: collection waits, or the replica restores).
   */
  seen(pk: number, replica: string, cursor: number, now: number): Promise<void>;
  /**
   * Deletes push answers stored before `pushesBefore`, and counters and pairings that ended by `now` (ms);
   * returns how many rows went.
   */
  sweep(pushesBefore: number, now: number): Promise<number>;
  /** Throws when the database cannot be reached (GET /v1/health). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

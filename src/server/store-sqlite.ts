// The embedded store: one SQLite file (better-sqlite3) in the data directory, nothing to install or run.
// WAL journal with synchronous=FULL: a commit is on disk before the server answers. better-sqlite3 is
// synchronous and this process has one connection, so transactions run one after another through a queue
// (a transaction's awaits must not let another request's statements into it).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerRecord } from '../sync/protocol.ts';
import { type Counter, type PairingDbRow, type Store, type StoredPush, type Tx, type Vault, pairingFromRow } from './store.ts';

export const SQLITE_FILE = 'keyport.sqlite';

/** Schema versions, applied in order; PRAGMA user_version says how many ran. Append, never edit. */
export const MIGRATIONS = [
  `CREATE TABLE vaults (
     pk INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     token_hash BLOB NOT NULL,
     key TEXT NOT NULL,
     seq INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   CREATE TABLE records (
     vault INTEGER NOT NULL REFERENCES vaults (pk) ON DELETE CASCADE,
     id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     blob TEXT NOT NULL,
     PRIMARY KEY (vault, id)
   ) STRICT;
   CREATE UNIQUE INDEX records_by_seq ON records (vault, seq);
   CREATE TABLE pushes (
     vault INTEGER NOT NULL REFERENCES vaults (pk) ON DELETE CASCADE,
     request_id TEXT NOT NULL,
     request_hash BLOB NOT NULL,
     response TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (vault, request_id)
   ) STRICT;
   CREATE INDEX pushes_by_time ON pushes (at);
   CREATE TABLE gone_vaults (id TEXT PRIMARY KEY, at INTEGER NOT NULL) STRICT;`,
  // Quotas (vaults.ts): each vault's record count and blob characters, kept with its seq.
  `ALTER TABLE vaults ADD COLUMN records INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE vaults ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
   UPDATE vaults SET
     records = (SELECT count(*) FROM records WHERE records.vault = vaults.pk),
     bytes = (SELECT coalesce(sum(length(blob)), 0) FROM records WHERE records.vault = vaults.pk);
   CREATE INDEX pushes_by_vault_time ON pushes (vault, at);`,
  // Stateless processes (issue 14): rate-limit counters and pairings in the store, not in memory.
  `CREATE TABLE counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, ends_at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
   CREATE INDEX counters_by_end ON counters (ends_at);
   CREATE TABLE pairings (
     code TEXT PRIMARY KEY,
     commitment TEXT NOT NULL,
     initiator_hash BLOB NOT NULL,
     joiner_hash BLOB,
     joiner_key TEXT,
     initiator_key TEXT,
     payload TEXT,
     expires_at INTEGER NOT NULL,
     done INTEGER NOT NULL DEFAULT 0
   ) STRICT;
   CREATE INDEX pairings_by_expiry ON pairings (expires_at);`,
  // Registration (--registration invite): SHA-256 of each invite, single use.
  `CREATE TABLE invites (hash BLOB PRIMARY KEY, created_at INTEGER NOT NULL, expires_at INTEGER, used_at INTEGER) STRICT;`,
  // Tombstone collection (tombstones.ts): when each version was written, each replica's cursor, the highest
  // seq collected.
  `ALTER TABLE records ADD COLUMN at INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE vaults ADD COLUMN collected INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE replicas (
     vault INTEGER NOT NULL REFERENCES vaults (pk) ON DELETE CASCADE,
     id TEXT NOT NULL,
     cursor INTEGER NOT NULL,
     seen_at INTEGER NOT NULL,
     PRIMARY KEY (vault, id)
   ) STRICT;`,
];

interface VaultRow {
  pk: number;
  token_hash: Buffer;
  key: string;
  seq: number;
  records: number;
  bytes: number;
  collected: number;
}

function migrate(db: Database.Database) {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) throw new Error(`sqlite store: the database has schema ${version}, newer than this server (${MIGRATIONS.length})`);
  db.transaction(() => {
    for (let i = version; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  }).immediate();
}

function isUniqueViolation(error: unknown) {
  return error instanceof Database.SqliteError && (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/** Opens (creating when needed) `<dir>/keyport.sqlite`; `dir` ':memory:' keeps everything in memory (tests). */
export function openSqliteStore(dir: string): Store {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('sqlite store: a data directory is required');
  let file = ':memory:';
  if (dir !== ':memory:') {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    file = join(dir, SQLITE_FILE);
  }
  const db = new Database(file, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const q = {
    findVault: db.prepare<[string], VaultRow>('SELECT pk, token_hash, key, seq, records, bytes, collected FROM vaults WHERE id = ?'),
    isGone: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM gone_vaults WHERE id = ?'),
    insertVault: db.prepare<[string, Uint8Array, string]>('INSERT INTO vaults (id, token_hash, key) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    renameVault: db.prepare<[string, Uint8Array, string, number]>('UPDATE vaults SET id = ?, token_hash = ?, key = ? WHERE pk = ?'),
    markGone: db.prepare<[string, number]>('INSERT INTO gone_vaults (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING'),
    deleteVault: db.prepare<[number]>('DELETE FROM vaults WHERE pk = ?'),
    setKey: db.prepare<[string, number]>('UPDATE vaults SET key = ? WHERE pk = ?'),
    setCounters: db.prepare<[number, number, number, number]>('UPDATE vaults SET seq = ?, records = ?, bytes = ? WHERE pk = ?'),
    records: db.prepare<[number, number, number], ServerRecord>('SELECT id, seq, blob FROM records WHERE vault = ? AND seq > ? ORDER BY seq LIMIT ?'),
    recordsById: db.prepare<[number, string], ServerRecord>(
      'SELECT id, seq, blob FROM records WHERE vault = ? AND id IN (SELECT value FROM json_each(?))',
    ),
    putRecord: db.prepare<[number, string, number, string, number]>(
      'INSERT INTO records (vault, id, seq, blob, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (vault, id) DO UPDATE SET seq = excluded.seq, blob = excluded.blob, at = excluded.at',
    ),
    recordTimes: db.prepare<[number, string], { id: string; seq: number; bytes: number; at: number }>(
      'SELECT id, seq, length(blob) AS bytes, at FROM records WHERE vault = ? AND id IN (SELECT value FROM json_each(?))',
    ),
    deleteRecords: db.prepare<[number, string]>('DELETE FROM records WHERE vault = ? AND id IN (SELECT value FROM json_each(?))'),
    setCollected: db.prepare<[number, number]>('UPDATE vaults SET collected = ? WHERE pk = ?'),
    horizon: db.prepare<[number, number], { h: number | null }>('SELECT min(cursor) AS h FROM replicas WHERE vault = ? AND seen_at >= ?'),
    // Written when the cursor moves, or at most hourly to keep the replica active.
    seen: db.prepare<[number, string, number, number]>(
      `INSERT INTO replicas (vault, id, cursor, seen_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (vault, id) DO UPDATE SET cursor = excluded.cursor, seen_at = excluded.seen_at
       WHERE replicas.cursor != excluded.cursor OR replicas.seen_at < excluded.seen_at - 3600000`,
    ),
    findPush: db.prepare<[number, string, number], { request_hash: Buffer; response: string }>(
      'SELECT request_hash, response FROM pushes WHERE vault = ? AND request_id = ? AND at >= ?',
    ),
    putPush: db.prepare<[number, string, Uint8Array, string, number]>(
      `INSERT INTO pushes (vault, request_id, request_hash, response, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (vault, request_id) DO UPDATE SET request_hash = excluded.request_hash, response = excluded.response, at = excluded.at`,
    ),
    trimPushes: db.prepare<[number, number, number]>(
      `DELETE FROM pushes WHERE vault = ? AND rowid NOT IN (SELECT rowid FROM pushes WHERE vault = ? ORDER BY at DESC, rowid DESC LIMIT ?)`,
    ),
    sweep: db.prepare<[number]>('DELETE FROM pushes WHERE at < ?'),
    sweepCounters: db.prepare<[number]>('DELETE FROM counters WHERE ends_at <= ?'),
    sweepPairings: db.prepare<[number]>('DELETE FROM pairings WHERE expires_at <= ?'),
    findPairing: db.prepare<[string], PairingDbRow>('SELECT * FROM pairings WHERE code = ?'),
    insertPairing: db.prepare<[string, string, Uint8Array, number]>(
      'INSERT INTO pairings (code, commitment, initiator_hash, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING',
    ),
    updatePairing: db.prepare<[Uint8Array | null, string | null, string | null, string | null, number, string]>(
      'UPDATE pairings SET joiner_hash = ?, joiner_key = ?, initiator_key = ?, payload = ?, done = ? WHERE code = ?',
    ),
    insertInvite: db.prepare<[Uint8Array, number, number | null]>('INSERT INTO invites (hash, created_at, expires_at) VALUES (?, ?, ?)'),
    useInvite: db.prepare<[number, Uint8Array, number]>(
      'UPDATE invites SET used_at = ? WHERE hash = ? AND used_at IS NULL AND (expires_at IS NULL OR expires_at > ?)',
    ),
    livePairings: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM pairings WHERE expires_at > ?'),
    counters: db.prepare<[string, number], { key: string; count: number; ends_at: number }>(
      'SELECT key, count, ends_at FROM counters WHERE key IN (SELECT value FROM json_each(?)) AND ends_at > ?',
    ),
    // A window that ended starts again at 1; SET's right-hand sides all read the row as it was.
    hit: db.prepare<[string, number, number, number]>(
      `INSERT INTO counters (key, count, ends_at) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN counters.ends_at > ? THEN counters.count + 1 ELSE 1 END,
         ends_at = CASE WHEN counters.ends_at > ? THEN counters.ends_at ELSE excluded.ends_at END`,
    ),
  };

  const tx: Tx = {
    async findVault(id) {
      // One connection and one transaction at a time: every read already holds the vault.
      const row = q.findVault.get(id);
      return row && ({ pk: row.pk, tokenHash: row.token_hash, key: row.key, seq: row.seq, records: row.records, bytes: row.bytes, collected: row.collected } satisfies Vault);
    },
    async isGone(id) {
      return q.isGone.get(id) !== undefined;
    },
    async insertVault(id, tokenHash, key) {
      return q.insertVault.run(id, tokenHash, key).changes === 1;
    },
    async renameVault(pk, id, tokenHash, key) {
      try {
        return q.renameVault.run(id, tokenHash, key, pk).changes === 1;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    },
    async markGone(id, at) {
      q.markGone.run(id, at);
    },
    async deleteVault(pk) {
      q.deleteVault.run(pk);
    },
    async setKey(pk, key) {
      q.setKey.run(key, pk);
    },
    async setCounters(pk, { seq, records, bytes }) {
      q.setCounters.run(seq, records, bytes, pk);
    },
    async records(pk, since, limit) {
      return q.records.all(pk, since, limit);
    },
    async recordsById(pk, ids) {
      return q.recordsById.all(pk, JSON.stringify(ids));
    },
    async putRecords(pk, records, at) {
      for (const r of records) q.putRecord.run(pk, r.id, r.seq, r.blob, at);
    },
    async recordTimes(pk, ids) {
      return q.recordTimes.all(pk, JSON.stringify(ids));
    },
    async deleteRecords(pk, ids) {
      q.deleteRecords.run(pk, JSON.stringify(ids));
    },
    async setCollected(pk, collected) {
      q.setCollected.run(collected, pk);
    },
    async horizon(pk, activeSince) {
      return q.horizon.get(pk, activeSince)?.h ?? undefined;
    },
    async findPush(pk, requestId, notBefore) {
      const row = q.findPush.get(pk, requestId, notBefore);
      return row && ({ requestHash: row.request_hash, response: row.response } satisfies StoredPush);
    },
    async putPush(pk, requestId, push, at) {
      q.putPush.run(pk, requestId, push.requestHash, push.response, at);
    },
    async trimPushes(pk, keep) {
      q.trimPushes.run(pk, pk, keep);
    },
    async findPairing(code) {
      const row = q.findPairing.get(code);
      return row && pairingFromRow(row);
    },
    async insertPairing(p) {
      return q.insertPairing.run(p.code, p.commitment, p.initiatorHash, p.expiresAt).changes === 1;
    },
    async updatePairing(p) {
      q.updatePairing.run(p.joinerHash ?? null, p.joinerKey ?? null, p.initiatorKey ?? null, p.payload ?? null, p.done ? 1 : 0, p.code);
    },
    async livePairings(now) {
      return q.livePairings.get(now)!.n;
    },
    async insertInvite(hash, createdAt, expiresAt) {
      q.insertInvite.run(hash, createdAt, expiresAt ?? null);
    },
    async useInvite(hash, now) {
      return q.useInvite.run(now, hash, now).changes === 1;
    },
  };

  let queue: Promise<unknown> = Promise.resolve();
  const settled = () => undefined;
  function serially<T>(fn: () => Promise<T>): Promise<T> {
    const result = queue.then(fn);
    queue = result.then(settled, settled);
    return result;
  }

  return {
    kind: 'sqlite',
    transaction(fn, { readOnly = false } = {}) {
      return serially(async () => {
        db.exec(readOnly ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      });
    },
    counters(keys, now) {
      return serially(async () => q.counters.all(JSON.stringify(keys), now).map((r): Counter => ({ key: r.key, count: r.count, endsAt: r.ends_at })));
    },
    hit(keys, windowMs, now) {
      return serially(async () => {
        // A counter is not worth an fsync: NORMAL commits to the WAL without one (a later FULL commit, or the
        // checkpoint, syncs it). A crash may forget the last hits, never a vault's data.
        db.pragma('synchronous = NORMAL');
        try {
          db.transaction(() => {
            for (const key of keys) q.hit.run(key, now + windowMs, now, now);
          }).immediate();
        } finally {
          db.pragma('synchronous = FULL');
        }
      });
    },
    seen(pk, replica, cursor, now) {
      return serially(async () => {
        // As a counter: not worth an fsync (see hit).
        db.pragma('synchronous = NORMAL');
        try {
          q.seen.run(pk, replica, cursor, now);
        } catch (error) {
          // The vault was deleted meanwhile (foreign key): nothing to remember.
          if (!(error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY')) throw error;
        } finally {
          db.pragma('synchronous = FULL');
        }
      });
    },
    sweep(pushesBefore, now) {
      return serially(async () =>
        db.transaction(() => q.sweep.run(pushesBefore).changes + q.sweepCounters.run(now).changes + q.sweepPairings.run(now).changes).immediate(),
      );
    },
    ping() {
      return serially(async () => {
        db.prepare('SELECT 1').get();
      });
    },
    close() {
      return serially(async () => {
        db.close();
      });
    },
  };
}

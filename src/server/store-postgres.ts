// The PostgreSQL store (node-postgres), for deployments with many users: a pool of connections, one
// transaction per request. Writers to one vault are serialized by SELECT ... FOR UPDATE on its row (READ
// COMMITTED: after the lock, each statement sees the previous writer's commit); reads run in a REPEATABLE
// READ READ ONLY transaction, one snapshot. The tables live in their own schema ("keyport" unless told).
import pg from 'pg';
import type { ServerRecord } from '../sync/protocol.ts';
import { type PairingDbRow, type Store, type Tx, pairingFromRow } from './store.ts';

/** Schema versions, applied in order under an advisory lock; schema_version says how many ran. Append, never edit. */
const MIGRATIONS = [
  `CREATE TABLE vaults (
     pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     id text NOT NULL UNIQUE,
     token_hash bytea NOT NULL,
     key text NOT NULL,
     seq bigint NOT NULL DEFAULT 0
   );
   CREATE TABLE records (
     vault bigint NOT NULL REFERENCES vaults (pk) ON DELETE CASCADE,
     id text NOT NULL,
     seq bigint NOT NULL,
     blob text NOT NULL,
     PRIMARY KEY (vault, id)
   );
   CREATE UNIQUE INDEX records_by_seq ON records (vault, seq);
   CREATE TABLE pushes (
     vault bigint NOT NULL REFERENCES vaults (pk) ON DELETE CASCADE,
     request_id text NOT NULL,
     request_hash bytea NOT NULL,
     response text NOT NULL,
     at bigint NOT NULL,
     PRIMARY KEY (vault, request_id)
   );
   CREATE INDEX pushes_by_time ON pushes (at);
   CREATE TABLE gone_vaults (id text PRIMARY KEY, at bigint NOT NULL);`,
  // Quotas (vaults.ts): each vault's record count and blob characters, kept with its seq.
  `ALTER TABLE vaults ADD COLUMN records bigint NOT NULL DEFAULT 0, ADD COLUMN bytes bigint NOT NULL DEFAULT 0;
   UPDATE vaults SET
     records = (SELECT count(*) FROM records WHERE records.vault = vaults.pk),
     bytes = (SELECT coalesce(sum(length(blob)), 0) FROM records WHERE records.vault = vaults.pk);
   CREATE INDEX pushes_by_vault_time ON pushes (vault, at);`,
  // Stateless processes (issue 14): rate-limit counters and pairings in the store, not in memory. Counters
  // are UNLOGGED (not crash-safe, not replicated): a crash may forget the last minute's hits, never data.
  `CREATE UNLOGGED TABLE counters (key text PRIMARY KEY, count integer NOT NULL, ends_at bigint NOT NULL);
   CREATE INDEX counters_by_end ON counters (ends_at);
   CREATE TABLE pairings (
     code text PRIMARY KEY,
     commitment text NOT NULL,
     initiator_hash bytea NOT NULL,
     joiner_hash bytea,
     joiner_key text,
     initiator_key text,
     payload text,
     expires_at bigint NOT NULL,
     done boolean NOT NULL DEFAULT false
   );
   CREATE INDEX pairings_by_expiry ON pairings (expires_at);`,
  // Registration (--registration invite): SHA-256 of each invite, single use.
  `CREATE TABLE invites (hash bytea PRIMARY KEY, created_at bigint NOT NULL, expires_at bigint, used_at bigint);`,
  // Tombstone collection (tombstones.ts): when each version was written, each replica's cursor, the highest
  // seq collected. Replicas' cursors are UNLOGGED, as counters: a lost one makes collection wait, or the
  // replica restore.
  `ALTER TABLE records ADD COLUMN at bigint NOT NULL DEFAULT 0;
   ALTER TABLE vaults ADD COLUMN collected bigint NOT NULL DEFAULT 0;
   CREATE UNLOGGED TABLE replicas (
     vault bigint NOT NULL,
     id text NOT NULL,
     cursor bigint NOT NULL,
     seen_at bigint NOT NULL,
     PRIMARY KEY (vault, id)
   );`,
];

/** pg_advisory_xact_lock key for migrations: "keyport" in ASCII. */
const MIGRATION_LOCK = 0x6b6579706f7274;

export interface PostgresOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** The schema that holds the tables (created when missing). */
  schema?: string;
  poolSize?: number;
  /** Errors of idle pooled connections (the server restarted, say); the pool replaces them. */
  onError?: (error: Error) => void;
}

const bytea = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const toRecord = (row: { id: string; seq: string; blob: string }): ServerRecord => ({ id: row.id, seq: Number(row.seq), blob: row.blob });

function transactionSteps(client: pg.PoolClient): Tx {
  const rows = async <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => (await client.query<R>(sql, params)).rows;
  return {
    async findVault(id, { lock }) {
      const [row] = await rows<{ pk: string; token_hash: Buffer; key: string; seq: string; records: string; bytes: string; collected: string }>(
        `SELECT pk, token_hash, key, seq, records, bytes, collected FROM vaults WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
        [id],
      );
      return (
        row && {
          pk: Number(row.pk),
          tokenHash: row.token_hash,
          key: row.key,
          seq: Number(row.seq),
          records: Number(row.records),
          bytes: Number(row.bytes),
          collected: Number(row.collected),
        }
      );
    },
    async isGone(id) {
      return (await rows('SELECT 1 FROM gone_vaults WHERE id = $1', [id])).length > 0;
    },
    async insertVault(id, tokenHash, key) {
      const result = await client.query('INSERT INTO vaults (id, token_hash, key) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
        id,
        bytea(tokenHash),
        key,
      ]);
      return result.rowCount === 1;
    },
    async renameVault(pk, id, tokenHash, key) {
      try {
        const result = await client.query('UPDATE vaults SET id = $1, token_hash = $2, key = $3 WHERE pk = $4', [id, bytea(tokenHash), key, pk]);
        return result.rowCount === 1;
      } catch (error) {
        // unique_violation: the id is taken. The transaction is aborted; the caller throws and it rolls back.
        if ((error as { code?: string }).code === '23505') return false;
        throw error;
      }
    },
    async markGone(id, at) {
      await client.query('INSERT INTO gone_vaults (id, at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [id, at]);
    },
    async deleteVault(pk) {
      await client.query('DELETE FROM replicas WHERE vault = $1', [pk]);
      await client.query('DELETE FROM vaults WHERE pk = $1', [pk]);
    },
    async setKey(pk, key) {
      await client.query('UPDATE vaults SET key = $1 WHERE pk = $2', [key, pk]);
    },
    async setCounters(pk, { seq, records, bytes }) {
      await client.query('UPDATE vaults SET seq = $1, records = $2, bytes = $3 WHERE pk = $4', [seq, records, bytes, pk]);
    },
    async records(pk, since, limit) {
      const found = await rows<{ id: string; seq: string; blob: string }>(
        'SELECT id, seq, blob FROM records WHERE vault = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [pk, since, limit],
      );
      return found.map(toRecord);
    },
    async recordsById(pk, ids) {
      const found = await rows<{ id: string; seq: string; blob: string }>('SELECT id, seq, blob FROM records WHERE vault = $1 AND id = ANY($2::text[])', [
        pk,
        ids,
      ]);
      return found.map(toRecord);
    },
    async putRecords(pk, records, at) {
      await client.query(
        `INSERT INTO records (vault, id, seq, blob, at)
         SELECT $1, r.id, r.seq, r.blob, $5 FROM unnest($2::text[], $3::bigint[], $4::text[]) AS r (id, seq, blob)
         ON CONFLICT (vault, id) DO UPDATE SET seq = EXCLUDED.seq, blob = EXCLUDED.blob, at = EXCLUDED.at`,
        [pk, records.map((r) => r.id), records.map((r) => r.seq), records.map((r) => r.blob), at],
      );
    },
    async recordTimes(pk, ids) {
      const found = await rows<{ id: string; seq: string; bytes: number; at: string }>(
        'SELECT id, seq, length(blob) AS bytes, at FROM records WHERE vault = $1 AND id = ANY($2::text[])',
        [pk, ids],
      );
      return found.map((r) => ({ id: r.id, seq: Number(r.seq), bytes: r.bytes, at: Number(r.at) }));
    },
    async deleteRecords(pk, ids) {
      await client.query('DELETE FROM records WHERE vault = $1 AND id = ANY($2::text[])', [pk, ids]);
    },
    async setCollected(pk, collected) {
      await client.query('UPDATE vaults SET collected = $1 WHERE pk = $2', [collected, pk]);
    },
    async horizon(pk, activeSince) {
      const [row] = await rows<{ h: string | null }>('SELECT min(cursor) AS h FROM replicas WHERE vault = $1 AND seen_at >= $2', [pk, activeSince]);
      return row?.h == null ? undefined : Number(row.h);
    },
    async findPush(pk, requestId, notBefore) {
      const [row] = await rows<{ request_hash: Buffer; response: string }>(
        'SELECT request_hash, response FROM pushes WHERE vault = $1 AND request_id = $2 AND at >= $3',
        [pk, requestId, notBefore],
      );
      return row && { requestHash: row.request_hash, response: row.response };
    },
    async putPush(pk, requestId, push, at) {
      await client.query(
        `INSERT INTO pushes (vault, request_id, request_hash, response, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (vault, request_id) DO UPDATE SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, at = EXCLUDED.at`,
        [pk, requestId, bytea(push.requestHash), push.response, at],
      );
    },
    async trimPushes(pk, keep) {
      await client.query(
        `DELETE FROM pushes WHERE vault = $1 AND request_id NOT IN (SELECT request_id FROM pushes WHERE vault = $1 ORDER BY at DESC, request_id DESC LIMIT $2)`,
        [pk, keep],
      );
    },
    async findPairing(code, { lock }) {
      const [row] = await rows<PairingDbRow>(`SELECT * FROM pairings WHERE code = $1${lock ? ' FOR UPDATE' : ''}`, [code]);
      return row && pairingFromRow(row);
    },
    async insertPairing(p) {
      const result = await client.query(
        'INSERT INTO pairings (code, commitment, initiator_hash, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING',
        [p.code, p.commitment, bytea(p.initiatorHash), p.expiresAt],
      );
      return result.rowCount === 1;
    },
    async updatePairing(p) {
      await client.query('UPDATE pairings SET joiner_hash = $1, joiner_key = $2, initiator_key = $3, payload = $4, done = $5 WHERE code = $6', [
        p.joinerHash ? bytea(p.joinerHash) : null,
        p.joinerKey ?? null,
        p.initiatorKey ?? null,
        p.payload ?? null,
        p.done,
        p.code,
      ]);
    },
    async insertInvite(hash, createdAt, expiresAt) {
      await client.query('INSERT INTO invites (hash, created_at, expires_at) VALUES ($1, $2, $3)', [bytea(hash), createdAt, expiresAt ?? null]);
    },
    async useInvite(hash, now) {
      const result = await client.query('UPDATE invites SET used_at = $1 WHERE hash = $2 AND used_at IS NULL AND (expires_at IS NULL OR expires_at > $1)', [
        now,
        bytea(hash),
      ]);
      return result.rowCount === 1;
    },
    async livePairings(now) {
      const [row] = await rows<{ n: string }>('SELECT count(*) AS n FROM pairings WHERE expires_at > $1', [now]);
      return Number(row!.n);
    },
  };
}

async function migrate(pool: pg.Pool, schema: string) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
    const [row] = (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows;
    const version = row?.version ?? 0;
    if (version > MIGRATIONS.length) throw new Error(`postgres store: the database has schema ${version}, newer than this server (${MIGRATIONS.length})`);
    for (let i = version; i < MIGRATIONS.length; i++) await client.query(MIGRATIONS[i]!);
    if (!row) await client.query('INSERT INTO schema_version (version) VALUES ($1)', [MIGRATIONS.length]);
    else await client.query('UPDATE schema_version SET version = $1', [MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Connects, creates or upgrades the tables, and returns the store. */
export async function openPostgresStore({ url, schema = 'keyport', poolSize = 10, onError = () => undefined }: PostgresOptions): Promise<Store> {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) throw new TypeError('postgres store: the URL must start with postgres:// or postgresql://');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new RangeError(`postgres store: schema must be a lower-case SQL identifier, got "${schema}"`);
  // Every connection starts in our schema (a startup parameter: no extra round trip).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, options: `-c search_path=${schema}` });
  pool.on('error', onError);
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }

  return {
    kind: 'postgresql',
    async transaction(fn, { readOnly = false } = {}) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query(readOnly ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const result = await fn(transactionSteps(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw error;
      } finally {
        client.release(broken);
      }
    },
    async counters(keys, now) {
      const found = await pool.query<{ key: string; count: number; ends_at: string }>('SELECT key, count, ends_at FROM counters WHERE key = ANY($1::text[]) AND ends_at > $2', [
        keys,
        now,
      ]);
      return found.rows.map((r) => ({ key: r.key, count: r.count, endsAt: Number(r.ends_at) }));
    },
    async hit(keys, windowMs, now) {
      // One statement, atomic per row: processes hitting the same key together each add one. A window that
      // ended starts again at 1 (SET's right-hand sides read the row as it was). Keys in order, so two
      // statements over the same keys lock them in the same order.
      await pool.query(
        `INSERT INTO counters (key, count, ends_at) SELECT k, 1, $2::bigint FROM unnest($1::text[]) AS k ORDER BY k
         ON CONFLICT (key) DO UPDATE SET
           count = CASE WHEN counters.ends_at > $3 THEN counters.count + 1 ELSE 1 END,
           ends_at = CASE WHEN counters.ends_at > $3 THEN counters.ends_at ELSE EXCLUDED.ends_at END`,
        [[...new Set(keys)], now + windowMs, now],
      );
    },
    async seen(pk, replica, cursor, now) {
      // Written when the cursor moves, or at most hourly to keep the replica active.
      await pool.query(
        `INSERT INTO replicas (vault, id, cursor, seen_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (vault, id) DO UPDATE SET cursor = EXCLUDED.cursor, seen_at = EXCLUDED.seen_at
         WHERE replicas.cursor <> EXCLUDED.cursor OR replicas.seen_at < EXCLUDED.seen_at - 3600000`,
        [pk, replica, cursor, now],
      );
    },
    async sweep(pushesBefore, now) {
      let n = 0;
      n += (await pool.query('DELETE FROM pushes WHERE at < $1', [pushesBefore])).rowCount ?? 0;
      n += (await pool.query('DELETE FROM counters WHERE ends_at <= $1', [now])).rowCount ?? 0;
      n += (await pool.query('DELETE FROM pairings WHERE expires_at <= $1', [now])).rowCount ?? 0;
      return n;
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    close() {
      return pool.end();
    },
  };
}

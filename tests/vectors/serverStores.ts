// Test support: the two stores, opened fresh for a suite, with a way to read back everything they hold.
// PostgreSQL comes from KEYPORT_TEST_PG_URL (.ci/run starts a cluster and sets it); in CI its absence is
// a failure, elsewhere the PostgreSQL suites are skipped with a message.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import type { Store } from '../../src/server/store.ts';
import { openPostgresStore } from '../../src/server/store-postgres.ts';
import { SQLITE_FILE, openSqliteStore } from '../../src/server/store-sqlite.ts';

export interface TestStore {
  store: Store;
  /** Closes the store and opens it again on the same data (a server restart). */
  reopen(): Promise<void>;
  /** Every row of every table, as JSON text: what someone with the database would see. */
  dump(): Promise<string>;
  dispose(): Promise<void>;
}

export interface TestStoreKind {
  name: 'sqlite' | 'postgresql';
  /** Why this kind cannot run here, if it cannot. */
  unavailable?: string;
  open(): Promise<TestStore>;
}

const TABLES = ['vaults', 'records', 'pushes', 'gone_vaults'];

/** JSON.stringify replacer: bytes (after Buffer's toJSON) as hex. */
const hexBytes = (_key: string, value: unknown) => {
  const b = value as { type?: unknown; data?: unknown } | null;
  return b?.type === 'Buffer' && Array.isArray(b.data) ? `hex:${Buffer.from(b.data as number[]).toString('hex')}` : value;
};

export const PG_URL = process.env.KEYPORT_TEST_PG_URL || undefined;

const sqlite: TestStoreKind = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'keyport-server-test-'));
    const test: TestStore = {
      store: openSqliteStore(dir),
      async reopen() {
        await test.store.close();
        test.store = openSqliteStore(dir);
      },
      async dump() {
        const reader = new Database(join(dir, SQLITE_FILE), { readonly: true });
        try {
          return JSON.stringify(TABLES.map((t) => reader.prepare(`SELECT * FROM ${t}`).all()), hexBytes);
        } finally {
          reader.close();
        }
      },
      async dispose() {
        await test.store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return test;
  },
};

const postgres: TestStoreKind = {
  name: 'postgresql',
  ...(PG_URL ? {} : { unavailable: 'KEYPORT_TEST_PG_URL is not set' }),
  async open() {
    if (!PG_URL) throw new Error('KEYPORT_TEST_PG_URL is not set');
    const schema = `keyport_test_${randomBytes(6).toString('hex')}`;
    const open = () => openPostgresStore({ url: PG_URL, schema, poolSize: 5 });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const test: TestStore = {
      store: await open(),
      async reopen() {
        await test.store.close();
        test.store = await open();
      },
      async dump() {
        const rows = [];
        for (const t of TABLES) rows.push((await admin.query(`SELECT * FROM ${schema}.${t}`)).rows);
        return JSON.stringify(rows, hexBytes);
      },
      async dispose() {
        await test.store.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      },
    };
    return test;
  },
};

export const STORE_KINDS: readonly TestStoreKind[] = [sqlite, postgres];
export const POSTGRES: TestStoreKind = postgres;

/**
 * `describe(title on <store>)` for each store. A store that cannot run here: in CI (CI=true) a failing
 * test says why; elsewhere the suite is skipped with a message.
 */
export function describeEachStore(title: string, body: (kind: TestStoreKind) => void) {
  for (const kind of STORE_KINDS) describeOnStore(kind, title, body);
}

/** `describe(title on <store>)` for one store kind, with the same rule when it cannot run here. */
export function describeOnStore(kind: TestStoreKind, title: string, body: (kind: TestStoreKind) => void) {
  const name = `${title} on ${kind.name}`;
  if (!kind.unavailable) describe(name, () => body(kind));
  else if (process.env.CI === 'true') {
    describe(name, () => {
      it('runs in CI', () => {
        throw new Error(`the ${kind.name} suite must run in CI, but ${kind.unavailable} (.ci/run starts PostgreSQL and sets it)`);
      });
    });
  } else {
    console.warn(`[server tests] skipping "${name}": ${kind.unavailable}`);
    describe.skip(`${name} (${kind.unavailable})`, () => it('needs the database', () => undefined));
  }
}

// Starts the sync server: opens the store the options name, serves the app on a port, sweeps expired push
// answers, rate-limit windows and pairings every ten minutes, and closes both on request. main.ts (the
// command line) and the bench call this.
import type { AddressInfo } from 'node:net';
import { buildApp, type AppOptions } from './app.ts';
import type { Store } from './store.ts';
import { openPostgresStore } from './store-postgres.ts';
import { openSqliteStore } from './store-sqlite.ts';
import { type Registration, isLoopbackHost } from './invites.ts';
import { PUSH_RETENTION_MS, type Quota } from './vaults.ts';

export interface StoreOptions {
  /** The embedded store's directory (SQLite). */
  data?: string;
  /** A PostgreSQL connection URL; takes the place of `data`. */
  databaseUrl?: string;
  /** PostgreSQL schema for the tables (default "keyport"). */
  databaseSchema?: string;
}

export interface ServerOptions extends StoreOptions {
  port: number;
  host: string;
  trustProxy?: AppOptions['trustProxy'];
  /** What one vault may hold (default 10,000 records and 50 MB). */
  quota?: Partial<Quota>;
  /** Writes to a vault a minute, per vault and per address (default 120). */
  writesPerMinute?: number;
  /** Who may create a vault (invites.ts); default open on a loopback host, else invite. */
  registration?: Registration;
  log?: AppOptions['log'];
}

export interface RunningServer {
  url: string;
  port: number;
  store: Store;
  close(): Promise<void>;
}

/** Ended rate-limit windows and expired pairings go within this; old push answers too. */
const SWEEP_EVERY_MS = 10 * 60 * 1000;

export async function openStore({ data, databaseUrl, databaseSchema }: StoreOptions, onError?: (error: Error) => void): Promise<Store> {
  if (databaseUrl !== undefined && data !== undefined) throw new TypeError('give either a data directory or a database URL, not both');
  if (databaseUrl !== undefined) return openPostgresStore({ url: databaseUrl, ...(databaseSchema ? { schema: databaseSchema } : {}), ...(onError ? { onError } : {}) });
  if (data !== undefined) return openSqliteStore(data);
  throw new TypeError('a data directory or a database URL is required');
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  let app: ReturnType<typeof buildApp> | undefined;
  const store = await openStore(options, (error) => app?.log.warn({ error: { name: error.name, message: error.message } }, 'database connection lost'));
  app = buildApp({
    store,
    ...(options.log !== undefined ? { log: options.log } : {}),
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.quota !== undefined ? { quota: options.quota } : {}),
    registration: options.registration ?? (isLoopbackHost(options.host) ? 'open' : 'invite'),
    ...(options.writesPerMinute !== undefined ? { limits: { writes: { max: options.writesPerMinute, windowMs: 60_000 } } } : {}),
  });
  const log = app.log;
  const sweep = () =>
    store.sweep(Date.now() - PUSH_RETENTION_MS, Date.now()).catch((error: Error) => log.warn({ error: { name: error.name, message: error.message } }, 'sweep failed'));
  const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS).unref();
  try {
    await sweep();
    await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    clearInterval(timer);
    await app.close();
    await store.close();
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  log.info({ url, store: store.kind, registration: options.registration ?? (isLoopbackHost(options.host) ? 'open' : 'invite'), ...(options.data !== undefined ? { data: options.data } : {}) }, 'keyport sync server ready');
  const running = app;
  return {
    url,
    port,
    store,
    async close() {
      clearInterval(timer);
      await running.close();
      await store.close();
    },
  };
}

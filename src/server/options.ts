// The sync server's command line: `npm run server -- [options]`, and `npm run server -- invite [options]`.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REGISTRATION_POLICIES, type Registration, isLoopbackHost } from './invites.ts';
import type { ServerOptions, StoreOptions } from './server.ts';

export const USAGE = `Keyport sync server

Usage: npm run server -- [options]                  serve
       npm run server -- invite [--expires <time>] [--data <dir> | --database-url <url>]
                         make one invite for one new vault, print it once (the store keeps
                         only its hash); --expires 7d, 12h or 30m (default: it never expires)

  --port <n>             port to listen on (default 8787; 0 picks a free one)
  --host <address>       address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --data <dir>           embedded store (SQLite) in this directory
                         (default $XDG_DATA_HOME/keyport-server, else ~/.local/share/keyport-server)
  --database-url <url>   PostgreSQL instead, e.g. postgres://user:password@host:5432/keyport
                         (or the DATABASE_URL environment variable)
  --database-schema <s>  PostgreSQL schema for the tables (default keyport)
  --trust-proxy          behind a reverse proxy: rate limit by X-Forwarded-For
  --vault-records <n>    records one vault may hold: passkeys, settings, markers of deleted passkeys
                         (default 10000)
  --vault-mb <n>         megabytes of sealed records one vault may hold (default 50)
  --writes-per-minute <n>  writes to a vault (push, key, rotate, delete) a minute, per vault and per
                         address (default 120)
  --registration <p>     who may create a vault: open (anyone who reaches the server), invite (a new
                         vault needs an invite from \`invite\` above), closed (none); existing vaults
                         always work (default invite, or open when --host is loopback)
  --log-level <level>    fatal, error, warn, info (default), debug
  --help                 this text
`;

export type CliResult =
  | { help: true }
  | ({ help: false; command: 'serve' } & ServerOptions)
  | ({ help: false; command: 'invite'; expiresInMs?: number } & StoreOptions);

const UNITS_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reads argv (without node and the script) and the environment; throws a TypeError naming the bad option. */
export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliResult {
  const { values, positionals } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      'database-url': { type: 'string' },
      'database-schema': { type: 'string' },
      'trust-proxy': { type: 'boolean', default: false },
      'vault-records': { type: 'string', default: '10000' },
      'vault-mb': { type: 'string', default: '50' },
      'writes-per-minute': { type: 'string', default: '120' },
      'log-level': { type: 'string', default: 'info' },
      registration: { type: 'string' },
      expires: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return { help: true };
  if (positionals.length > 1 || (positionals[0] !== undefined && positionals[0] !== 'invite')) throw new TypeError(`unknown command "${positionals.join(' ')}": the only command is "invite"`);
  const command = positionals[0] === 'invite' ? 'invite' : 'serve';
  if (command === 'serve' && values.expires !== undefined) throw new TypeError('--expires belongs to the invite command');
  const port = Number(values.port);
  if (!/^\d{1,5}$/.test(values.port) || port > 65535) throw new TypeError(`--port: expected 0 to 65535, got "${values.port}"`);
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(values['log-level'])) throw new TypeError(`--log-level: unknown level "${values['log-level']}"`);
  const count = (name: 'vault-records' | 'vault-mb' | 'writes-per-minute') => {
    const text = values[name];
    if (!/^[1-9]\d{0,8}$/.test(text)) throw new TypeError(`--${name}: expected a whole number from 1, got "${text}"`);
    return Number(text);
  };
  const quota = { records: count('vault-records'), bytes: count('vault-mb') * 1_000_000 };
  const writesPerMinute = count('writes-per-minute');
  const databaseUrl = values['database-url'] ?? (env.DATABASE_URL || undefined);
  if (databaseUrl !== undefined && values.data !== undefined) throw new TypeError('--data and --database-url (or DATABASE_URL) exclude each other');
  const store: StoreOptions = {};
  if (databaseUrl !== undefined) {
    store.databaseUrl = databaseUrl;
    if (values['database-schema'] !== undefined) store.databaseSchema = values['database-schema'];
  } else {
    store.data = values.data ?? join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'keyport-server');
  }
  if (command === 'invite') {
    if (values.expires === undefined) return { help: false, command, ...store };
    const match = /^([1-9]\d{0,4})([mhd])$/.exec(values.expires);
    if (!match) throw new TypeError(`--expires: expected a number and m, h or d (30m, 12h, 7d), got "${values.expires}"`);
    return { help: false, command, expiresInMs: Number(match[1]) * UNITS_MS[match[2]!]!, ...store };
  }
  const registration = (values.registration ?? (isLoopbackHost(values.host) ? 'open' : 'invite')) as Registration;
  if (!REGISTRATION_POLICIES.includes(registration)) throw new TypeError(`--registration: expected open, invite or closed, got "${values.registration}"`);
  const options: ServerOptions = {
    port,
    host: values.host,
    trustProxy: values['trust-proxy'],
    quota,
    writesPerMinute,
    registration,
    log: { level: values['log-level'] },
    ...store,
  };
  return { help: false, command, ...options };
}

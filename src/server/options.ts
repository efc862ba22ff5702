// The sync server's command line: `npm run server -- [options]`.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ServerOptions } from './server.ts';

export const USAGE = `Keyport sync server

Usage: npm run server -- [options]

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
  --log-level <level>    fatal, error, warn, info (default), debug
  --help                 this text
`;

export type CliResult = { help: true } | ({ help: false } & ServerOptions);

/** Reads argv (without node and the script) and the environment; throws a TypeError naming the bad option. */
export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliResult {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
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
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return { help: true };
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
  const options: ServerOptions = {
    port,
    host: values.host,
    trustProxy: values['trust-proxy'],
    quota,
    writesPerMinute,
    log: { level: values['log-level'] },
  };
  if (databaseUrl !== undefined) {
    options.databaseUrl = databaseUrl;
    if (values['database-schema'] !== undefined) options.databaseSchema = values['database-schema'];
  } else {
    options.data = values.data ?? join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'keyport-server');
  }
  return { help: false, ...options };
}

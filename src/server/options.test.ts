// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.ts';

describe('server command line', () => {
  it('defaults: port 8787 on 127.0.0.1, the embedded store under XDG_DATA_HOME', () => {
    expect(parseOptions([], { XDG_DATA_HOME: '/xdg' })).toEqual({
      help: false,
      command: 'serve',
      registration: 'open',
      port: 8787,
      host: '127.0.0.1',
      data: '/xdg/keyport-server',
      trustProxy: false,
      quota: { records: 10_000, bytes: 50_000_000 },
      writesPerMinute: 120,
      log: { level: 'info' },
    });
    expect(parseOptions([], { HOME: '/home/k' })).toMatchObject({ data: '/home/k/.local/share/keyport-server' });
  });

  it('--port, --host, --data, --trust-proxy, --log-level', () => {
    expect(parseOptions(['--port', '8799', '--host', '0.0.0.0', '--data', '/tmp/kp', '--trust-proxy', '--log-level', 'warn'], {})).toEqual({
      help: false,
      command: 'serve',
      registration: 'invite', // a public interface: new vaults need an invite unless told
      port: 8799,
      host: '0.0.0.0',
      data: '/tmp/kp',
      trustProxy: true,
      quota: { records: 10_000, bytes: 50_000_000 },
      writesPerMinute: 120,
      log: { level: 'warn' },
    });
  });

  it('--vault-records, --vault-mb, --writes-per-minute: whole numbers from 1', () => {
    expect(parseOptions(['--vault-records', '500', '--vault-mb', '5', '--writes-per-minute', '30'], {})).toMatchObject({
      quota: { records: 500, bytes: 5_000_000 },
      writesPerMinute: 30,
    });
    expect(() => parseOptions(['--vault-records', '0'], {})).toThrow(/--vault-records/);
    expect(() => parseOptions(['--vault-mb', '2.5'], {})).toThrow(/--vault-mb/);
    expect(() => parseOptions(['--writes-per-minute', 'lots'], {})).toThrow(/--writes-per-minute/);
  });

  it('PostgreSQL from --database-url or DATABASE_URL, never with --data', () => {
    const url = 'postgres://u:p@db:5432/keyport';
    expect(parseOptions(['--database-url', url, '--database-schema', 'kp'], {})).toMatchObject({ databaseUrl: url, databaseSchema: 'kp' });
    expect(parseOptions([], { DATABASE_URL: url })).toMatchObject({ databaseUrl: url });
    expect(parseOptions([], { DATABASE_URL: url })).not.toHaveProperty('data');
    expect(() => parseOptions(['--data', '/tmp/kp'], { DATABASE_URL: url })).toThrow(/exclude each other/);
  });

  it('--registration: open on loopback, invite elsewhere, unless told', () => {
    expect(parseOptions(['--host', '::1'], {})).toMatchObject({ registration: 'open' });
    expect(parseOptions(['--host', 'localhost'], {})).toMatchObject({ registration: 'open' });
    expect(parseOptions(['--host', '192.168.1.4'], {})).toMatchObject({ registration: 'invite' });
    expect(parseOptions(['--host', '0.0.0.0', '--registration', 'open'], {})).toMatchObject({ registration: 'open' });
    expect(parseOptions(['--registration', 'closed'], {})).toMatchObject({ registration: 'closed' });
    expect(() => parseOptions(['--registration', 'friends'], {})).toThrow(/--registration/);
  });

  it('invite [--expires]: the store options only', () => {
    expect(parseOptions(['invite', '--data', '/tmp/kp'], {})).toEqual({ help: false, command: 'invite', data: '/tmp/kp' });
    expect(parseOptions(['invite', '--expires', '7d'], { DATABASE_URL: 'postgres://db/k' })).toEqual({
      help: false,
      command: 'invite',
      expiresInMs: 7 * 86_400_000,
      databaseUrl: 'postgres://db/k',
    });
    expect(parseOptions(['invite', '--expires', '30m', '--data', '/d'], {})).toMatchObject({ expiresInMs: 1_800_000 });
    expect(() => parseOptions(['invite', '--expires', 'soon'], {})).toThrow(/--expires/);
    expect(() => parseOptions(['--expires', '7d'], {})).toThrow(/invite command/);
    expect(() => parseOptions(['invites'], {})).toThrow(/unknown command/);
  });

  it('refuses bad values and unknown options', () => {
    expect(() => parseOptions(['--port', '99999'], {})).toThrow(/--port/);
    expect(() => parseOptions(['--port', 'http'], {})).toThrow(/--port/);
    expect(() => parseOptions(['--log-level', 'loud'], {})).toThrow(/--log-level/);
    expect(() => parseOptions(['--dta', '/tmp'], {})).toThrow();
    expect(parseOptions(['--help'], {})).toEqual({ help: true });
  });
});

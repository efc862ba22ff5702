// @vitest-environment node
import { describe, expect, it } from 'vitest';
import { parseOptions } from './options.ts';

describe('server command line', () => {
  it('defaults: port 8787 on 127.0.0.1, the embedded store under XDG_DATA_HOME', () => {
    expect(parseOptions([], { XDG_DATA_HOME: '/xdg' })).toEqual({
      help: false,
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

  it('refuses bad values and unknown options', () => {
    expect(() => parseOptions(['--port', '99999'], {})).toThrow(/--port/);
    expect(() => parseOptions(['--port', 'http'], {})).toThrow(/--port/);
    expect(() => parseOptions(['--log-level', 'loud'], {})).toThrow(/--log-level/);
    expect(() => parseOptions(['--dta', '/tmp'], {})).toThrow();
    expect(parseOptions(['--help'], {})).toEqual({ help: true });
  });
});

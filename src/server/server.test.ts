// @vitest-environment node
// The server as a person runs it: a real port, the embedded store in a directory, data kept across a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from './server.ts';

describe('startServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyport-server-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves over HTTP on a free port, and keeps a vault across a restart', async () => {
    const vault = { id: randomBytes(32).toString('base64url'), token: randomBytes(32).toString('base64url'), key: 'wrapped' };
    let server = await startServer({ port: 0, host: '127.0.0.1', data: dir, log: false });
    try {
      expect(await (await fetch(`${server.url}/v1/health`)).json()).toEqual({ ok: true, protocol: 1, store: 'sqlite' });
      const res = await fetch(`${server.url}/v1/vaults/${vault.id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: vault.token, key: vault.key }),
      });
      expect(res.status).toBe(201);
    } finally {
      await server.close();
    }
    server = await startServer({ port: 0, host: '127.0.0.1', data: dir, log: false });
    try {
      const res = await fetch(`${server.url}/v1/vaults/${vault.id}/key`, { headers: { authorization: `Bearer ${vault.token}` } });
      expect(await res.json()).toEqual({ key: 'wrapped' });
    } finally {
      await server.close();
    }
  });

  it('needs exactly one of a data directory and a database URL', async () => {
    await expect(startServer({ port: 0, host: '127.0.0.1', log: false })).rejects.toThrow(/required/);
    await expect(startServer({ port: 0, host: '127.0.0.1', data: dir, databaseUrl: 'postgres://x/y', log: false })).rejects.toThrow(/not both/);
  });
});

// The real sync server for E2E tests, started with the documented command (`npm run server`), as a
// self-hoster runs it, on a free loopback port with a throwaway data directory.
//
//   const server = await startSyncServer();   // { url, data, close() }
//   await startSyncServer({ args: ['--registration', 'invite'] });   // more command-line options

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../bench/server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startSyncServer({ args = [] } = {}) {
  const data = mkdtempSync(join(tmpdir(), 'keyport-sync-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('npm', ['run', '--silent', 'server', '--', '--port', String(port), '--data', data, '--log-level', 'warn', ...args], { cwd: resolve('.'), stdio: 'inherit', detached: true });
  const close = async () => {
    const pid = /** @type {number} */ (child.pid); // npm started, so it has one
    process.kill(-pid, 'SIGTERM');
    await sleep(200);
    rmSync(data, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++, await sleep(100)) {
    if (await fetch(`${url}/v1/health`).then((r) => r.ok, () => false)) return { url, data, close };
  }
  await close();
  throw new Error('the sync server did not start');
}

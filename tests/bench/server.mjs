// Sync server throughput: requests per second with keep-alive clients (autocannon), for the embedded
// store and, when a PostgreSQL URL is set (KEYPORT_BENCH_PG_URL, else KEYPORT_TEST_PG_URL), PostgreSQL.
// The server runs as `npm run server` would (its own process, JSON logs at info, here to /dev/null), on a
// free loopback port; the clients run in this process. On a 2-core machine client and server share them.
//
// Workloads, on a vault that holds 1000 sealed records of 1 KiB (a passkey's size):
//   pull, up to date   GET  .../records?since=<latest>   the poll that finds nothing new
//   pull, 100 records  GET  .../records?since=<latest-100>&limit=100
//   push, 1 record     POST .../records  one new record per request (its own requestId), one transaction;
//                      each connection pushes to a vault of its own (100 records to start), as many people
//                      syncing at once would, and the pulls above always read the same records
// Each figure is the median of BENCH_SERVER_RUNS (5) runs of BENCH_SERVER_SECONDS (3) s, workloads
// interleaved, BENCH_SERVER_CONNECTIONS (10) connections, after a 1 s warm-up of each.
//
// Alone: node tests/bench/server.mjs. From the main bench: `const r = await benchServer(); formatServerBench(r)`.

import autocannon from 'autocannon';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const b64u = (bytes) => randomBytes(bytes).toString('base64url');
/** The median of the defined values, or undefined when there is none. */
export const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A loopback port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts `src/server/main.ts` in its own process; resolves once /v1/health answers. */
async function startServerProcess(args) {
  const port = await freePort();
  const logs = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--port', String(port), ...args], {
    cwd: ROOT,
    stdio: ['ignore', logs, 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${url}/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the server did not answer within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function request(url, init) {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${new URL(url).pathname.split('/').slice(0, 4).join('/')}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A vault with `records` sealed-size records; returns its id, token and latest seq. */
async function seedVault(url, records) {
  const vault = { id: b64u(32), token: b64u(32) };
  const json = { 'content-type': 'application/json' };
  await request(`${url}/v1/vaults/${vault.id}`, { method: 'PUT', headers: json, body: JSON.stringify({ token: vault.token, key: b64u(60) }) });
  let latest = 0;
  for (let done = 0; done < records; done += 500) {
    const changes = Array.from({ length: Math.min(500, records - done) }, () => ({ id: b64u(16), baseSeq: 0, blob: b64u(1024) }));
    const res = await request(`${url}/v1/vaults/${vault.id}/records`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${vault.token}` },
      body: JSON.stringify({ requestId: randomUUID(), changes }),
    });
    latest = res.latest;
  }
  return { ...vault, latest };
}

/** The pulls read `reader`; each connection pushes to a writer vault of its own (many people syncing at once). */
function workloads(reader, writers) {
  const path = (vault) => `/v1/vaults/${vault.id}/records`;
  const auth = (vault) => ({ authorization: `Bearer ${vault.token}` });
  const blob = b64u(1024);
  let next = 0;
  return {
    'pull, up to date': { method: 'GET', path: `${path(reader)}?since=${reader.latest}`, headers: auth(reader) },
    'pull, 100 records': { method: 'GET', path: `${path(reader)}?since=${reader.latest - 100}&limit=100`, headers: auth(reader) },
    'push, 1 record': {
      method: 'POST',
      path: path(writers[0]),
      setupRequest: (req, context) => {
        context.vault ??= writers[next++ % writers.length];
        return {
          ...req,
          path: path(context.vault),
          headers: { ...req.headers, ...auth(context.vault), 'content-type': 'application/json' },
          body: JSON.stringify({ requestId: randomUUID(), changes: [{ id: b64u(16), baseSeq: 0, blob }] }),
        };
      },
    },
  };
}

async function measure(url, req, seconds, connections) {
  const result = await autocannon({ url, connections, duration: seconds, requests: [req] });
  if (result.errors || result.non2xx || result.timeouts) {
    throw new Error(`${req.method} ${req.path.split('?')[0]}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  return result.requests.total / result.duration;
}

/**
 * The bench measures throughput from one address into ten vaults, far past the write limit and the record
 * quota a real server keeps (120 writes a minute, 10,000 records): both are lifted here.
 */
const UNLIMITED = ['--writes-per-minute', '999999999', '--vault-records', '999999999', '--vault-mb', '999999'];

async function benchStore(args, { runs, seconds, connections, log }) {
  const server = await startServerProcess([...args, ...UNLIMITED]);
  try {
    const reader = await seedVault(server.url, 1000);
    const writers = [];
    for (let i = 0; i < connections; i++) writers.push(await seedVault(server.url, 100));
    const loads = workloads(reader, writers);
    for (const req of Object.values(loads)) await measure(server.url, req, 1, connections);
    const samples = Object.fromEntries(Object.keys(loads).map((name) => [name, []]));
    for (let run = 0; run < runs; run++) {
      for (const [name, req] of Object.entries(loads)) samples[name].push(await measure(server.url, req, seconds, connections));
      log(`run ${run + 1}/${runs}: ${Object.entries(samples).map(([n, xs]) => `${n} ${Math.round(xs.at(-1))}`).join(', ')}`);
    }
    return Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, { median: median(xs), runs: xs.map(Math.round) }]));
  } finally {
    await server.stop();
  }
}

/**
 * Requests per second of the sync server: `{ settings, stores: { sqlite: { [workload]: { median, runs } },
 * postgresql?: ... } }`. PostgreSQL is measured when `pgUrl` is set, in a schema of its own, dropped after.
 */
export async function benchServer({
  runs = Number(process.env.BENCH_SERVER_RUNS ?? 5),
  seconds = Number(process.env.BENCH_SERVER_SECONDS ?? 3),
  connections = Number(process.env.BENCH_SERVER_CONNECTIONS ?? 10),
  pgUrl = process.env.KEYPORT_BENCH_PG_URL || process.env.KEYPORT_TEST_PG_URL || undefined,
  log = (...a) => console.error('[bench server]', ...a),
} = {}) {
  const options = { runs, seconds, connections, log };
  const stores = {};
  const data = mkdtempSync(join(tmpdir(), 'keyport-bench-server-'));
  try {
    log('sqlite (embedded store)');
    stores.sqlite = await benchStore(['--data', data], options);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
  if (pgUrl) {
    const schema = `keyport_bench_${randomBytes(4).toString('hex')}`;
    log('postgresql');
    try {
      stores.postgresql = await benchStore(['--database-url', pgUrl, '--database-schema', schema], options);
    } finally {
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  } else {
    log('postgresql skipped: set KEYPORT_BENCH_PG_URL (or KEYPORT_TEST_PG_URL)');
  }
  return { settings: { runs, seconds, connections, records: 1000, blobBytes: 1024 }, stores };
}

/** The figures as a small table. */
export function formatServerBench({ settings, stores }) {
  const names = Object.keys(Object.values(stores)[0] ?? {});
  const out = [
    `Sync server, requests per second (median of ${settings.runs} runs of ${settings.seconds} s, ${settings.connections} keep-alive connections; ${settings.records} records of ${settings.blobBytes} B in the vault)`,
    `  ${'store'.padEnd(12)}${names.map((n) => n.padStart(20)).join('')}`,
  ];
  for (const [store, figures] of Object.entries(stores)) {
    out.push(`  ${store.padEnd(12)}${names.map((n) => String(Math.round(figures[n].median)).padStart(20)).join('')}`);
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchServer();
  console.log(formatServerBench(result));
}

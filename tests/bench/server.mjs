// Sync server load: throughput with keep-alive clients (autocannon), the highest request rate served with a
// p99 under 100 ms (an open-loop driver, below), and bytes on disk per 10,000 passkeys; for the embedded
// store (SQLite, one server process) and, when a PostgreSQL URL is set (KEYPORT_BENCH_PG_URL, else
// KEYPORT_TEST_PG_URL), PostgreSQL with TWO server processes on one database, clients spread over both
// directly (request by request, round robin; no proxy in between). Each server runs as `npm run server`
// would (its own process, JSON logs at info, here to /dev/null), on a free loopback port; the clients run in
// this process. On a 2-core machine clients, servers and PostgreSQL share the cores.
//
// Workloads, on a vault that holds 1000 sealed records of 1 KiB (a passkey's size):
//   pull, up to date   GET  .../records?since=<latest>   the poll that finds nothing new
//   pull, 100 records  GET  .../records?since=<latest-100>&limit=100
//   push, 1 record     POST .../records  one new record per request (its own requestId), one transaction,
//                      into vaults of 100 records to start, as many people syncing at once would (a vault
//                      per connection in the throughput runs; round robin over 50 vaults in the rate search)
//
// 1. Throughput: requests per second, closed loop (each of BENCH_SERVER_CONNECTIONS (10) connections sends
//    its next request when the last is answered), median of BENCH_SERVER_RUNS (3) runs of
//    BENCH_SERVER_SECONDS (2) s, workloads interleaved, after a 1 s warm-up of each.
// 2. Rate at p99 < 100 ms, for the up-to-date pull and the one-record push: requests are sent open loop, at
//    evenly spaced times whatever the answers do, over a pool of BENCH_SERVER_SOCKETS (64) keep-alive
//    sockets; a request's latency runs from the time it was due to be sent to the end of its answer, so
//    waiting for a socket counts (no coordinated omission). A step offers one rate for BENCH_SERVER_STEP_SECONDS
//    (2) s; it holds when every request is answered 2xx within the step and a 5 s grace and the p99 is under
//    100 ms. The rate is bisected between 0 and 1.5 x that workload's throughput (1.) in BENCH_SERVER_STEPS (4)
//    steps (so to within 1.5/16 of it), after a 1 s warm-up at a quarter of it; the figure is the highest
//    rate that held, median of BENCH_SERVER_RATE_RUNS (3) searches, with the p50 and p99 of the search whose
//    rate is that median. (autocannon's own overallRate is not used: it sends
//    each connection's share of a second back to back at the start of the second.)
// 3. Bytes on disk for 10,000 passkeys: a fresh store, one vault, 10,000 records of 1 KiB pushed 500 a
//    request; the store's growth from the empty vault. SQLite: the files in the data directory (the database,
//    its WAL and shared memory) after a PRAGMA wal_checkpoint(TRUNCATE) from a second connection; PostgreSQL:
//    pg_total_relation_size (heap, TOAST, indexes) of every table in the store's schema. One run: sizes do
//    not jitter as times do.
//
// Alone: node tests/bench/server.mjs. From the main bench: `const r = await benchServer(); formatServerBench(r)`.

import autocannon from 'autocannon';
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

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
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
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

/**
 * A vault with `records` sealed-size records; returns its id, token and latest seq. `address` goes in
 * X-Forwarded-For (the servers run with --trust-proxy): more vaults than one address may create an hour.
 */
async function seedVault(url, records, address = '127.0.0.1') {
  const vault = { id: b64u(32), token: b64u(32) };
  const json = { 'content-type': 'application/json', 'x-forwarded-for': address };
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

const recordsPath = (vault) => `/v1/vaults/${vault.id}/records`;
const auth = (vault) => ({ authorization: `Bearer ${vault.token}` });
/** The body of a push of one new record. */
const pushBody = (blob) => JSON.stringify({ requestId: randomUUID(), changes: [{ id: b64u(16), baseSeq: 0, blob }] });

/** autocannon requests (closed loop): the pulls read `reader`; each connection pushes to a writer vault of its own. */
function workloads(reader, writers) {
  const blob = b64u(1024);
  let next = 0;
  return {
    'pull, up to date': { method: 'GET', path: `${recordsPath(reader)}?since=${reader.latest}`, headers: auth(reader) },
    'pull, 100 records': { method: 'GET', path: `${recordsPath(reader)}?since=${reader.latest - 100}&limit=100`, headers: auth(reader) },
    'push, 1 record': {
      method: 'POST',
      path: recordsPath(writers[0]),
      setupRequest: (req, context) => {
        context.vault ??= writers[next++ % writers.length];
        return {
          ...req,
          path: recordsPath(context.vault),
          headers: { ...req.headers, ...auth(context.vault), 'content-type': 'application/json' },
          body: pushBody(blob),
        };
      },
    },
  };
}

/** Open-loop requests, by sequence number: the same pull; pushes round robin over the writer vaults. */
function openLoopWorkloads(reader, writers) {
  const blob = b64u(1024);
  const pull = { method: 'GET', path: `${recordsPath(reader)}?since=${reader.latest}`, headers: auth(reader) };
  return {
    'pull, up to date': () => pull,
    'push, 1 record': (i) => {
      const vault = writers[i % writers.length];
      return { method: 'POST', path: recordsPath(vault), headers: { ...auth(vault), 'content-type': 'application/json' }, body: pushBody(blob) };
    },
  };
}

/** Closed loop: requests per second with `connections` keep-alive connections, spread over `urls`. */
async function measure(urls, req, seconds, connections) {
  const result = await autocannon({ url: urls.length === 1 ? urls[0] : urls, connections, duration: seconds, requests: [req] });
  if (result.errors || result.non2xx || result.timeouts) {
    throw new Error(`${req.method} ${req.path.split('?')[0]}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx answers`);
  }
  return result.requests.total / result.duration;
}

const quantileOf = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/**
 * Open loop: `rate` requests a second for `seconds`, request i due at start + i / rate whatever the answers
 * do, round robin over `urls`, at most `sockets` keep-alive sockets in all (a request waits for a free one).
 * Latency is from the time a request was due to the end of its answer. Unanswered after the step and
 * `graceMs`: counted as failed, and as infinitely slow in the percentiles.
 */
export async function openLoop(urls, make, { rate, seconds, sockets, graceMs = 5000 }) {
  const targets = urls.map((u) => new URL(u));
  const agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: Math.max(1, Math.round(sockets / urls.length)) }));
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies = [];
  let failed = 0;
  const send = (i, due) =>
    new Promise((resolve) => {
      const target = targets[i % targets.length];
      const { method, path, headers, body } = make(i);
      const req = http.request(
        { host: target.hostname, port: target.port, method, path, agent: agents[i % agents.length], headers: body ? { ...headers, 'content-length': Buffer.byteLength(body) } : headers },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode >= 200 && res.statusCode < 300) latencies.push(performance.now() - due);
            else failed++;
            resolve();
          });
          res.on('error', () => (failed++, resolve()));
        },
      );
      req.on('error', () => (failed++, resolve()));
      req.end(body);
    });
  const pending = [];
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
    for (; sent < due; sent++) pending.push(send(sent, start + (sent * 1000) / rate));
    await sleep(1);
  }
  const all = Promise.all(pending);
  let timer;
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  for (const agent of agents) agent.destroy();
  const answered = latencies.length;
  const unanswered = total - answered - failed;
  const sorted = latencies.sort((a, b) => a - b).concat(Array(failed + unanswered).fill(Infinity));
  return { rate, requests: total, failed: failed + unanswered, p50: quantileOf(sorted, 0.5), p99: quantileOf(sorted, 0.99) };
}

/**
 * The highest rate whose step holds (all answered 2xx, p99 under `boundMs`), bisected in [0, ceiling]:
 * `{ rate, p50, p99, steps: [{ rate, p99, failed }] }`; rate 0 when no step held. `atCeiling` when every
 * step held (the figure is then a lower bound).
 */
async function searchRate(urls, make, { ceiling, steps, seconds, sockets, boundMs }) {
  let lo = 0;
  let hi = ceiling;
  let best = { rate: 0, p50: undefined, p99: undefined };
  const tried = [];
  for (let s = 0; s < steps; s++) {
    const rate = Math.max(1, Math.round((lo + hi) / 2));
    const step = await openLoop(urls, make, { rate, seconds, sockets });
    const held = step.failed === 0 && step.p99 < boundMs;
    tried.push({ rate, p99: step.p99, failed: step.failed, held });
    if (held) {
      lo = rate;
      best = step;
    } else hi = rate;
    await sleep(300); // let a backlog drain
  }
  return { rate: best.rate, p50: best.p50, p99: best.p99, atCeiling: tried.every((t) => t.held), steps: tried };
}

/**
 * The bench measures from one address into many vaults, far past the write limit and the record quota a real
 * server keeps (120 writes a minute, 10,000 records): both are lifted here. --trust-proxy lets the seeding
 * create more vaults than one address may in an hour (each from its own X-Forwarded-For); the load itself
 * sends no such header.
 */
const UNLIMITED = ['--writes-per-minute', '999999999', '--vault-records', '999999999', '--vault-mb', '999999', '--trust-proxy'];
/** Vaults the open-loop pushes go to, round robin. */
const RATE_WRITERS = 50;

/** Runs `servers` (one process per argument list) on one store, then the throughput runs and the rate searches. */
async function benchStore(servers, { runs, seconds, connections, rateRuns, steps, stepSeconds, sockets, boundMs, log }) {
  const started = [];
  try {
    // One after the other: the first creates the schema.
    for (const args of servers) started.push(await startServerProcess([...args, ...UNLIMITED]));
    const urls = started.map((s) => s.url);
    const reader = await seedVault(urls[0], 1000);
    const writers = [];
    for (let i = 0; i < Math.max(connections, RATE_WRITERS); i++) writers.push(await seedVault(urls[i % urls.length], 100, `10.0.${i >> 8}.${i & 255}`));
    const loads = workloads(reader, writers.slice(0, connections));
    for (const req of Object.values(loads)) await measure(urls, req, 1, connections);
    const samples = Object.fromEntries(Object.keys(loads).map((name) => [name, []]));
    for (let run = 0; run < runs; run++) {
      for (const [name, req] of Object.entries(loads)) samples[name].push(await measure(urls, req, seconds, connections));
      log(`throughput run ${run + 1}/${runs}: ${Object.entries(samples).map(([n, xs]) => `${n} ${Math.round(xs.at(-1))}`).join(', ')}`);
    }
    const throughput = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, { median: median(xs), runs: xs.map(Math.round) }]));

    const open = openLoopWorkloads(reader, writers);
    const searches = Object.fromEntries(Object.keys(open).map((name) => [name, []]));
    // A warm-up of the driver and of each open-loop workload: a second at a quarter of its throughput.
    for (const [name, make] of Object.entries(open)) await openLoop(urls, make, { rate: Math.round(throughput[name].median / 4), seconds: 1, sockets });
    for (let run = 0; run < rateRuns; run++) {
      for (const [name, make] of Object.entries(open)) {
        const ceiling = Math.round(1.5 * throughput[name].median);
        searches[name].push(await searchRate(urls, make, { ceiling, steps, seconds: stepSeconds, sockets, boundMs }));
      }
      log(`rate search ${run + 1}/${rateRuns}: ${Object.entries(searches).map(([n, xs]) => `${n} ${xs.at(-1).rate}/s (${xs.at(-1).steps.map((t) => `${t.rate}${t.held ? '+' : '-'}`).join(' ')})`).join(', ')}`);
    }
    const rates = Object.fromEntries(
      Object.entries(searches).map(([name, xs]) => {
        const m = median(xs.map((x) => x.rate));
        // The search whose rate is the median (an odd number of runs), else the closest below it.
        const at = xs.filter((x) => x.rate <= m).sort((a, b) => b.rate - a.rate)[0];
        return [name, { rate: m, p50: at.p50, p99: at.p99, atCeiling: xs.some((x) => x.atCeiling), runs: xs.map((x) => x.rate) }];
      }),
    );
    return { instances: started.length, throughput, rates };
  } finally {
    for (const s of started) await s.stop();
  }
}

/** Bytes on disk of a directory's files (the SQLite database, its WAL and shared memory). */
const dirBytes = (dir) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

/** SQLite: growth of the data directory for `passkeys` records in one vault, after checkpoints. */
async function sqliteBytes(passkeys) {
  const { default: Database } = await import('better-sqlite3');
  const data = mkdtempSync(join(tmpdir(), 'keyport-bench-bytes-'));
  const server = await startServerProcess(['--data', data, ...UNLIMITED]);
  try {
    const db = new Database(join(data, 'keyport.sqlite'));
    const settled = () => (db.pragma('wal_checkpoint(TRUNCATE)'), dirBytes(data));
    try {
      await seedVault(server.url, 0);
      const empty = settled();
      await seedVault(server.url, passkeys);
      const full = settled();
      return { empty, full, added: full - empty };
    } finally {
      db.close();
    }
  } finally {
    await server.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

/** PostgreSQL: growth of the schema's tables (pg_total_relation_size: heap, TOAST, indexes) for `passkeys` records. */
async function postgresBytes(pgUrl, passkeys) {
  const schema = `keyport_bench_${randomBytes(4).toString('hex')}`;
  const server = await startServerProcess(['--database-url', pgUrl, '--database-schema', schema, ...UNLIMITED]);
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  const size = async () =>
    Number(
      (
        await admin.query(
          `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
          [schema],
        )
      ).rows[0].bytes,
    );
  try {
    await seedVault(server.url, 0);
    const empty = await size();
    await seedVault(server.url, passkeys);
    const full = await size();
    return { empty, full, added: full - empty };
  } finally {
    await server.stop();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

/**
 * The sync server under load: `{ settings, stores: { sqlite: { instances, throughput: { [workload]: { median,
 * runs } }, rates: { [workload]: { rate, p50, p99, atCeiling, runs } }, bytes: { empty, full, added } },
 * postgresql?: ... } }`. PostgreSQL is measured when `pgUrl` is set, in schemas of its own, dropped after.
 */
export async function benchServer({
  runs = Number(process.env.BENCH_SERVER_RUNS ?? 3),
  seconds = Number(process.env.BENCH_SERVER_SECONDS ?? 2),
  connections = Number(process.env.BENCH_SERVER_CONNECTIONS ?? 10),
  rateRuns = Number(process.env.BENCH_SERVER_RATE_RUNS ?? 3),
  steps = Number(process.env.BENCH_SERVER_STEPS ?? 4),
  stepSeconds = Number(process.env.BENCH_SERVER_STEP_SECONDS ?? 2),
  sockets = Number(process.env.BENCH_SERVER_SOCKETS ?? 64),
  boundMs = 100,
  passkeys = 10_000,
  pgUrl = process.env.KEYPORT_BENCH_PG_URL || process.env.KEYPORT_TEST_PG_URL || undefined,
  log = (...a) => console.error('[bench server]', ...a),
} = {}) {
  const options = { runs, seconds, connections, rateRuns, steps, stepSeconds, sockets, boundMs, log };
  const stores = {};
  const data = mkdtempSync(join(tmpdir(), 'keyport-bench-server-'));
  try {
    log('sqlite (embedded store), one server process');
    stores.sqlite = await benchStore([['--data', data]], options);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
  stores.sqlite.bytes = await sqliteBytes(passkeys);
  log(`sqlite: ${stores.sqlite.bytes.added} bytes for ${passkeys} passkeys`);
  if (pgUrl) {
    const schema = `keyport_bench_${randomBytes(4).toString('hex')}`;
    log('postgresql, two server processes on one database');
    const args = ['--database-url', pgUrl, '--database-schema', schema];
    try {
      stores.postgresql = await benchStore([args, args], options);
    } finally {
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
    stores.postgresql.bytes = await postgresBytes(pgUrl, passkeys);
    log(`postgresql: ${stores.postgresql.bytes.added} bytes for ${passkeys} passkeys`);
  } else {
    log('postgresql skipped: set KEYPORT_BENCH_PG_URL (or KEYPORT_TEST_PG_URL)');
  }
  return { settings: { runs, seconds, connections, rateRuns, steps, stepSeconds, sockets, boundMs, passkeys, records: 1000, blobBytes: 1024 }, stores };
}

const ms = (x) => (x === undefined ? '-' : x === Infinity ? 'inf' : x.toFixed(1));
const storeLabel = (store, figures) => `${store}${figures.instances > 1 ? ` x${figures.instances}` : ''}`;

/** The figures as small tables. */
export function formatServerBench({ settings: s, stores }) {
  const names = Object.keys(Object.values(stores)[0]?.throughput ?? {});
  const out = [
    `Sync server, requests per second, closed loop (median of ${s.runs} runs of ${s.seconds} s, ${s.connections} keep-alive connections; ${s.records} records of ${s.blobBytes} B in the vault)`,
    `  ${'store'.padEnd(16)}${names.map((n) => n.padStart(20)).join('')}`,
  ];
  for (const [store, figures] of Object.entries(stores)) {
    out.push(`  ${storeLabel(store, figures).padEnd(16)}${names.map((n) => String(Math.round(figures.throughput[n].median)).padStart(20)).join('')}`);
  }
  out.push(
    '',
    `Sync server, highest rate with p99 under ${s.boundMs} ms, open loop (${s.sockets} sockets; median of ${s.rateRuns} searches of ${s.steps} steps of ${s.stepSeconds} s;`,
    '  latency from when a request was due; x2 = two server processes on one PostgreSQL, requests round robin over both)',
    `  ${'workload'.padEnd(20)}${'store'.padEnd(16)}${'rate/s'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}   searches`,
  );
  for (const name of Object.keys(Object.values(stores)[0]?.rates ?? {})) {
    for (const [store, figures] of Object.entries(stores)) {
      const r = figures.rates[name];
      out.push(`  ${name.padEnd(20)}${storeLabel(store, figures).padEnd(16)}${`${r.atCeiling ? '>=' : ''}${r.rate}`.padStart(9)}${ms(r.p50).padStart(9)}${ms(r.p99).padStart(9)}   ${r.runs.join(', ')}`);
    }
  }
  const stored = Math.ceil((s.blobBytes * 4) / 3); // base64url characters of a sealed record
  out.push('', `Bytes on disk for ${s.passkeys} passkeys (records of ${s.blobBytes} B sealed, kept as ${stored} base64url characters, ${s.passkeys * stored} B in all; one vault; growth from the empty vault)`);
  for (const [store, figures] of Object.entries(stores)) {
    const b = figures.bytes;
    out.push(`  ${store.padEnd(16)}${String(b.added).padStart(12)} B  (${(b.added / s.passkeys).toFixed(0)} B a passkey; store ${b.empty} B empty, ${b.full} B full)`);
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchServer();
  console.log(formatServerBench(result));
}

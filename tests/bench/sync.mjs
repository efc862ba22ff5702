// Sync figures for a 10,000-passkey vault (issue 3): what one change costs on the wire and in time, how long
// a fresh browser takes to restore the whole vault, against the targets "one change moves under 4 KB" and
// "restore of 10,000 under 5 s on this machine". Measured, not asserted.
//
// Set-up, the same for every figure:
// - the sync server (src/server/main.ts, embedded SQLite store) in its own process, as `npm run server` runs
//   it, logging one JSON line per request, which the bench reads (requests per sync, server time);
// - a TCP proxy in this process in front of it, which counts the bytes on the wire both ways (HTTP headers
//   and bodies): every client below talks to the server through it;
// - vault A: Keyport's own vault and sync service (src/vault, src/app/sync.ts) in Node over fake-indexeddb,
//   holding BENCH_SYNC_PASSKEYS (10,000) ES256 passkeys added by one import (64 key pairs from
//   tests/support/foreign.mjs shared among them: the keys are opaque to sync, and every record has its
//   real size), then pushed by `configure({ serverUrl })`: the engine's own pushes of 500 records.
//
// Measured (each figure the median of the runs given):
// 1. Restore of the whole vault on a fresh browser, `restore({ serverUrl, recoveryCode, newPassword })`:
//    - Chromium: the built extension (a copy of .output/chrome-mv3, or `extensionDir`) in a new profile each
//      run, through the automation API, timed in its service worker; BENCH_SYNC_BROWSER_RESTORES (3) runs;
//    - Node: the same sync service over fake-indexeddb (an in-memory IndexedDB in JavaScript, not the
//      browser's: for comparison); BENCH_SYNC_NODE_RESTORES (3) runs.
//    The Node and Chromium runs alternate, so that both see the same load on the machine. The total includes
//    the Argon2id derivation of the new master password (m = 64 MiB, t = 3: deliberate); its share is timed
//    from its own progress callbacks and shown apart, and the target is checked both ways.
// 2. One change in the 10,000-passkey vault, and the sync that carries it:
//    - Node, BENCH_SYNC_CHANGE_RUNS (7) runs of each: a sign-in (the vault's `touch`: last use, the record
//      rewritten with its timestamp kept) and a delete (a tombstone) in A, then `syncNow()` in A (the
//      sender: a pull that finds nothing, one push) and in B, a vault restored from the server (the
//      receiver: a pull of one record);
//    - Chromium, in the last restored browser, BENCH_SYNC_BROWSER_CHANGES (3) runs of each: a real sign-in
//      on a relying party page (tests/support/rp.mjs), after which the extension syncs by itself (the
//      last-use write waits 1 s, the scheduler's debounce 2 s; the figure is that sync, from syncStatus),
//      and a delete (`removeCredential`, then `syncNow()`).
//    Bytes: the sync summary's (JSON characters of the requests and answers) and the wire's (the proxy).
//    The target is checked against the wire bytes up + down.
//
// Alone: node tests/bench/sync.mjs (needs the Chromium build; BENCH_SYNC_BROWSER=0 for Node only).
// From the main bench: `formatSyncBench(await benchSync({ extensionDir }))`.

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHROME_BUILD, launchChromium } from '../support/browsers.mjs';
import { makeForeignPasskey } from '../support/foreign.mjs';
import { startRelyingParty } from '../support/rp.mjs';
import { freePort, median } from './server.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHANGE_TARGET_BYTES = 4096;
const RESTORE_TARGET_MS = 5000;
const KEY_POOL = 64;
/** Passkeys of the relying party's site (localhost) among the 10,000, for the browser's sign-ins. */
const SIGN_IN_PASSKEYS = 4;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the server, and the proxy that counts its bytes ----

/** `src/server/main.ts` in its own process; its request log lines are collected in `requests`. */
async function startSyncServer(data) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', '--port', String(port), '--data', data, '--log-level', 'info'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const requests = [];
  let pending = '';
  child.stdout.on('data', (chunk) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) {
      try {
        const x = JSON.parse(line);
        if (x.msg === 'request') requests.push({ method: x.method, route: x.route, status: x.status, ms: x.ms });
      } catch {
        // not a log line
      }
    }
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
    if (child.exitCode !== null) throw new Error(`the sync server exited (${child.exitCode}): ${stderr}`);
    if (await fetch(`${url}/v1/health`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the sync server did not answer within 30 s: ${stderr}`);
    }
  }
  return {
    port,
    requests,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A TCP proxy on a free loopback port in front of `port`, counting bytes: up (client to server) and down. */
async function startCountingProxy(port) {
  const counts = { up: 0, down: 0 };
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = createConnection(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => (counts.up += d.length));
    upstream.on('data', (d) => (counts.down += d.length));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  return {
    url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`,
    counts,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * What passed between `start()` and `stop()`: wire bytes (proxy) and the server's request lines. The server
 * writes its line once the answer is sent, so `stop()` waits for the lines to stop arriving.
 */
function wireMeter(proxy, server) {
  let up = 0;
  let down = 0;
  let first = 0;
  return {
    start() {
      up = proxy.counts.up;
      down = proxy.counts.down;
      first = server.requests.length;
    },
    async stop() {
      for (let seen = -1; seen !== server.requests.length; ) {
        seen = server.requests.length;
        await sleep(30);
      }
      const requests = server.requests.slice(first);
      return {
        up: proxy.counts.up - up,
        down: proxy.counts.down - down,
        requests: requests.length,
        serverMs: requests.reduce((a, r) => a + r.ms, 0),
        failed: requests.filter((r) => r.status >= 400).length,
        routes: requests.map((r) => `${r.method} ${r.route.replace('/v1/vaults/:vaultId', '')} ${r.status}`),
      };
    },
  };
}

// ---- Keyport in Node ----

async function loadKeyport() {
  // tsx's loader, so that src/ loads as it is, as one module graph (and fake-indexeddb for its IndexedDB).
  const { register } = await import('tsx/esm/api');
  register();
  await import('fake-indexeddb/auto');
  const { IDBFactory } = await import('fake-indexeddb');
  const [{ createVault }, { argon2id }, { idbVaultStorage }, { createSyncService }] = await Promise.all([
    import('../../src/vault/vault.ts'),
    import('../../src/vault/keys.ts'),
    import('../../src/adapters/idb.ts'),
    import('../../src/app/sync.ts'),
  ]);
  let n = 0;
  const memorySession = () => {
    let value;
    return { get: async () => value?.slice(), set: async (k) => void (value = k.slice()), clear: async () => void (value = undefined) };
  };
  const memoryStore = () => {
    const m = new Map();
    return { get: async (k) => m.get(k), set: async (k, v) => void m.set(k, v), remove: async (k) => void m.delete(k) };
  };
  const timer = { now: Date.now, setTimeout: (/** @type {() => void} */ f, /** @type {number} */ ms) => setTimeout(f, ms), clearTimeout: (h) => clearTimeout(h) };
  /**
   * One browser: a vault and its sync service. touchDelayMs 0: a sign-in is written at once. Each vault has an
   * IndexedDB of its own (a fresh in-memory factory, bound by opening the database here), so that what a
   * finished run stored is freed with it and does not slow the next ones.
   */
  return async function nodeBrowser() {
    globalThis.indexedDB = new IDBFactory();
    const vault = createVault({ storage: idbVaultStorage(`keyport-bench-${n++}`), session: memorySession(), kdf: argon2id, now: Date.now, touchDelayMs: 0 });
    await vault.isSetUp();
    const sync = createSyncService({ vault, store: memoryStore(), timer, now: Date.now });
    return {
      vault,
      sync,
      /** The sync a restore or configure starts by itself (the scheduler's "unlocked") must end before a measurement. */
      async idle() {
        for (;;) {
          const st = await sync.status();
          if (st.state !== 'syncing') return st;
          await sleep(5);
        }
      },
      async close() {
        sync.locked();
        if (vault.isUnlocked()) await vault.lock();
      },
    };
  };
}

const random = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n));

/**
 * The passkeys of the vault: `count` records of the size a real passkey has (ES256, PRF secret, user names).
 * @returns {Promise<import('../../src/formats/types.ts').PortablePasskey[]>}
 */
async function makePasskeys(count, rpOrigin) {
  const pool = [];
  for (let i = 0; i < KEY_POOL; i++) pool.push(await makeForeignPasskey({ alg: 'ES256', rpId: 'bench.example', userName: `pool${i}` }));
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const k = pool[i % KEY_POOL];
    const signIn = i < SIGN_IN_PASSKEYS;
    return {
      credentialId: random(16),
      rpId: signIn ? new URL(rpOrigin).hostname : `site${i % 1000}.example.com`,
      userHandle: random(32),
      userName: signIn ? `bench-sync-${i}` : `person${i}@mail.example.com`,
      userDisplayName: signIn ? `bench-sync-${i}` : `Person ${i}`,
      pkcs8: k.pkcs8,
      alg: -7,
      publicKeyCose: k.cosePublicKey,
      prfSecret: random(32),
      createdAt: now - (count - i) * 60_000,
      lastUsedAt: now - (count - i) * 30_000,
      signCount: 0,
    };
  });
}

// ---- Chromium ----

/** In the service worker: restore, timed there; the Argon2id share from its progress callbacks. */
const restoreInWorker = async ({ serverUrl, recoveryCode, newPassword }) => {
  /** @type {{ t: number, f: number }} */
  let kdfFirst;
  /** @type {{ t: number, f: number }} */
  let kdfLast;
  const t0 = performance.now();
  const summary = await passkeyVault.restore({
    serverUrl,
    recoveryCode,
    newPassword,
    onProgress: (f) => {
      const t = performance.now();
      kdfFirst ??= { t, f };
      kdfLast = { t, f };
    },
  });
  const totalMs = performance.now() - t0;
  const status = await passkeyVault.status();
  // Progress is reported from the first 0.01 % of the blocks on: scale the span to the whole derivation.
  const kdfMs = kdfLast && kdfLast.f > kdfFirst.f ? ((kdfLast.t - kdfFirst.t) / (kdfLast.f - kdfFirst.f)) * kdfLast.f : undefined;
  return { totalMs, kdfMs, summary, passkeys: status.passkeys, damaged: status.damaged };
};

const deleteInWorker = async (id) => {
  if (!(await passkeyVault.removeCredential(id))) throw new Error(`no passkey ${id}`);
  const t0 = performance.now();
  const summary = await passkeyVault.syncNow();
  return { wallMs: performance.now() - t0, summary };
};

async function browserIdle(b) {
  for (;;) {
    const st = await b.evalBackground(() => passkeyVault.syncStatus());
    if (st.state !== 'syncing') return st;
    await sleep(20);
  }
}

// ---- the runs ----

function restoreFigures(samples) {
  const pick = (f) => median(samples.map(f));
  return {
    runs: samples.length,
    totalMs: pick((s) => s.totalMs),
    kdfMs: pick((s) => s.kdfMs),
    withoutKdfMs: pick((s) => (s.kdfMs === undefined ? undefined : s.totalMs - s.kdfMs)),
    syncMs: pick((s) => s.summary.durationMs),
    pulled: pick((s) => s.summary.pulled),
    summaryDown: pick((s) => s.summary.bytesDown),
    wireDown: pick((s) => s.wire.down),
    wireUp: pick((s) => s.wire.up),
    requests: pick((s) => s.wire.requests),
    serverMs: pick((s) => s.wire.serverMs),
    samples: samples.map((s) => ({ totalMs: Math.round(s.totalMs), kdfMs: s.kdfMs === undefined ? undefined : Math.round(s.kdfMs), syncMs: s.summary.durationMs, routes: s.wire.routes })),
  };
}

function changeFigures(samples) {
  const pick = (f) => median(samples.map(f));
  return {
    runs: samples.length,
    ms: pick((s) => s.ms),
    summaryUp: pick((s) => s.summary.bytesUp),
    summaryDown: pick((s) => s.summary.bytesDown),
    wireUp: pick((s) => s.wire.up),
    wireDown: pick((s) => s.wire.down),
    wireTotal: pick((s) => s.wire.up + s.wire.down),
    requests: pick((s) => s.wire.requests),
    pushed: pick((s) => s.summary.pushed),
    pulled: pick((s) => s.summary.pulled),
    samples: samples.map((s) => ({ ms: Math.round(s.ms * 10) / 10, wire: s.wire.up + s.wire.down, routes: s.wire.routes })),
  };
}

/**
 * `{ settings, seed, restore: { chromium?, node }, change: { [case]: figures } }`; every time in ms, every
 * size in bytes. `extensionDir`: the Chromium build to load (copied first; default .output/chrome-mv3).
 */
export async function benchSync({
  extensionDir = CHROME_BUILD,
  passkeys = Number(process.env.BENCH_SYNC_PASSKEYS ?? 10_000),
  browser = process.env.BENCH_SYNC_BROWSER !== '0',
  browserRestores = Number(process.env.BENCH_SYNC_BROWSER_RESTORES ?? 3),
  browserChanges = Number(process.env.BENCH_SYNC_BROWSER_CHANGES ?? 3),
  nodeRestores = Number(process.env.BENCH_SYNC_NODE_RESTORES ?? 3),
  changeRuns = Number(process.env.BENCH_SYNC_CHANGE_RUNS ?? 7),
  log = (...a) => console.error('[bench sync]', ...a),
} = {}) {
  const started = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), 'keyport-bench-sync-'));
  // The build is copied before anything else, so a rebuild of .output meanwhile does not change what is measured.
  const extension = join(tmp, 'chrome-mv3');
  if (browser) cpSync(extensionDir, extension, { recursive: true });
  const cleanups = [];
  const result = {
    settings: { passkeys, browserRestores: browser ? browserRestores : 0, browserChanges: browser ? browserChanges : 0, nodeRestores, changeRuns },
    targets: { changeBytes: CHANGE_TARGET_BYTES, restoreMs: RESTORE_TARGET_MS },
    seed: {},
    restore: {},
    change: {},
  };
  try {
    const server = await startSyncServer(join(tmp, 'server'));
    cleanups.push(() => server.stop());
    const proxy = await startCountingProxy(server.port);
    cleanups.push(() => proxy.close());
    const meter = wireMeter(proxy, server);
    const rp = await startRelyingParty();
    cleanups.push(() => rp.close());
    const nodeBrowser = await loadKeyport();

    // ---- vault A: 10,000 passkeys, pushed ----
    log(`vault A: ${passkeys} passkeys in Node, pushed to the server`);
    const items = await makePasskeys(passkeys, rp.origin);
    const a = await nodeBrowser();
    cleanups.push(() => a.close());
    const { recoveryCode } = await a.vault.setup('bench password A');
    let t0 = performance.now();
    await a.vault.importPasskeys(a.vault.planImport(items), { backedUp: false });
    result.seed.importMs = performance.now() - t0;
    if (a.vault.all().length !== passkeys) throw new Error(`vault A holds ${a.vault.all().length} passkeys, not ${passkeys}`);
    meter.start();
    t0 = performance.now();
    const pushed = await a.sync.configure({ serverUrl: proxy.url });
    result.seed.pushMs = performance.now() - t0;
    result.seed.push = { pushed: pushed.pushed, bytesUp: pushed.bytesUp, wire: await meter.stop() };
    if (pushed.pushed !== passkeys) throw new Error(`the first sync pushed ${pushed.pushed} records, not ${passkeys}`);
    await a.idle();
    log(`imported in ${Math.round(result.seed.importMs)} ms, pushed in ${Math.round(result.seed.pushMs)} ms (${result.seed.push.wire.requests} requests)`);

    // ---- restore: Node and Chromium runs interleaved, so that both see the same load on the machine ----
    async function restoreInNode() {
      const fresh = await nodeBrowser();
      cleanups.push(() => fresh.close());
      /** @type {{ t: number, f: number }} */
      let kdfFirst;
      /** @type {{ t: number, f: number }} */
      let kdfLast;
      meter.start();
      const t = performance.now();
      const summary = await fresh.sync.restore({
        serverUrl: proxy.url,
        recoveryCode,
        newPassword: 'bench password B',
        onProgress: (f) => {
          const now = performance.now();
          kdfFirst ??= { t: now, f };
          kdfLast = { t: now, f };
        },
      });
      const totalMs = performance.now() - t;
      await fresh.idle(); // the sync that restore starts after its own (the scheduler's "unlocked") is part of its traffic
      const wire = await meter.stop();
      // Progress is reported from the first 0.01 % of the blocks on: the span scaled to the whole derivation.
      const kdfMs = ((kdfLast.t - kdfFirst.t) / (kdfLast.f - kdfFirst.f)) * kdfLast.f;
      if (fresh.vault.all().length !== passkeys) throw new Error(`the Node restore holds ${fresh.vault.all().length} passkeys, not ${passkeys}`);
      return { fresh, sample: { totalMs, kdfMs, summary, wire } };
    }

    async function restoreInChromium() {
      const c = await launchChromium({ extensions: [extension] });
      const close = () => c.close().catch(() => {});
      cleanups.push(close);
      result.chromium ??= await c.evalBackground(async () => (await /** @type {any} */ (navigator).userAgentData.getHighEntropyValues(['fullVersionList'])).fullVersionList.find((b) => b.brand === 'Chromium')?.version);
      meter.start();
      const r = await c.evalBackground(restoreInWorker, { serverUrl: proxy.url, recoveryCode, newPassword: 'bench password C' });
      await browserIdle(c); // as above
      const wire = await meter.stop();
      if (r.passkeys !== passkeys || r.damaged) throw new Error(`the Chromium restore holds ${r.passkeys} passkeys (${r.damaged} damaged), not ${passkeys}`);
      return { c, close, sample: { ...r, wire } };
    }

    const nodeSamples = [];
    const chromiumSamples = [];
    let b; // the last Node restore: the receiving browser below
    let last; // the last Chromium restore: where the browser's changes are made
    for (let run = 0; run < Math.max(nodeRestores, browser ? browserRestores : 0); run++) {
      if (run < nodeRestores) {
        const { fresh, sample } = await restoreInNode();
        nodeSamples.push(sample);
        log(`Node restore ${run + 1}/${nodeRestores}: ${Math.round(sample.totalMs)} ms (Argon2id ${Math.round(sample.kdfMs)} ms, sync ${sample.summary.durationMs} ms)`);
        if (b) await b.close();
        b = fresh;
      }
      if (browser && run < browserRestores) {
        const { c, close, sample } = await restoreInChromium();
        chromiumSamples.push(sample);
        log(`Chromium restore ${run + 1}/${browserRestores}: ${Math.round(sample.totalMs)} ms (Argon2id ${Math.round(sample.kdfMs)} ms, sync ${sample.summary.durationMs} ms)`);
        if (last) await last.close();
        last = { c, close };
      }
    }
    result.restore.node = restoreFigures(nodeSamples);

    // ---- one change in Chromium ----
    if (browser) {
      result.restore.chromium = restoreFigures(chromiumSamples);
      const c = last.c;
      await c.evalBackground(() => passkeyVault.configure({ autoApprove: true, userVerified: true }));
      const signIns = [];
      const deletes = [];
      const signIn = items.slice(0, SIGN_IN_PASSKEYS);
      for (const p of signIn) rp.seedCredential({ userName: p.userName, userId: p.userHandle, credentialId: Buffer.from(p.credentialId).toString('base64url'), publicKey: p.publicKeyCose });
      const page = await c.newPage();
      await page.goto(`${rp.origin}/`);
      for (let run = 0; run < browserChanges; run++) {
        // A sign-in; the extension writes the last use after 1 s and syncs 2 s after that, by itself.
        await browserIdle(c);
        const before = (await c.evalBackground(() => passkeyVault.syncStatus())).lastSync?.at ?? 0;
        meter.start();
        const login = await page.evaluate((u) => window.rp.login(u), signIn[run % signIn.length].userName);
        if (!login.verified) throw new Error(`the relying party did not verify the sign-in: ${JSON.stringify(login)}`);
        let st;
        for (const deadline = Date.now() + 15_000; ; await sleep(50)) {
          st = await c.evalBackground(() => passkeyVault.syncStatus());
          if ((st.lastSync?.at ?? 0) > before && st.state !== 'syncing') break;
          if (Date.now() > deadline) throw new Error(`no sync within 15 s of a sign-in: ${JSON.stringify(st)}`);
        }
        const wire = await meter.stop();
        if (st.lastSync.summary.pushed !== 1) throw new Error(`the sync after a sign-in pushed ${st.lastSync.summary.pushed} records`);
        signIns.push({ ms: st.lastSync.summary.durationMs, summary: st.lastSync.summary, wire });

        // A delete, then syncNow.
        await browserIdle(c);
        const victim = Buffer.from(items[SIGN_IN_PASSKEYS + run].credentialId).toString('base64url');
        meter.start();
        const d = await c.evalBackground(deleteInWorker, victim);
        deletes.push({ ms: d.wallMs, summary: d.summary, wire: await meter.stop() });
      }
      await page.close();
      result.change['Chromium: sign-in, automatic sync'] = changeFigures(signIns);
      result.change['Chromium: delete, syncNow'] = changeFigures(deletes);
      log(`Chromium: ${browserChanges} sign-ins and ${browserChanges} deletes synced`);
      await last.close();
    }

    // ---- one change in Node: A sends, B receives ----
    // A and B catch up with what the browser changed, so that A changes only records the server has as A does.
    await a.sync.syncNow();
    await b.sync.syncNow();
    const cases = { signIn: { sender: [], receiver: [] }, delete: { sender: [], receiver: [] } };
    const live = a.vault.all().filter((m) => !m.userName.startsWith('bench-sync-'));
    for (let run = 0; run < changeRuns; run++) {
      for (const kind of ['signIn', 'delete']) {
        const target = live[(run * 2 + (kind === 'delete' ? 1 : 0)) % live.length].credentialId;
        const written = new Promise((resolve) => {
          const off = a.vault.onChange(() => {
            off();
            resolve();
          });
        });
        if (kind === 'signIn') a.vault.store.touch(target, Date.now());
        else await a.vault.remove(target);
        await written;
        await a.idle();
        meter.start();
        t0 = performance.now();
        const sent = await a.sync.syncNow();
        const sendMs = performance.now() - t0;
        cases[kind].sender.push({ ms: sendMs, summary: sent, wire: await meter.stop() });
        if (sent.pushed !== 1) throw new Error(`a ${kind} pushed ${sent.pushed} records`);
        await b.idle();
        meter.start();
        t0 = performance.now();
        const received = await b.sync.syncNow();
        const receiveMs = performance.now() - t0;
        cases[kind].receiver.push({ ms: receiveMs, summary: received, wire: await meter.stop() });
        if (received.pulled !== 1) throw new Error(`the receiver pulled ${received.pulled} records after a ${kind}`);
      }
    }
    result.change['Node: sign-in, sender'] = changeFigures(cases.signIn.sender);
    result.change['Node: sign-in, receiver'] = changeFigures(cases.signIn.receiver);
    result.change['Node: delete, sender'] = changeFigures(cases.delete.sender);
    result.change['Node: delete, receiver'] = changeFigures(cases.delete.receiver);
    log(`Node: ${changeRuns} sign-ins and ${changeRuns} deletes sent and received`);
    const failed = server.requests.filter((r) => r.status >= 400);
    if (failed.length) throw new Error(`the server answered ${failed.length} requests with an error: ${JSON.stringify(failed.slice(0, 3))}`);
  } finally {
    for (const f of cleanups.reverse()) await f().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
  result.runtimeSeconds = (performance.now() - started) / 1000;
  return result;
}

// ---- report ----

const n0 = (x) => (x === undefined ? '-' : String(Math.round(x)));
const n1 = (x) => (x === undefined ? '-' : x.toFixed(1));
/** figure / target, and whether the figure is under the target. */
const versus = (x, target) => (x === undefined ? '-' : `${(x / target).toFixed(2)}x ${x < target ? 'met' : 'MISSED'}`);

/** The figures as a compact table: medians, the targets, figure / target. */
export function formatSyncBench(r) {
  const { settings: s, targets: t } = r;
  const count = s.passkeys.toLocaleString('en');
  const out = [
    `Sync, a ${count}-passkey vault${r.chromium ? ` (Chromium ${r.chromium})` : ''}: the sync server with its embedded SQLite store in its own process;`,
    '  wire = bytes through a counting TCP proxy in front of it, HTTP headers included; medians of the runs',
    `  Restore of ${count} passkeys on a fresh vault, ms; target under ${t.restoreMs} ms`,
    `  ${'where'.padEnd(23)}${'runs'.padStart(5)}${'total'.padStart(7)}${'Argon2id'.padStart(10)}${'w/o KDF'.padStart(9)}${'of it sync'.padStart(12)}${'server'.padStart(8)}${'wire down'.padStart(11)}${'reqs'.padStart(6)}${'total/target'.padStart(15)}${'w/o KDF/target'.padStart(16)}`,
  ];
  for (const [key, label] of [['chromium', 'Chromium (extension)'], ['node', 'Node (fake-indexeddb)']]) {
    const x = r.restore[key];
    if (!x) continue;
    out.push(`  ${label.padEnd(23)}${String(x.runs).padStart(5)}${n0(x.totalMs).padStart(7)}${n0(x.kdfMs).padStart(10)}${n0(x.withoutKdfMs).padStart(9)}${n0(x.syncMs).padStart(12)}${n0(x.serverMs).padStart(8)}${n0(x.wireDown).padStart(11)}${n0(x.requests).padStart(6)}${versus(x.totalMs, t.restoreMs).padStart(15)}${versus(x.withoutKdfMs, t.restoreMs).padStart(16)}`);
  }
  out.push('  (Argon2id: deriving the key of the new master password, m = 64 MiB, t = 3, deliberate, timed from its progress callbacks;');
  out.push('   of it sync: pulling, opening and storing the records, from the sync summary; server: the server\'s own time for the requests)');
  out.push(`  One change in the ${count}-passkey vault, and the sync that carries it; target under ${t.changeBytes} B on the wire (up + down)`);
  out.push(`  ${'change, side'.padEnd(34)}${'runs'.padStart(5)}${'sync ms'.padStart(9)}${'JSON up/down'.padStart(14)}${'wire up/down'.padStart(14)}${'wire total'.padStart(12)}${'reqs'.padStart(6)}${'total/target'.padStart(15)}`);
  for (const [label, x] of Object.entries(r.change)) {
    out.push(`  ${label.padEnd(34)}${String(x.runs).padStart(5)}${n1(x.ms).padStart(9)}${`${n0(x.summaryUp)}/${n0(x.summaryDown)}`.padStart(14)}${`${n0(x.wireUp)}/${n0(x.wireDown)}`.padStart(14)}${n0(x.wireTotal).padStart(12)}${n0(x.requests).padStart(6)}${versus(x.wireTotal, t.changeBytes).padStart(15)}`);
  }
  out.push('  (sender: a pull that finds nothing, then a push of the record; receiver: a pull of the record. JSON: the sync summary\'s bytesUp/bytesDown.');
  out.push('   sync ms: the syncNow() call; for the Chromium sign-in, the duration in the summary of the sync the extension started by itself)');
  const sd = r.seed;
  if (sd.push) {
    out.push(`  Set-up, for information: ${count} passkeys imported into a Node vault in ${n0(sd.importMs)} ms; its first push ${n0(sd.pushMs)} ms, ${sd.push.wire.requests} requests, ${(sd.push.wire.up / 1e6).toFixed(1)} MB up`);
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchSync();
  console.log(formatSyncBench(result));
  console.log(`Run time ${result.runtimeSeconds.toFixed(0)} s.`);
}

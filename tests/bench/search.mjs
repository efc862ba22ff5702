// The popup's passkey search at 10,000 passkeys (issue item 2: "instant at 10,000 passkeys"; target: under
// 50 ms per keystroke). Measured, not asserted; each figure the median of the runs given.
//
// 1. Node: src/ui/passkeyFilter.ts as the popup uses it: indexPasskeys once (sort and lower-case, when the
//    list arrives), then filterPasskeys at each keystroke of queries typed letter by letter, and the empty
//    query (every row matches). BENCH_SEARCH_RUNS (15) runs of each.
// 2. Chromium: the built popup (popup.html opened as a page) over a vault of BENCH_SEARCH_PASSKEYS (10,000)
//    passkeys imported as one CXF file (64 key pairs shared among them, like tests/bench/sync.mjs). A keystroke
//    is timed in the page from the input event to the next frame's paint (a requestAnimationFrame, then a
//    task): filter, Svelte's update of the rows drawn (at most 30, "Show more" for the rest), layout and paint.
//    The same queries; BENCH_SEARCH_BROWSER_RUNS (7) runs of each.
//
// Why at most 30 rows: drawing every row that matches took 10.6 s for the cleared query at 10,000 passkeys (and
// 14.6 s before the first rows showed) in this Chromium on the 2-core bench machine, against under 50 ms now.
//
// Alone: node tests/bench/search.mjs (needs the Chromium build; BENCH_SEARCH_BROWSER=0 for Node only).
// From the main bench: `formatSearchBench(await benchSearch({ extensionDir }))`.

import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CHROME_BUILD, launchChromium } from '../support/browsers.mjs';
import { cxfDocument, makeForeignPasskey } from '../support/foreign.mjs';
import { median } from './server.mjs';

const KEY_POOL = 64;
const TARGET_MS = 50;
/** Rows the popup draws before "Show more" (PAGE in src/ui/PasskeyList.svelte). */
const PAGE_ROWS = 30;
/** Typed letter by letter: a prefix of an account name shared by many rows, down to one row; a site; a miss. */
const QUERIES = ['person1234@', 'site7.', 'zzz'];
const keystrokes = () => QUERIES.flatMap((q) => [...q].map((_, i) => q.slice(0, i + 1))).concat(['']);

/** 10,000 rows shaped as the background lists them (PasskeyRow), 1,000 sites of 10 accounts. */
function makeRows(count) {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    credentialId: randomBytes(16).toString('base64url'),
    rpId: `site${i % 1000}.example.com`,
    site: 'example.com',
    userName: `person${i}@mail.example.com`,
    userDisplayName: `Person ${i}`,
    alg: -7,
    discoverable: true,
    createdAt: now - (count - i) * 60_000,
    ...(i % 2 ? { lastUsedAt: now - (count - i) * 30_000 } : {}),
    backedUp: false,
  }));
}

async function benchNode({ passkeys, runs }) {
  const { register } = await import('tsx/esm/api');
  register();
  const { indexPasskeys, filterPasskeys } = await import('../../src/ui/passkeyFilter.ts');
  const rows = makeRows(passkeys);
  const index = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    indexPasskeys(rows);
    index.push(performance.now() - t0);
  }
  const idx = indexPasskeys(rows);
  for (let w = 0; w < 5; w++) for (const q of keystrokes()) filterPasskeys(idx, q, 'a.site7.example.com'); // warm up
  const perKey = Object.fromEntries(keystrokes().map((q) => [q, []]));
  for (let r = 0; r < runs; r++) {
    for (const q of keystrokes()) {
      const t0 = performance.now();
      const { here, others } = filterPasskeys(idx, q, 'a.site7.example.com');
      perKey[q].push(performance.now() - t0);
      if (q === '' && here.length + others.length !== passkeys) throw new Error('the empty query lost rows');
    }
  }
  const all = Object.values(perKey).flat();
  return { indexMs: median(index), perKeystroke: Object.fromEntries(Object.entries(perKey).map(([q, xs]) => [q, median(xs)])), worstMedianMs: Math.max(...Object.values(perKey).map(median)), allMedianMs: median(all) };
}

/** In the popup page: types `q` into the search field as an input event would, and times it to the next paint. */
const timedKeystroke = async (q) => {
  const input = /** @type {HTMLInputElement} */ (document.querySelector('#passkey-search'));
  const t0 = performance.now();
  input.value = q;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  // Svelte updates the DOM in a microtask: done by the time a task runs, before the frame's layout and paint.
  await new Promise((r) => setTimeout(r, 0));
  const script = performance.now() - t0;
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return { ms: performance.now() - t0, script, rows: document.querySelectorAll('li.passkey').length };
};

async function benchBrowser({ extensionDir, passkeys, runs, log }) {
  const pool = [];
  for (let i = 0; i < KEY_POOL; i++) pool.push(await makeForeignPasskey({ rpId: 'bench.example', userName: `pool${i}` }));
  const now = Date.now();
  const items = Array.from({ length: passkeys }, (_, i) => {
    const id = randomBytes(16);
    const handle = randomBytes(32);
    return {
      ...pool[i % KEY_POOL],
      rpId: `site${i % 1000}.example.com`,
      userName: `person${i}@mail.example.com`,
      userDisplayName: `Person ${i}`,
      credentialId: new Uint8Array(id),
      credentialIdB64: id.toString('base64url'),
      userHandle: new Uint8Array(handle),
      userHandleB64: handle.toString('base64url'),
      createdAt: Math.floor((now - (passkeys - i) * 60_000) / 1000) * 1000,
    };
  });
  const b = await launchChromium({ extensions: [extensionDir] });
  try {
    await b.evalBackground(() => passkeyVault.setup({ password: 'bench search password' }));
    let t0 = performance.now();
    await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), cxfDocument(items));
    log(`imported ${passkeys} passkeys in ${Math.round(performance.now() - t0)} ms`);
    const page = await b.openExtensionPage('popup.html');
    t0 = performance.now();
    await page.waitForFunction(() => document.querySelectorAll('li.passkey').length > 0, null, { timeout: 120_000 });
    const openMs = performance.now() - t0;
    const placeholder = await page.$eval('#passkey-search', (e) => e.placeholder);
    if (!placeholder.includes(passkeys.toLocaleString('en'))) throw new Error(`the popup does not list ${passkeys} passkeys: "${placeholder}"`);
    for (let w = 0; w < 2; w++) for (const q of keystrokes()) await page.evaluate(timedKeystroke, q); // warm up
    const perKey = Object.fromEntries(keystrokes().map((q) => [q, []]));
    const scriptPerKey = Object.fromEntries(keystrokes().map((q) => [q, []]));
    const drawn = {};
    for (let r = 0; r < runs; r++) {
      for (const q of keystrokes()) {
        const { ms, script, rows } = await page.evaluate(timedKeystroke, q);
        perKey[q].push(ms);
        scriptPerKey[q].push(script);
        drawn[q] = rows;
      }
    }
    if (drawn['person1234@'] !== 1 || drawn['site7.'] !== 10 || drawn['zzz'] !== 0 || drawn[''] !== PAGE_ROWS) throw new Error(`unexpected rows drawn: ${JSON.stringify(drawn)}`);
    const all = Object.values(perKey).flat();
    return {
      openMs,
      perKeystroke: Object.fromEntries(Object.entries(perKey).map(([q, xs]) => [q, median(xs)])),
      scriptPerKeystroke: Object.fromEntries(Object.entries(scriptPerKey).map(([q, xs]) => [q, median(xs)])),
      scriptWorstMedianMs: Math.max(...Object.values(scriptPerKey).map(median)),
      drawn,
      worstMedianMs: Math.max(...Object.values(perKey).map(median)),
      allMedianMs: median(all),
    };
  } finally {
    await b.close();
  }
}

export async function benchSearch({
  extensionDir = CHROME_BUILD,
  passkeys = Number(process.env.BENCH_SEARCH_PASSKEYS ?? 10_000),
  runs = Number(process.env.BENCH_SEARCH_RUNS ?? 15),
  browserRuns = Number(process.env.BENCH_SEARCH_BROWSER_RUNS ?? 7),
  browser = process.env.BENCH_SEARCH_BROWSER !== '0',
  log = (...a) => console.error('[bench search]', ...a),
} = {}) {
  const result = { settings: { passkeys, runs, browserRuns: browser ? browserRuns : 0, queries: QUERIES }, targetMs: TARGET_MS };
  log(`Node: filterPasskeys over ${passkeys} rows`);
  result.node = await benchNode({ passkeys, runs });
  if (browser) {
    log(`Chromium: the popup over ${passkeys} passkeys`);
    result.chromium = await benchBrowser({ extensionDir, passkeys, runs: browserRuns, log });
  }
  return result;
}

export function formatSearchBench(r) {
  const f = (x) => x.toFixed(2);
  const out = [`Popup search at ${r.settings.passkeys.toLocaleString('en')} passkeys, ms (median; queries typed letter by letter: ${r.settings.queries.map((q) => `"${q}"`).join(', ')}, then cleared)`];
  out.push(`  Node, src/ui/passkeyFilter.ts: index once ${f(r.node.indexMs)}; per keystroke median ${f(r.node.allMedianMs)}, worst keystroke's median ${f(r.node.worstMedianMs)} (${r.settings.runs} runs)`);
  if (r.chromium) {
    const c = r.chromium;
    out.push(`  Chromium popup, input event to next paint: per keystroke median ${f(c.allMedianMs)}, worst keystroke's median ${f(c.worstMedianMs)} (${r.settings.browserRuns} runs)`);
    out.push(`    of which script (filter and Svelte's DOM update), worst keystroke's median ${f(c.scriptWorstMedianMs)}`);
    out.push(`    cleared query (${PAGE_ROWS} rows drawn of ${r.settings.passkeys.toLocaleString('en')}) ${f(c.perKeystroke[''])}; first rows shown ${Math.round(c.openMs)} after the page opened`);
    out.push(`  Target: under ${r.targetMs} ms per keystroke: ${c.worstMedianMs < r.targetMs ? 'met' : 'NOT met'}.`);
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchSearch();
  console.log(formatSearchBench(r));
  console.log(JSON.stringify(r, null, 2));
}

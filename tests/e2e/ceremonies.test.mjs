// Functional end-to-end ceremonies: the same scenarios against Chromium's proxy door, Chromium's shim
// door (tests/support/proxy-holder holds the proxy) and Firefox (always the shim door). Every success is
// verified by the relying party's @simplewebauthn/server; every failure by the exact DOMException name.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/ceremonies.test.mjs
//
// Scenarios share one browser and one vault per target and run in order (later ones use the passkeys
// of earlier ones); each scenario sets the automation settings it needs.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { startRelyingParty, frameUrl } from '../support/rp.mjs';
import { CHROME_BUILD, FIREFOX_BUILD, launchChromium, launchFirefox } from '../support/browsers.mjs';

const PASSWORD = 'correct horse battery staple';
const KEYPORT_AAGUID = '6b702d4b-6579-706f-7274-410d9e135c27';
/** A distinctive RP for the at-rest check (*.localhost is loopback and a secure context in both browsers). */
const ATREST_HOST = 'zq-atrest-rp.localhost';
const ATREST_USER = 'zq-atrest-user-7f3a';
const SCREENSHOTS = resolve('tests/screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const META_FIELDS = ['id', 'rpId', 'userName', 'userDisplayName', 'userHandle', 'alg', 'isResidentCredential', 'backedUp', 'signCount', 'createdAt', 'lastUsedAt'];

// KEYPORT_BUILD_DIR: another build's .output directory; KEYPORT_TARGETS: a comma-separated subset of the names.
const chromeBuild = process.env.KEYPORT_BUILD_DIR ? resolve(process.env.KEYPORT_BUILD_DIR, 'chrome-mv3') : CHROME_BUILD;
const firefoxBuild = process.env.KEYPORT_BUILD_DIR ? resolve(process.env.KEYPORT_BUILD_DIR, 'firefox-mv3') : FIREFOX_BUILD;
const TARGETS = [
  { name: 'chromium-proxy', chromium: true, door: 'proxy', launch: () => launchChromium({ extensions: [chromeBuild] }) },
  {
    name: 'chromium-shim', chromium: true, door: 'shim',
    launch: () => launchChromium({ extensions: [chromeBuild, resolve('tests/support/proxy-holder')] }),
  },
  {
    name: 'firefox', chromium: false, door: 'shim',
    launch: () => launchFirefox({ extension: firefoxBuild, prefs: { 'network.dns.localDomains': ATREST_HOST } }),
  },
];

// ---------------------------------------------------------------------------------------------
// Helpers working with both playwright (Chromium) and puppeteer (Firefox).

/** Runs fn(arg) in Keyport's background (Chromium: its current service worker, which may have restarted). */
const bg = (t, fn, arg) => t.b.evalBackground(fn, arg);

const allPages = (t) => (t.b.context ? t.b.context.pages() : t.b.browser.pages());
/** Open consent windows. Puppeteer (Firefox, BiDi) reports a popup window's URL as about:blank: ask the page. */
async function consentPages(t) {
  const prefix = `${t.b.extensionOrigin}/consent.html`;
  const out = [];
  for (const p of await allPages(t)) {
    if (p.url().startsWith(prefix)) out.push(p);
    else if (!t.chromium && p.url() === 'about:blank') {
      const href = await Promise.race([p.evaluate(() => location.href).catch(() => ''), sleep(500).then(() => '')]);
      if (href.startsWith(prefix)) out.push(p);
    }
  }
  return out;
}

/** The consent window's page, once its Svelte view rendered (selector). */
async function waitForConsent(t, selector = 'main') {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(100)) {
    for (const p of await consentPages(t)) {
      if (await p.evaluate((s) => !!document.querySelector(s), selector).catch(() => false)) return p;
    }
  }
  throw new Error(`no consent window showing ${selector}`);
}

/**
 * Clicks a button that closes its own window (the click may see the page go away), once it is enabled: the
 * window takes no decision in its first 500 ms on screen (input protection, src/ui/inputGuard.ts).
 */
async function clickClosing(w, selector) {
  await until(() => w.evaluate((s) => document.querySelector(s)?.disabled === false, selector), `${selector} to be enabled`);
  await w.click(selector).catch((e) => {
    if (!/closed|detached|Target/i.test(String(e))) throw e;
  });
}

/** Presses a key in a window that the key may close. */
const pressClosing = (w, key) => w.keyboard.press(key).catch((e) => {
  if (!/closed|detached|Target/i.test(String(e))) throw e;
});

async function noConsentLeft(t) {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(100)) {
    if ((await consentPages(t)).length === 0) return;
  }
  assert.fail('a consent window was left open');
}

/** Starts fn(arg) in the page without waiting; settle(page) returns {ok} or {err: {name, message}}. */
const start = (page, fn, arg) =>
  page.evaluate(({ src, arg }) => {
    window.__pending = (0, eval)(`(${src})`)(arg).then((ok) => ({ ok }), (e) => ({ err: { name: e?.name, message: String(e?.message ?? e) } }));
  }, { src: String(fn), arg });
const settle = (page) => page.evaluate(() => window.__pending);
const isPending = (page) => page.evaluate(() => Promise.race([window.__pending.then(() => false), new Promise((r) => setTimeout(() => r(true), 50))]));

/** Runs an rp.* call in the page: {ok: verifyResult} or {err: {name, message}}. */
const call = (page, fn, arg) =>
  page.evaluate(({ src, arg }) => (0, eval)(`(${src})`)(arg).then((ok) => ({ ok }), (e) => ({ err: { name: e?.name, message: String(e?.message ?? e) } })), { src: String(fn), arg });

const verified = (r, what) => {
  assert.ok(r.ok, `${what}: ${JSON.stringify(r.err)}`);
  assert.equal(r.ok.verified, true, `${what}: ${JSON.stringify(r.ok)}`);
  return r.ok;
};

const configure = (t, s) => bg(t, (s) => passkeyVault.configure(s), s);
const status = (t) => bg(t, () => passkeyVault.status());
const credentials = (t) => bg(t, () => passkeyVault.getCredentials());

/** Waits until `cond()` holds. */
async function until(cond, what, timeout = 10_000) {
  for (const deadline = Date.now() + timeout; Date.now() < deadline; await sleep(100)) if (await cond()) return;
  assert.fail(`timed out waiting for ${what}`);
}

/** In the page: a get for `userName`'s credentials (allowCredentials from the RP) that can be aborted. */
function abortableLogin({ userName, timeout }) {
  window.__lastChallenge = undefined;
  return (async () => {
    const res = await fetch('/login/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(userName ? { userName } : {}) });
    const json = await res.json();
    window.__lastChallenge = json.challenge;
    window.__abort = new AbortController();
    return navigator.credentials.get({ publicKey: { ...PublicKeyCredential.parseRequestOptionsFromJSON(json), timeout }, signal: window.__abort.signal });
  })();
}

const decodeClientData = (cred) => JSON.parse(atob(cred.response.clientDataJSON.replace(/-/g, '+').replace(/_/g, '/')));

// ---------------------------------------------------------------------------------------------
// The scenarios. `t` holds the browser (b), the RP (rp), a page on the RP (page) and the target facts.

/** @type {[string, (t: any) => Promise<void>][]} */
const SCENARIOS = [
  ['register, then sign in discoverable and with allowCredentials; metadata only', async (t) => {
    await configure(t, { autoApprove: true, userVerified: true });
    const reg = verified(await call(t.page, () => rp.register('alice', { residentKey: 'required' })), 'register');
    assert.equal(reg.aaguid, KEYPORT_AAGUID);
    assert.equal(reg.userVerified, true);
    assert.equal(reg.origin, t.rp.origin);
    t.alice = reg.credentialId;

    const disc = verified(await call(t.page, () => rp.login()), 'discoverable login');
    assert.deepEqual([disc.userName, disc.credentialId, disc.userVerified], ['alice', reg.credentialId, true]);

    await configure(t, { userVerified: false });
    const allow = verified(await call(t.page, () => rp.login('alice')), 'login with allowCredentials');
    assert.deepEqual([allow.userName, allow.credentialId, allow.userVerified], ['alice', reg.credentialId, false]);
    await configure(t, { userVerified: true });

    const creds = await credentials(t);
    const mine = creds.find((c) => c.id === reg.credentialId);
    assert.ok(mine, JSON.stringify(creds));
    assert.deepEqual([mine.rpId, mine.userName], ['localhost', 'alice']);
    for (const c of creds) {
      const extra = Object.keys(c).filter((k) => !META_FIELDS.includes(k));
      assert.deepEqual(extra, [], `getCredentials() exposes ${extra.join(', ')}`);
    }
  }],

  ['excludeCredentials: the same user again → InvalidStateError', async (t) => {
    const dup = await call(t.page, () => rp.register('alice', { excludeCredentials: true }));
    assert.equal(dup.err?.name, 'InvalidStateError', JSON.stringify(dup));
  }],

  ['wrong rpId (example.com from http://localhost) → SecurityError', async (t) => {
    const r = await t.page.evaluate(async () => {
      const name = (p) => p.then(() => 'resolved', (e) => e.name);
      const challenge = crypto.getRandomValues(new Uint8Array(32));
      return {
        create: await name(navigator.credentials.create({ publicKey: {
          challenge, rp: { id: 'example.com', name: 'x' }, user: { id: new Uint8Array([1, 2, 3]), name: 'u', displayName: 'u' },
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }] } })),
        get: await name(navigator.credentials.get({ publicKey: { challenge, rpId: 'example.com' } })),
      };
    });
    assert.deepEqual(r, { create: 'SecurityError', get: 'SecurityError' });
  }],

  ['cross-origin iframe: with allow it verifies (crossOrigin, topOrigin); without → NotAllowedError', async (t) => {
    const page = await t.b.newPage();
    try {
      await page.goto(frameUrl(t.rp.origin, `${t.rpB.origin}/`));
      const frame = await waitForFrame(page, t.rpB.origin);
      const reg = verified(await call(frame, () => rp.register('framed')), 'register in iframe');
      assert.equal(reg.origin, t.rpB.origin);
      // (with allowCredentials: rpID 'localhost' is shared with t.rp, whose alice would be offered too)
      const login = verified(await call(frame, () => rp.login('framed')), 'login in iframe');
      assert.deepEqual([login.userName, login.credentialId], ['framed', reg.credentialId]);
      // clientData as the page sees it: crossOrigin true and the top origin.
      const cd = await frame.evaluate(async () => {
        const res = await fetch('/login/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"userName":"framed"}' });
        const cred = /** @type {PublicKeyCredential} */ (await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(await res.json()) }));
        return JSON.parse(new TextDecoder().decode(cred.response.clientDataJSON));
      });
      assert.equal(cd.origin, t.rpB.origin);
      assert.equal(cd.crossOrigin, true);
      if (t.door === 'proxy') {
        // The proxy's override carries the origin and sameOriginWithAncestors, not the top origin.
        assert.ok(cd.topOrigin === undefined || cd.topOrigin === t.rp.origin, JSON.stringify(cd));
      } else {
        assert.equal(cd.topOrigin, t.rp.origin);
        assert.equal(login.topOrigin, t.rp.origin);
      }

      await page.goto(frameUrl(t.rp.origin, `${t.rpB.origin}/`, ''));
      const denied = await waitForFrame(page, t.rpB.origin);
      const r1 = await call(denied, () => rp.register('framed2'));
      assert.equal(r1.err?.name, 'NotAllowedError', JSON.stringify(r1));
      const r2 = await call(denied, () => rp.login('framed'));
      assert.equal(r2.err?.name, 'NotAllowedError', JSON.stringify(r2));
    } finally {
      await page.close();
    }
  }],

  ['abort while the consent window waits → AbortError, window closed', async (t) => {
    await configure(t, { autoApprove: false });
    try {
      await start(t.page, abortableLogin, { userName: 'alice' });
      await waitForConsent(t, '#approve');
      await t.page.evaluate(() => window.__abort.abort());
      const r = await settle(t.page);
      assert.equal(r.err?.name, 'AbortError', JSON.stringify(r));
      await noConsentLeft(t);
    } finally {
      await configure(t, { autoApprove: true });
    }
  }],

  ['fallback to the browser\'s own WebAuthn: no Keyport credential, and the #fallback button', async (t) => {
    // bob exists at the RP with a credential that Keyport no longer holds.
    const bob = verified(await call(t.page, () => rp.register('bob')), 'register bob');
    assert.equal(await bg(t, (id) => passkeyVault.removeCredential(id), bob.credentialId), true);

    // How we see that the request reached the browser's own WebAuthn (none of these browsers has an
    // authenticator, so its own client just waits, and Keyport never answers such a request itself):
    //  - Chromium shim door: the browser's own client forwards it to the proxy holder, which records it;
    //  - Chromium proxy door: Keyport detached the proxy for it (status().door is 'shim' meanwhile)
    //    and attaches again once it ends;
    //  - Firefox: the request is still pending although Keyport (autoApprove on) answers within
    //    milliseconds, and no consent window is open.
    // The request is then aborted (AbortError), which is quicker than the browser's timeout.
    const reachedBrowser = async (challengeFrom) => {
      if (t.name === 'chromium-shim') {
        await until(async () => {
          const challenge = await challengeFrom(); // (set once the page has the RP's options)
          return !!challenge && (await holderSeen(t)).some((s) => s.kind === 'get' && s.options.challenge === challenge);
        }, 'the proxy holder to see the request');
      } else if (t.door === 'proxy') {
        await until(async () => (await status(t)).door === 'shim', 'Keyport to detach the proxy');
      } else {
        await sleep(1500);
        assert.equal((await consentPages(t)).length, 0);
      }
      if (!(await isPending(t.page))) assert.fail(`the browser's own WebAuthn is not waiting: ${JSON.stringify(await settle(t.page))}`);
      await t.page.evaluate(() => window.__abort.abort());
      const r = await settle(t.page);
      assert.equal(r.err?.name, 'AbortError', JSON.stringify(r));
      if (t.door === 'proxy') await until(async () => (await status(t)).door === 'proxy', 'Keyport to attach the proxy again');
    };

    await configure(t, { autoApprove: true });
    await start(t.page, abortableLogin, { userName: 'bob', timeout: 60_000 });
    await reachedBrowser(() => t.page.evaluate(() => window.__lastChallenge));

    await configure(t, { autoApprove: false });
    try {
      await start(t.page, abortableLogin, { userName: 'alice', timeout: 60_000 });
      const w = await waitForConsent(t, '#fallback');
      await clickClosing(w, '#fallback');
      await reachedBrowser(() => t.page.evaluate(() => window.__lastChallenge));
      await noConsentLeft(t);
    } finally {
      await configure(t, { autoApprove: true });
    }
  }],

  ['locked: the consent window unlocks (wrong password first), then the ceremony completes', async (t) => {
    await configure(t, { autoApprove: true });
    await bg(t, () => passkeyVault.lock());
    assert.equal((await status(t)).unlocked, false);
    await start(t.page, () => rp.login('alice'));
    const w = await waitForConsent(t, '#password');
    await w.screenshot({ path: `${SCREENSHOTS}/consent-locked-${t.name}.png` });

    await w.type('#password', 'not the password');
    await w.click('button[type=submit]');
    await until(() => w.evaluate(() => !!document.querySelector('[role=alert]')?.textContent), 'the error message', 15_000);
    assert.equal(await isPending(t.page), true, 'nothing completes with a wrong password');
    assert.equal((await status(t)).unlocked, false);

    await w.type('#password', PASSWORD);
    await w.click('button[type=submit]');
    const r = await settle(t.page);
    verified(r, 'login after unlocking in the window');
    assert.equal(r.ok.credentialId, t.alice);
    await noConsentLeft(t);
  }],

  ['consent window driven by the UI: approve creates and signs in; cancel → NotAllowedError', async (t) => {
    await configure(t, { autoApprove: false });
    try {
      await start(t.page, () => rp.register('carol'));
      let w = await waitForConsent(t, '#approve');
      await w.screenshot({ path: `${SCREENSHOTS}/consent-create-${t.name}.png` });
      await clickClosing(w, '#approve');
      const reg = verified(await settle(t.page), 'register via the window');
      await noConsentLeft(t);

      await start(t.page, () => rp.login());
      w = await waitForConsent(t, `input[name=account][value="${reg.credentialId}"]`);
      await w.screenshot({ path: `${SCREENSHOTS}/consent-get-${t.name}.png` });
      await w.click(`input[name=account][value="${reg.credentialId}"]`);
      await clickClosing(w, '#approve');
      const login = verified(await settle(t.page), 'login via the window');
      assert.deepEqual([login.userName, login.credentialId], ['carol', reg.credentialId]);
      await noConsentLeft(t);

      // §6.3.2 step 3: an excluded passkey is reported only after the person acknowledges it.
      await start(t.page, () => rp.register('carol', { excludeCredentials: true }));
      w = await waitForConsent(t, '[role=status]');
      assert.match(await w.evaluate(() => document.querySelector('[role=status]').textContent), /already have a passkey for carol/);
      await clickClosing(w, '#approve');
      const excluded = await settle(t.page);
      assert.equal(excluded.err?.name, 'InvalidStateError', JSON.stringify(excluded));
      await noConsentLeft(t);

      // Keyboard only: the heading has the focus (never the main button, so a stray keystroke decides nothing);
      // Enter signs in once the window has been on screen for half a second; Escape cancels.
      await start(t.page, () => rp.login('carol'));
      w = await waitForConsent(t, '#approve');
      await until(() => w.evaluate(() => document.activeElement?.id === 'site'), 'the focus on the heading');
      await until(() => w.evaluate(() => document.querySelector('main')?.dataset.armed === 'true'), 'the window to take decisions');
      await pressClosing(w, 'Enter');
      verified(await settle(t.page), 'login with the keyboard');
      await noConsentLeft(t);
      await start(t.page, () => rp.login('carol'));
      w = await waitForConsent(t, '#approve');
      await pressClosing(w, 'Escape');
      const escaped = await settle(t.page);
      assert.equal(escaped.err?.name, 'NotAllowedError', JSON.stringify(escaped));
      await noConsentLeft(t);

      await start(t.page, () => rp.login('carol'));
      w = await waitForConsent(t, '#cancel');
      await clickClosing(w, '#cancel');
      const r = await settle(t.page);
      assert.equal(r.err?.name, 'NotAllowedError', JSON.stringify(r));
      await noConsentLeft(t);
    } finally {
      await configure(t, { autoApprove: true });
    }
  }],

  ['forged postMessage to the bridge: no assertion for another rpId, never a foreign origin', async (t) => {
    await configure(t, { autoApprove: true });
    const forge = (options) => t.page.evaluate((options) => new Promise((resolve) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = (ev) => resolve(ev.data);
      setTimeout(() => resolve({ type: 'no answer' }), 5000);
      window.postMessage({ keyport: 'keyport:request', kind: 'get', options, origin: 'https://other.example' }, '*', [port2]);
    }), options);
    const challenge = 'Zm9yZ2VkLWNoYWxsZW5nZS0xMjM0NTY3ODkwMTIzNDU2';

    const other = await forge({ challenge, rpId: 'other.example', origin: 'https://other.example' });
    assert.notEqual(other.type, 'credential', JSON.stringify(other));
    const local = await forge({ challenge, rpId: 'localhost', origin: 'https://other.example' });
    if (t.door === 'proxy') {
      // The bridge runs no ceremony while the proxy is the door: it sends the page to the browser's own
      // client (whose request goes through the proxy with the browser's origin).
      assert.deepEqual([other.type, local.type], ['original', 'original']);
    } else {
      assert.equal(other.error?.name, 'SecurityError', JSON.stringify(other));
      assert.equal(local.type, 'credential', JSON.stringify(local));
      assert.equal(decodeClientData(local.credential).origin, t.rp.origin);
    }
  }],

  ['service-worker restart keeps the unlock; after lock() it does not', async (t) => {
    if (!t.chromium) return t.skip('Chromium only (a service worker)');
    await configure(t, { autoApprove: true });
    await stopServiceWorkers(t);
    verified(await call(t.page, () => rp.login('alice')), 'login after a service-worker restart');
    assert.equal((await status(t)).unlocked, true);
    assert.equal((await status(t)).door, t.door);

    await bg(t, () => passkeyVault.lock());
    try {
      await stopServiceWorkers(t);
      await start(t.page, () => rp.login('alice'));
      const w = await waitForConsent(t, '#password');
      assert.equal(await isPending(t.page), true);
      await clickClosing(w, '#cancel');
      const r = await settle(t.page);
      assert.equal(r.err?.name, 'NotAllowedError', JSON.stringify(r));
    } finally {
      await bg(t, (pw) => passkeyVault.unlock(pw), PASSWORD);
    }
  }],

  ['tampered record: reported as damaged, kept, and the other passkeys still sign in', async (t) => {
    await configure(t, { autoApprove: true });
    const before = await recordIds(t);
    const victim = verified(await call(t.page, () => rp.register('victim')), 'register victim');
    const [id] = (await recordIds(t)).filter((r) => !before.includes(r));
    assert.ok(id, 'a new record for the victim');
    await bg(t, () => passkeyVault.lock());
    await bg(t, (id) => new Promise((resolve, reject) => {
      const open = indexedDB.open('keyport');
      open.onerror = () => reject(open.error ?? new Error('indexedDB.open failed'));
      open.onsuccess = () => {
        const tx = open.result.transaction('records', 'readwrite');
        const store = tx.objectStore('records');
        const get = store.get(id);
        get.onsuccess = () => {
          const r = get.result;
          const ct = new Uint8Array(r.ct);
          ct[ct.length >> 1] ^= 0x01;
          store.put({ ...r, ct });
        };
        tx.oncomplete = () => { open.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error ?? new Error('the transaction failed'));
      };
    }), id);
    await bg(t, (pw) => passkeyVault.unlock(pw), PASSWORD);
    const s = await status(t);
    assert.equal(s.damaged, 1, JSON.stringify(s));
    assert.ok(!(await credentials(t)).some((c) => c.id === victim.credentialId));
    assert.ok((await recordIds(t)).includes(id), 'the damaged record is still in IndexedDB');
    const login = verified(await call(t.page, () => rp.login('alice')), 'another passkey after the damage');
    assert.equal(login.credentialId, t.alice);
  }],

  ['at rest: no userName, rpId or key material in IndexedDB or extension storage', async (t) => {
    await configure(t, { autoApprove: true });
    const page = await t.b.newPage();
    try {
      await page.goto(`${t.rpAtRest.origin}/`);
      const reg = verified(await call(page, (u) => rp.register(u), ATREST_USER), 'register at rest');
      assert.ok((await credentials(t)).some((c) => c.id === reg.credentialId && c.rpId === ATREST_HOST));
      const publicKey = await page.evaluate(async () => {
        const res = await fetch('/login/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        const cred = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(await res.json()) });
        return cred.id;
      });
      assert.equal(publicKey, reg.credentialId);
    } finally {
      await page.close();
    }
    await sleep(1500); // the coalesced last-used write
    const dump = await bg(t, dumpStorage);
    const hex = (s) => [...new TextEncoder().encode(s)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const b64 = (s) => Buffer.from(s).toString('base64').replace(/=+$/, '');
    for (const secret of [ATREST_USER, ATREST_HOST, 'zq-atrest']) {
      for (const form of [secret, hex(secret), b64(secret)]) {
        assert.ok(!dump.all.includes(form), `"${secret}" appears at rest (${form})`);
      }
    }
    // PKCS#8 and SPKI of P-256 keys carry the id-ecPublicKey OID 1.2.840.10045.2.1 (06 07 2a 86 48 ce 3d 02 01),
    // RSA keys 1.2.840.113549.1.1.1; in hex or base64 (MIGHAgEAMBMGByqGSM49AgEG is a P-256 PKCS#8 header).
    for (const marker of ['06072a8648ce3d0201', '06092a864886f70d010101', 'MIGHAgEAMBMGByqGSM49', 'MBMGByqGSM49AgEG', 'BgcqhkjOPQIB']) {
      assert.ok(!dump.records.includes(marker) && !dump.local.includes(marker), `key material at rest (${marker})`);
    }
    assert.ok(dump.records.length > 0 && dump.meta.length > 0, 'the dump saw the vault');
  }],
];

/** Everything Keyport keeps: IndexedDB stores (bytes as hex, base64 and latin-1) and storage.local/session. */
async function dumpStorage() {
  const api = globalThis.browser ?? globalThis.chrome;
  const enc = (v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      const u = v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
      let latin = '';
      for (const b of u) latin += String.fromCharCode(b);
      return { hex: [...u].map((b) => b.toString(16).padStart(2, '0')).join(''), b64: btoa(latin), latin };
    }
    if (Array.isArray(v)) return v.map(enc);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enc(x)]));
    return v;
  };
  const stores = await new Promise((resolve, reject) => {
    const open = indexedDB.open('keyport');
    open.onerror = () => reject(open.error ?? new Error('indexedDB.open failed'));
    open.onsuccess = () => {
      const db = open.result;
      const out = {};
      const tx = db.transaction([...db.objectStoreNames], 'readonly');
      for (const name of db.objectStoreNames) {
        const req = tx.objectStore(name).getAll();
        req.onsuccess = () => (out[name] = req.result);
      }
      tx.oncomplete = () => { db.close(); resolve(out); };
    };
  });
  const dbs = (await indexedDB.databases?.())?.map((d) => d.name) ?? [];
  const local = JSON.stringify(enc(await api.storage.local.get(null)));
  const session = JSON.stringify(enc(await api.storage.session.get(null)));
  const meta = JSON.stringify(enc(stores.meta));
  const records = JSON.stringify(enc(stores.records));
  return { meta, records, local, session, dbs, all: [meta, records, local, session, JSON.stringify(dbs)].join('\n') };
}

const recordIds = (t) => bg(t, () => new Promise((resolve) => {
  const open = indexedDB.open('keyport');
  open.onsuccess = () => {
    const req = open.result.transaction('records').objectStore('records').getAllKeys();
    req.onsuccess = () => { open.result.close(); resolve(req.result); };
  };
}));

/** Chromium shim door: what the proxy holder saw (its service worker). */
async function holderSeen(t) {
  const w = t.b.context.serviceWorkers().find((s) => !s.url().startsWith(t.b.extensionOrigin + '/'));
  return w ? w.evaluate(() => globalThis.seen ?? []) : [];
}

/** Stops every service worker (Keyport's too) through the DevTools protocol of a page. */
async function stopServiceWorkers(t) {
  const cdp = await t.b.context.newCDPSession(t.page);
  try {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
  } finally {
    await cdp.detach().catch(() => {});
  }
  await until(() => !t.b.context.serviceWorkers().some((s) => s.url().startsWith(t.b.extensionOrigin + '/')), 'Keyport\'s service worker to stop', 5_000)
    .catch(() => {}); // playwright may keep a stopped worker listed for a moment; the next ceremony tells
}

/** The (playwright or puppeteer) frame of `page` whose URL starts with `origin`, once window.rp exists. */
async function waitForFrame(page, origin) {
  for (let i = 0; i < 100; i++, await sleep(50)) {
    const frame = page.frames().find((f) => f.url().startsWith(origin));
    if (frame && (await frame.evaluate(() => !!window.rp).catch(() => false))) return frame;
  }
  throw new Error(`no frame for ${origin}`);
}

// ---------------------------------------------------------------------------------------------

const only = process.env.KEYPORT_TARGETS?.split(',');
for (const target of TARGETS.filter((x) => !only || only.includes(x.name))) {
  describe(target.name, { concurrency: false }, () => {
    /** @type {typeof target & { rp?: any, rpB?: any, rpAtRest?: any, b?: any, page?: any, skip?: (why: string) => void }} */
    const t = { ...target };
    before(async () => {
      t.rp = await startRelyingParty();
      t.rpB = await startRelyingParty();
      t.rpAtRest = await startRelyingParty({ host: ATREST_HOST });
      t.b = await target.launch();
      t.page = await t.b.newPage();
      await t.page.goto(`${t.rp.origin}/`);
      const { recoveryCode } = await bg(t, (pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      assert.match(recoveryCode, /\w/);
      const s = await status(t);
      assert.deepEqual([s.setUp, s.unlocked, s.door], [true, true, t.door], JSON.stringify(s));
      // t.page was loaded before the setup: its bridge must follow the door that opened since.
      const bridgeSaysProxy = () => t.page.evaluate(() => {
        const ev = new CustomEvent('keyport:door', { cancelable: true });
        window.dispatchEvent(ev);
        return ev.defaultPrevented;
      });
      await until(async () => (await bridgeSaysProxy()) === (t.door === 'proxy'), `the page's bridge to use the ${t.door} door`);
    });
    after(async () => {
      await t.b?.close();
      await Promise.all([t.rp?.close(), t.rpB?.close(), t.rpAtRest?.close()]);
    });

    for (const [name, run] of SCENARIOS) {
      test(name, async (ctx) => {
        t.skip = (why) => ctx.skip(why);
        await run(t);
      });
    }
  });
}

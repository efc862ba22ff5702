// The consent window (issue: "Consent window for create and get"), driven through its UI with the keyboard where a
// person would use it: the site's identity, the account picker, the inline unlock, user verification by the master
// password, "use another device or security key", and a window that closes cleanly on the page's abort, on the
// ceremony's timeout and when the person closes it. Every success is verified by the RP's @simplewebauthn/server.
// Chromium answers through its WebAuthn proxy door (the default), Firefox through the page script.
// Needs the builds: npm run build:all. Run: KEYPORT_TARGETS=chromium node --test tests/e2e/consent.test.mjs

import { describe, test as nodeTest, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelyingParty, frameUrl } from '../support/rp.mjs';
import { resolve } from 'node:path';
import { CHROME_BUILD, launchChromium, launchFirefox } from '../support/browsers.mjs';
import { ui } from '../support/ui.mjs';
import { consentWindows } from '../../src/testing/consent.js';
import { cxfDocument, makeForeignPasskey } from '../support/foreign.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');
/**
 * Chromium runs every test on its proxy door, and again on the page-script door (another extension holds the proxy)
 * the tests where the doors differ: Chromium hands its proxy a timeout of 180 s whatever the page asked, and keeps
 * a frame to one request at a time itself.
 */
const VARIANTS = {
  chromium: [
    { name: 'chromium', browser: 'chromium', door: 'proxy', launch: () => launchChromium() },
    { name: 'chromium, page-script door', browser: 'chromium', door: 'shim', only: ['timeout', 'same tab', 'hints'], launch: () => launchChromium({ extensions: [CHROME_BUILD, resolve('tests/support/proxy-holder')] }) },
  ],
  firefox: [{ name: 'firefox', browser: 'firefox', door: 'shim', launch: () => launchFirefox() }],
};
const PASSWORD = 'consent window password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts fn(arg) in the page (or frame) under `slot` without waiting; settle() gives {ok} or {err: {name, message}}. */
const start = (page, fn, arg, slot = 'p') =>
  page.evaluate(({ src, arg, slot }) => {
    window.__pending ??= {};
    window.__pending[slot] = (0, eval)(`(${src})`)(arg).then((ok) => ({ ok }), (e) => ({ err: { name: e?.name, message: String(e?.message ?? e) } }));
  }, { src: String(fn), arg, slot });
const call = async (page, fn, arg) => (await start(page, fn, arg, 'call'), settle(page, 'call'));
const settle = (page, slot = 'p') => page.evaluate((s) => window.__pending[s], slot);
const isPending = (page, slot = 'p') => page.evaluate((s) => Promise.race([window.__pending[s].then(() => false), new Promise((r) => setTimeout(() => r(true), 50))]), slot);

/**
 * In the page: a discoverable sign-in (or one for userName) that the test can abort, with the RP's options, `timeout`
 * and `hints`.
 * @param {{ userName?: string, timeout?: number, hints?: string[] }} [options]
 */
function abortableLogin({ userName, timeout, hints } = {}) {
  return (async () => {
    const res = await fetch('/login/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(userName ? { userName } : {}) });
    const json = await res.json();
    window.__abort = new AbortController();
    const options = PublicKeyCredential.parseRequestOptionsFromJSON(json);
    return navigator.credentials.get({ publicKey: { ...options, ...(timeout ? { timeout } : {}), ...(hints ? { hints } : {}) }, signal: window.__abort.signal });
  })();
}

const verified = (r, what) => {
  assert.ok(r.ok, `${what}: ${JSON.stringify(r.err)}`);
  assert.equal(r.ok.verified, true, `${what}: ${JSON.stringify(r.ok)}`);
  return r.ok;
};

/** A key press or click that may close its own window under it. */
const closing = (p) => p.catch((e) => {
  if (!/closed|detached|destroyed|Target|No target|navigat/i.test(String(e))) throw e;
});

async function until(cond, what, timeout = 10_000) {
  for (const deadline = Date.now() + timeout; Date.now() < deadline; await sleep(100)) if (await cond()) return;
  assert.fail(`timed out waiting for ${what}`);
}

for (const variant of TARGETS.flatMap((name) => VARIANTS[name] ?? [])) {
  const target = variant.browser;
  describe(variant.name, { concurrency: false }, () => {
    const t = {};
    /** A test of this variant (a variant with `only` runs just the tests whose tag it lists). */
    const test = (name, tag, fn) => {
      if (typeof tag === 'function') [tag, fn] = [undefined, tag];
      nodeTest(name, { skip: !!variant.only && !variant.only.includes(tag) }, fn);
    };
    /** The consent window showing `selector` (its page, once the Svelte view rendered it). */
    const waitForConsent = async (selector) => {
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(100)) {
        for (const p of await t.windows.open()) {
          const shows = p.evaluate((s) => !!document.querySelector(s), selector).catch(() => false);
          if (await Promise.race([shows, sleep(1000).then(() => false)])) return p;
        }
      }
      throw new Error(`no consent window showing ${selector}`);
    };
    const focused = (w) => w.evaluate(() => document.activeElement?.id || document.activeElement?.getAttribute('name') || document.activeElement?.tagName);
    /** Until the window takes decisions: its first 500 ms on screen are over (input protection, src/ui/inputGuard.ts). */
    const armed = (w, timeout) => until(() => w.evaluate(() => document.querySelector('main')?.dataset.armed === 'true'), 'the window to take decisions', timeout);
    /** Notes each change of the window's input protection with its time (window.__arming), from now on. */
    const watchArming = (w) => w.evaluate(() => {
      window.__arming = [];
      const main = document.querySelector('main');
      new MutationObserver(() => window.__arming.push([main.dataset.armed, performance.now()])).observe(main, { attributes: true, attributeFilter: ['data-armed'] });
    });
    /** How long the window refused decisions after its content changed (ms), from window.__arming. */
    const refusedFor = (w) => w.evaluate(() => {
      const a = window.__arming;
      const off = a.findIndex(([v]) => v === 'false');
      const on = a.findIndex(([v], i) => i > off && v === 'true');
      return off < 0 || on < 0 ? null : a[on][1] - a[off][1];
    });
    const text = (w, sel) => w.evaluate((s) => document.querySelector(s)?.textContent?.trim() ?? null, sel);
    const answerCount = (w) => w.evaluate(() => Number(document.getElementById('consent-error')?.dataset.answer ?? 0));
    const bg = (fn, arg) => t.b.evalBackground(fn, arg);
    /** Both themes of the window at its own size (420 x 560 outside; the automation gives pages 1280 x 720). */
    const screens = async (w, name) => {
      await (w.setViewportSize ? w.setViewportSize({ width: 420, height: 520 }) : w.setViewport({ width: 420, height: 520 }));
      await ui(t.b, w).screens(name);
    };
    const configure = (s) => bg((s) => passkeyVault.configure(s), s);
    /**
     * Open consent windows as the browser counts them (checked in the background: puppeteer keeps listing a
     * Firefox page that was navigated by tabs.update after its window closed).
     */
    const consentWindowCount = () => bg(async () => {
      const api = globalThis.browser ?? globalThis.chrome;
      return (await api.windows.getAll({ populate: true })).filter((w) => w.tabs?.some((tab) => tab.url?.includes('/consent.html'))).length;
    });
    const allClosed = (timeout = 5_000) => until(async () => await consentWindowCount() === 0, 'every consent window to close', timeout);

    before(async () => {
      t.rp = await startRelyingParty();
      t.rpB = await startRelyingParty();
      t.b = await variant.launch();
      t.windows = consentWindows({ pages: () => (t.b.context ? t.b.context.pages() : t.b.browser.pages()), extensionOrigin: t.b.extensionOrigin });
      await bg((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      await configure({ autoApprove: false });
      t.page = await t.b.newPage();
      await t.page.goto(`${t.rp.origin}/`);
      assert.equal((await bg(() => passkeyVault.status())).door, variant.door);
      if (variant.only) {
        // Arranged: a passkey to sign in with (the first tests make it on the full variants).
        await configure({ autoApprove: true });
        verified(await call(t.page, () => rp.register('ann', { residentKey: 'required' })), 'register ann');
        await configure({ autoApprove: false });
      }
    });
    after(async () => {
      await t.b?.close();
      await Promise.all([t.rp?.close(), t.rpB?.close()]);
    });

    test('create with the keyboard only: the site is named, Enter creates the passkey', async () => {
      await start(t.page, () => rp.register('ann', { residentKey: 'required' }));
      const w = await waitForConsent('#approve');
      // The heading has the focus, not "Create passkey": a keystroke meant for another window decides nothing.
      await until(async () => (await focused(w)) === 'site', 'the focus on the heading');
      // The registrable domain is emphasized, the full origin is written below, http is pointed out.
      assert.equal(await text(w, '#site strong'), 'localhost');
      assert.equal(await text(w, '#origin'), t.rp.origin);
      assert.match(await text(w, '#site-warnings'), /does not use a secure \(https\) connection/);
      assert.equal(await text(w, '.site-icon'), 'L');
      assert.match(await w.evaluate(() => getComputedStyle(document.querySelector('.site-icon')).backgroundColor), /^rgb/);
      assert.match(await text(w, '.account.new .name'), /^ann$/);
      await screens(w, 'consent-create');
      await armed(w);
      await closing(w.keyboard.press('Enter'));
      const reg = verified(await settle(t.page), 'register with Enter');
      t.ann = reg.credentialId;
      await allClosed();
    });

    test('discoverable sign-in: three accounts, the last used first and preselected; ArrowDown + Enter signs in as the second', async () => {
      // Arranged: cy brought from another manager three days ago (with a display name), bob registered, then ann
      // signed in (so ann is the most recently used).
      const cy = await makeForeignPasskey({ rpId: 'localhost', userName: 'cy', userDisplayName: 'Cy Example', createdAt: Math.floor(Date.now() / 1000 - 3 * 86_400) * 1000 });
      await bg((data) => passkeyVault.importCredentials({ format: 'cxf', data }), cxfDocument([cy]));
      t.rp.seedCredential({ userName: 'cy', userId: cy.userHandle, credentialId: cy.credentialIdB64, publicKey: cy.cosePublicKey });
      await configure({ autoApprove: true });
      t.bob = verified(await call(t.page, () => rp.register('bob', { residentKey: 'required' })), 'register bob').credentialId;
      await sleep(20);
      verified(await call(t.page, () => rp.login('ann')), 'ann signs in');
      await configure({ autoApprove: false });

      await start(t.page, () => rp.login());
      const w = await waitForConsent('input[name=account]');
      await until(() => w.evaluate(() => document.querySelectorAll('label.account').length === 3), 'three accounts');
      const accounts = await w.evaluate(() => [...document.querySelectorAll('label.account')].map((l) => ({
        id: l.querySelector('input').value, checked: l.querySelector('input').checked, name: l.querySelector('.name').textContent,
        display: l.querySelector('.display')?.textContent ?? null, when: l.querySelector('.when').textContent,
      })));
      assert.deepEqual(accounts.map((a) => [a.id, a.name, a.display, a.checked]), [[t.ann, 'ann', null, true], [t.bob, 'bob', null, false], [cy.credentialIdB64, 'cy', 'Cy Example', false]]);
      assert.deepEqual(accounts.map((a) => a.when), ['Last used just now', 'Not used yet', 'Not used yet']);
      assert.equal(await text(w, '#accounts legend'), 'Choose an account');
      await until(async () => (await focused(w)) === 'account', 'the focus on the chosen account');
      await screens(w, 'consent-get-picker');
      await armed(w);
      await w.keyboard.press('ArrowDown');
      assert.deepEqual(await w.evaluate(() => [/** @type {HTMLInputElement} */ (document.activeElement).value, /** @type {HTMLInputElement} */ (document.activeElement).checked]), [t.bob, true]);
      await closing(w.keyboard.press('Enter'));
      const login = verified(await settle(t.page), 'sign in with ArrowDown + Enter');
      assert.deepEqual([login.userName, login.credentialId], ['bob', t.bob]);
      await allClosed();
    });

    test('locked: unlock in the window (a wrong password gets a sentence), then sign in', async () => {
      await bg(() => passkeyVault.lock());
      await start(t.page, () => rp.login('ann'));
      const w = await waitForConsent('#password');
      await until(async () => (await focused(w)) === 'password', 'the focus on the password');
      await screens(w, 'consent-locked');
      const u = ui(t.b, w);
      await u.type('#password', 'not the password');
      await w.keyboard.press('Enter');
      await until(async () => (await answerCount(w)) === 1, 'the answer to the wrong password', 60_000);
      assert.match(await text(w, '#consent-error'), /master password is not correct/);
      assert.equal(await isPending(t.page), true, 'nothing completes with a wrong password');
      assert.equal((await bg(() => passkeyVault.status())).unlocked, false);
      await until(async () => (await focused(w)) === 'password', 'the focus back on the password');
      await screens(w, 'consent-locked-wrong');

      await u.type('#password', PASSWORD);
      // Argon2id takes a moment: the progress bar says so (noted when it appears, however briefly).
      await w.evaluate(() => {
        window.__sawProgress = false;
        new MutationObserver(() => (window.__sawProgress ||= !!document.querySelector('[role=progressbar]'))).observe(document.body, { subtree: true, childList: true });
      });
      await watchArming(w);
      await w.keyboard.press('Enter');
      await until(() => w.evaluate(() => !!document.querySelector('#approve') && document.activeElement?.id === 'site'), 'the sign-in after unlocking, the focus on the heading', 60_000);
      assert.equal(await w.evaluate(() => window.__sawProgress), true, 'the progress bar showed while unlocking');
      // The account appeared in place of the unlock form: a new content, so half a second again before a decision.
      await armed(w);
      const refused = await refusedFor(w);
      assert.ok(refused !== null && refused >= 490, `no decision for ${refused} ms after the content changed`);
      assert.equal((await bg(() => passkeyVault.status())).unlocked, true);
      await closing(w.keyboard.press('Enter'));
      const login = verified(await settle(t.page), 'sign in after unlocking');
      assert.equal(login.credentialId, t.ann);
      await allClosed();
    });

    test('user verification required: the window asks for the master password (wrong first), and the RP sees UV', async () => {
      // Arranged: the master password was last proven more than UV_GRACE_MS (5 minutes) ago. The background's clock
      // is set back while the automation API unlocks, then restored.
      await bg(() => {
        globalThis.__keyportRealNow ??= Date.now;
        const real = globalThis.__keyportRealNow;
        Date.now = () => real.call(Date) - 6 * 60_000;
      });
      await bg(() => passkeyVault.lock());
      await bg((pw) => passkeyVault.unlock(pw), PASSWORD);
      await bg(() => void (Date.now = globalThis.__keyportRealNow));

      await start(t.page, () => rp.register('cat', { residentKey: 'required', userVerification: 'required' }));
      const w = await waitForConsent('#verify-password');
      await until(async () => (await focused(w)) === 'verify-password', 'the focus on the password');
      assert.equal(await w.evaluate(() => /** @type {HTMLButtonElement} */ (document.querySelector('#approve')).disabled), true, 'no approval without the password');
      await screens(w, 'consent-create-verify');
      await armed(w);
      const u = ui(t.b, w);
      await u.type('#verify-password', 'wrong again');
      await w.keyboard.press('Enter');
      await until(async () => (await answerCount(w)) === 1, 'the answer to the wrong password', 60_000);
      assert.match(await text(w, '#consent-error'), /master password is not correct/);
      assert.equal(await isPending(t.page), true);
      await until(async () => (await focused(w)) === 'verify-password', 'the focus back on the password');
      await screens(w, 'consent-create-verify-wrong');
      await u.type('#verify-password', PASSWORD);
      await armed(w);
      await closing(w.keyboard.press('Enter'));
      const reg = verified(await settle(t.page), 'register with user verification');
      assert.equal(reg.userVerified, true);
      await allClosed();
    });

    test('an excluded passkey: the window says so, Enter acknowledges, the page gets InvalidStateError', async () => {
      await start(t.page, () => rp.register('ann', { excludeCredentials: true }));
      const w = await waitForConsent('[role=status]');
      assert.match(await text(w, '[role=status]'), /already have a passkey for ann/);
      await until(async () => (await focused(w)) === 'site', 'the focus on the heading, not OK');
      await screens(w, 'consent-excluded');
      await armed(w);
      await closing(w.keyboard.press('Enter'));
      assert.equal((await settle(t.page)).err?.name, 'InvalidStateError');
      await allClosed();
    });

    test('a cross-origin frame: the window names the page around it', async () => {
      const page = await t.b.newPage();
      try {
        await page.goto(frameUrl(t.rp.origin, `${t.rpB.origin}/`));
        let frame;
        await until(async () => {
          frame = page.frames().find((f) => f.url().startsWith(t.rpB.origin));
          return !!frame && (await frame.evaluate(() => !!window.rp).catch(() => false));
        }, 'the framed RP');
        await start(frame, () => rp.register('framed'));
        const w = await waitForConsent('#frame-warning');
        assert.equal(await text(w, '#origin'), t.rpB.origin);
        // The page script knows the top origin; Chromium's proxy tells only that the frame is cross-origin.
        const warning = await text(w, '#frame-warning');
        if (target === 'firefox') assert.match(warning, new RegExp(`inside a frame of localhost \\(${t.rp.origin.replace(/[.:/]/g, '\\$&')}\\)`));
        else assert.match(warning, /inside a frame of (another site|localhost)/);
        await screens(w, 'consent-create-framed');
        await closing(w.keyboard.press('Escape'));
        assert.equal((await settle(frame)).err?.name, 'NotAllowedError');
        await allClosed();
      } finally {
        await page.close();
      }
    });

    test('"Use another device or security key" hands the request to the browser (which, headless, has none)', async () => {
      await start(t.page, abortableLogin, { timeout: 60_000 });
      const w = await waitForConsent('#fallback');
      // Keyboard: Tab from the chosen account reaches the button.
      await until(async () => (await focused(w)) === 'account', 'the focus on the chosen account');
      let steps = 0;
      while ((await focused(w)) !== 'fallback' && steps++ < 6) await w.keyboard.press('Tab');
      assert.equal(await focused(w), 'fallback');
      await closing(w.keyboard.press('Enter'));
      await allClosed();
      if (variant.door === 'proxy') {
        // The proxy door stepped aside: Keyport detached Chromium's proxy for this request.
        await until(async () => (await bg(() => passkeyVault.status())).door === 'shim', 'Keyport to detach the proxy');
      }
      await sleep(1000);
      assert.equal(await isPending(t.page), true, "the browser's own WebAuthn is waiting");
      assert.equal(await consentWindowCount(), 0, 'Keyport opened no other window');
      await t.page.evaluate(() => window.__abort.abort());
      assert.equal((await settle(t.page)).err?.name, 'AbortError');
      if (variant.door === 'proxy') await until(async () => (await bg(() => passkeyVault.status())).door === 'proxy', 'the proxy attached again');
    });

    test("hints: a site that prefers a security key or a phone gets it as the window's primary button; Keyport is still offered", 'hints', async () => {
      const primary = (w) => w.evaluate(() => [...document.querySelectorAll('button.primary')].map((b) => `${b.id}: ${b.textContent.trim()}`));
      if ((await bg(() => passkeyVault.getCredentials())).length === 0) {
        // Arranged when this test runs alone: a passkey to sign in with.
        await configure({ autoApprove: true });
        verified(await call(t.page, () => rp.register('ann', { residentKey: 'required' })), 'register ann');
        await configure({ autoApprove: false });
      }
      // 'client-device' first (Keyport is one): the window as without hints.
      await start(t.page, abortableLogin, { timeout: 60_000, hints: ['client-device', 'security-key'] });
      let w = await waitForConsent('#approve');
      await until(async () => (await primary(w)).length === 1, 'the primary button');
      assert.deepEqual(await primary(w), ['approve: Sign in']);
      assert.equal(await text(w, '#prefers'), null);
      await closing(w.keyboard.press('Escape'));
      assert.equal((await settle(t.page)).err?.name, 'NotAllowedError');
      await allClosed();

      await start(t.page, abortableLogin, { timeout: 60_000, hints: ['bogus', 'security-key', 'client-device'] });
      w = await waitForConsent('#prefers');
      await until(async () => !!(await text(w, '#approve')), 'the accounts');
      assert.deepEqual(await primary(w), ['fallback: Use a security key']);
      assert.match(await text(w, '#prefers'), /suggests a security key\. You can still use Keyport/);
      assert.equal(await w.evaluate(() => document.querySelectorAll('#fallback').length), 1, 'one way to the browser');
      assert.equal(await text(w, '#approve'), 'Sign in', 'Keyport is still offered');
      await screens(w, 'consent-get-prefers-security-key');
      // Enter with the focus on the heading takes the primary button: the browser's own authenticators.
      await w.evaluate(() => document.getElementById('site')?.focus());
      await closing(w.keyboard.press('Enter'));
      await allClosed();
      if (variant.door === 'proxy') await until(async () => (await bg(() => passkeyVault.status())).door === 'shim', 'Keyport to detach the proxy');
      await sleep(1000);
      assert.equal(await isPending(t.page), true, "the browser's own WebAuthn is waiting");
      await t.page.evaluate(() => window.__abort.abort());
      assert.equal((await settle(t.page)).err?.name, 'AbortError');
      if (variant.door === 'proxy') await until(async () => (await bg(() => passkeyVault.status())).door === 'proxy', 'the proxy attached again');

      // A registration that would rather be on a phone: the same, named for it.
      await start(t.page, async () => {
        const res = await fetch('/register/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userName: 'hinted' }) });
        const options = PublicKeyCredential.parseCreationOptionsFromJSON(await res.json());
        return navigator.credentials.create({ publicKey: /** @type {PublicKeyCredentialCreationOptions} */ ({ ...options, hints: ['hybrid', 'security-key'] }) });
      });
      w = await waitForConsent('#prefers');
      await until(async () => !!(await text(w, '#approve')), 'the new account');
      assert.deepEqual(await primary(w), ['fallback: Use a phone or tablet']);
      assert.equal(await text(w, '#approve'), 'Create passkey');
      await closing(w.keyboard.press('Escape'));
      assert.equal((await settle(t.page)).err?.name, 'NotAllowedError');
      await allClosed();
    });

    test('"Use another device or security key" from the locked window, without unlocking', async () => {
      await bg(() => passkeyVault.lock());
      try {
        await start(t.page, abortableLogin, { timeout: 60_000 });
        const w = await waitForConsent('#password');
        await until(async () => (await focused(w)) === 'password', 'the focus on the password');
        let steps = 0;
        while ((await focused(w)) !== 'fallback' && steps++ < 6) await w.keyboard.press('Tab');
        assert.equal(await focused(w), 'fallback');
        await closing(w.keyboard.press('Enter'));
        await allClosed();
        if (variant.door === 'proxy') await until(async () => (await bg(() => passkeyVault.status())).door === 'shim', 'Keyport to detach the proxy');
        await sleep(1000);
        assert.equal(await isPending(t.page), true, "the browser's own WebAuthn is waiting");
        assert.equal((await bg(() => passkeyVault.status())).unlocked, false);
        await t.page.evaluate(() => window.__abort.abort());
        assert.equal((await settle(t.page)).err?.name, 'AbortError');
        if (variant.door === 'proxy') await until(async () => (await bg(() => passkeyVault.status())).door === 'proxy', 'the proxy attached again');
      } finally {
        await bg((pw) => passkeyVault.unlock(pw), PASSWORD);
      }
    });

    test('the page aborts: the window closes and the page gets AbortError', async () => {
      const before = await consentWindowCount();
      await start(t.page, abortableLogin, { timeout: 60_000 });
      await waitForConsent('#approve');
      assert.equal(await consentWindowCount(), before + 1);
      const at = Date.now();
      await t.page.evaluate(() => window.__abort.abort());
      assert.equal((await settle(t.page)).err?.name, 'AbortError');
      await allClosed(3_000);
      assert.ok(Date.now() - at < 3_000, `closed after ${Date.now() - at} ms`);
    });

    test('the ceremony times out (10 s): the window closes and the page gets NotAllowedError', 'timeout', async (ctx) => {
      if (variant.door === 'proxy') return ctx.skip("Chromium's proxy is given 180 s whatever the page asked; see the page-script door");
      const startedAt = Date.now();
      await start(t.page, abortableLogin, { timeout: 10_000 });
      await waitForConsent('#approve');
      const r = await settle(t.page);
      const took = Date.now() - startedAt;
      assert.equal(r.err?.name, 'NotAllowedError', JSON.stringify(r));
      assert.ok(took >= 9_000 && took < 20_000, `ended after ${took} ms`);
      await allClosed(3_000);
    });

    test('the person closes the window: the page gets NotAllowedError at once', async () => {
      await start(t.page, abortableLogin, { timeout: 60_000 });
      const w = await waitForConsent('#approve');
      const at = Date.now();
      await w.close();
      const r = await settle(t.page);
      assert.equal(r.err?.name, 'NotAllowedError', JSON.stringify(r));
      assert.ok(Date.now() - at < 3_000, `answered after ${Date.now() - at} ms`);
      await allClosed();
    });

    test('a second request from the same tab: still one window', 'same tab', async () => {
      await start(t.page, abortableLogin, { timeout: 60_000 }, 'first');
      const w1 = await waitForConsent('#approve');
      assert.equal(await text(w1, '#intent'), 'Sign in to');
      await armed(w1);
      await watchArming(w1);
      await start(t.page, () => rp.register('dan', { residentKey: 'required' }), undefined, 'second');
      // Watch the windows for a while: never more than one.
      let most = 0;
      for (let i = 0; i < 15; i++, await sleep(100)) most = Math.max(most, await consentWindowCount());
      assert.equal(most, 1, 'one consent window at a time');
      if (variant.door === 'shim') {
        // The page script's door: the newer request replaces the older (AbortError), in the same window.
        assert.equal((await settle(t.page, 'first')).err?.name, 'AbortError');
        const w = await waitForConsent('.account.new');
        assert.equal(w, w1, 'the same window shows the newer request');
        assert.equal(await text(w, '#intent'), 'Create a passkey for');
        await until(async () => (await focused(w)) === 'site', 'the focus on the heading');
        assert.equal(await consentWindowCount(), 1, 'still one window');
        // The newer request took the window over: half a second again before a decision takes effect.
        await armed(w);
        const refused = await refusedFor(w);
        assert.ok(refused !== null && refused >= 490, `no decision for ${refused} ms after the newer request showed`);
        await closing(w.keyboard.press('Enter'));
        verified(await settle(t.page, 'second'), 'the newer request');
      } else {
        // Chromium's own rule: a frame has one request at a time; the newer one is refused, the first goes on.
        assert.equal((await settle(t.page, 'second')).err?.name, 'OperationError');
        assert.equal(await isPending(t.page, 'first'), true);
        await closing(w1.keyboard.press('Escape'));
        assert.equal((await settle(t.page, 'first')).err?.name, 'NotAllowedError');
      }
      await allClosed();
    });
  });
}

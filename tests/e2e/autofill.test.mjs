// Passkey autofill (issue 4, item 4): a conditional get() shows the site's passkeys in a list under the
// `autocomplete="username webauthn"` field; the person's choice signs in (verified by @simplewebauthn/server);
// the page can neither read the list nor choose by script; abort removes it; a locked vault offers unlock.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/autofill.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { startRelyingParty } from '../support/rp.mjs';
import { SCREENSHOTS } from '../support/ui.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');
const PASSWORD = 'autofill test password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const pages = (b) => (b.context ? b.context.pages() : b.browser.pages());

/** The autofill list's frame inside `page`, or undefined while there is none (puppeteer over BiDi names it about:blank: ask it). */
async function listFrame(b, page) {
  for (const f of page.frames()) {
    const href = f.url().startsWith(b.extensionOrigin) ? f.url() : f === page.mainFrame() ? '' : await Promise.race([f.evaluate(() => location.href).catch(() => ''), sleep(400).then(() => '')]);
    if (href.startsWith(`${b.extensionOrigin}/autofill.html`)) return f;
  }
  return undefined;
}

async function listGone(b, page, when) {
  for (const deadline = Date.now() + 5_000; await listFrame(b, page); await sleep(200)) assert.ok(Date.now() < deadline, `the list is gone ${when}`);
}

async function waitForList(b, page, selector) {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(100)) {
    const f = await listFrame(b, page);
    if (f && (await f.evaluate((s) => !!document.querySelector(s), selector).catch(() => false))) return f;
  }
  throw new Error(`no autofill list showing ${selector}`);
}

/**
 * After ArrowDown in the field: until the focus is on an entry of the list, as a person sees the highlight before
 * pressing the next key (the bridge moves the focus into the frame after the key event; on a loaded machine that
 * takes a moment, and a key pressed before goes to the page's field).
 */
async function focusInList(frame) {
  for (const deadline = Date.now() + 5_000; !(await frame.evaluate(() => document.hasFocus() && !!document.activeElement?.matches('button.account'))); await sleep(50)) {
    if (Date.now() > deadline) throw new Error('the focus never moved into the autofill list');
  }
}

/** Until the list takes a choice: not in its first 500 ms on screen (input protection, src/ui/inputGuard.ts). */
async function armedList(frame) {
  for (const deadline = Date.now() + 5_000; !(await frame.evaluate(() => document.querySelector('main')?.dataset.armed === 'true')); await sleep(50)) {
    if (Date.now() > deadline) throw new Error('the autofill list never took a choice');
  }
}

/**
 * A person's click on an entry of the list, once the list takes one. Chromium: the mouse at the entry's place on the page (a click
 * into the out-of-process frame can wait forever for an answer from the frame the sign-in removes).
 */
async function clickInList(b, page, frame, selector) {
  await armedList(frame);
  if (b.browserName !== 'chromium') return frame.click(selector);
  const box = await frame.locator(selector).first().boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

/** The page with the list, in Keyport's light and dark themes (the list follows Keyport's theme, not the page's). */
async function listScreens(b, page, name) {
  for (const theme of ['light', 'dark']) {
    await b.evalBackground((t) => (globalThis.browser ?? chrome).storage.local.set({ 'keyport:theme': t }), theme);
    await sleep(400);
    await page.screenshot({ path: `${SCREENSHOTS}/${name}-${b.browserName}-${theme}.png` });
  }
  await b.evalBackground(() => (globalThis.browser ?? chrome).storage.local.remove('keyport:theme'));
}

async function settled(page) {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100)) {
    const s = await page.evaluate(() => rp.autofillState);
    if (s !== 'pending') return s;
  }
  throw new Error('the conditional request did not settle');
}

/** Whether a consent window is open (puppeteer over BiDi names a popup window about:blank: ask it). */
async function consentOpen(b) {
  for (const p of await pages(b)) {
    const href = p.url().startsWith(b.extensionOrigin) ? p.url() : await Promise.race([p.evaluate(() => location.href).catch(() => ''), sleep(400).then(() => '')]);
    if (href.startsWith(`${b.extensionOrigin}/consent.html`)) return true;
  }
  return false;
}

/** The consent window (a popup window of the extension), once it shows `selector`. */
async function consentWindow(b, selector) {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(150)) {
    for (const p of await pages(b)) {
      const href = p.url().startsWith(b.extensionOrigin) ? p.url() : await Promise.race([p.evaluate(() => location.href).catch(() => ''), sleep(400).then(() => '')]);
      if (href.startsWith(`${b.extensionOrigin}/consent.html`) && (await p.evaluate((s) => !!document.querySelector(s), selector).catch(() => false))) return p;
    }
  }
  throw new Error(`no consent window showing ${selector}`);
}

/** A browser with Keyport set up (auto-approve on) and these accounts registered on `path` of a fresh relying party. */
async function arrange(target, names, path = '/') {
  const rp = await startRelyingParty();
  const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
  await b.evalBackground((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
  await b.evalBackground(() => passkeyVault.configure({ autoApprove: true }));
  const page = await b.newPage();
  await page.goto(`${rp.origin}${path}`);
  for (const name of names) {
    const r = await page.evaluate((n) => window.rp.register(n, { residentKey: 'required' }), name);
    assert.equal(r.verified, true, JSON.stringify(r));
  }
  return { rp, b, page };
}

for (const target of TARGETS) {
  test(`${target}: passkey autofill lists the site's passkeys under the field; the person's choice signs in, the page's scripts cannot choose`, async () => {
    // Two accounts registered with auto-approve; auto-approve then stays on, to show autofill waits anyway.
    const { rp, b, page } = await arrange(target, ['ann', 'bob']);
    try {
      await page.goto(`${rp.origin}/`);
      assert.equal(await page.evaluate(() => PublicKeyCredential.isConditionalMediationAvailable()), true);
      await page.evaluate(() => window.rp.autofill());
      await sleep(800);
      assert.equal(await page.evaluate(() => window.rp.autofillState), 'pending', 'a conditional request waits for the person, even with auto-approve');
      assert.equal(await listFrame(b, page), undefined, 'no list before the field has the focus');

      // The person focuses the field: the list appears under it.
      await page.click('#username');
      const frame = await waitForList(b, page, 'button.account');
      const names = await frame.evaluate(() => [...document.querySelectorAll('button.account .name')].map((e) => e.textContent));
      assert.deepEqual(names.sort(), ['ann', 'bob']);
      await listScreens(b, page, 'autofill-list');

      // The page sees neither the frame nor the names, and cannot choose by script.
      const seen = await page.evaluate(() => {
        const hosts = [...document.documentElement.children].filter((e) => e.tagName === 'DIV');
        const field = document.querySelector('#username');
        const r = field.getBoundingClientRect();
        const under = /** @type {HTMLElement | null} */ (document.elementFromPoint(r.left + 20, r.bottom + 40));
        under?.click();
        under?.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
        field.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
        field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
        return {
          iframes: document.querySelectorAll('iframe').length,
          shadowRoots: hosts.map((h) => h.shadowRoot),
          text: document.documentElement.innerText,
          hit: under === hosts[0],
        };
      });
      assert.equal(seen.iframes, 0, 'the list frame is not in the page document');
      assert.ok(seen.shadowRoots.every((r) => r === null), 'the host is closed to the page');
      assert.doesNotMatch(seen.text, /\bbob\b|\bann\b/, 'the names are not in the page');
      assert.equal(seen.hit, true, 'the list covers the point the page clicked');
      await sleep(500);
      assert.equal(await page.evaluate(() => window.rp.autofillState), 'pending', 'script clicks and keys chose nothing');

      // The person chooses bob: by keyboard (ArrowDown into the list, ArrowDown, Enter) in one browser, by mouse in the other.
      const bob = await frame.evaluate(() => [...document.querySelectorAll('button.account')].findIndex((e) => e.querySelector('.name').textContent === 'bob'));
      if (target === 'firefox') {
        await armedList(frame);
        await page.click('#username');
        await page.keyboard.press('ArrowDown');
        await focusInList(frame);
        for (let i = 0; i < bob; i++) await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
      } else {
        await clickInList(b, page, frame, `li:nth-child(${bob + 1}) button.account`);
      }
      const r = await settled(page);
      assert.equal(r.verified, true, JSON.stringify(r));
      assert.equal(r.userName, 'bob');
      await listGone(b, page, 'after the sign-in');

      // Abort: the page's AbortController ends the request with AbortError and removes the list.
      await page.evaluate(() => window.rp.autofill());
      await page.click('#username');
      await waitForList(b, page, 'button.account');
      await page.evaluate(() => window.rp.abortAutofill());
      const aborted = await settled(page);
      assert.equal(aborted.name, 'AbortError');
      await listGone(b, page, 'after the abort');
    } finally {
      await b.close();
      await rp.close();
    }
  });

  test(`${target}: with Keyport locked, the autofill list offers to unlock; the window unlocks, then the passkey is chosen`, async () => {
    const { rp, b, page } = await arrange(target, ['cat']);
    try {
      await b.evalBackground(() => passkeyVault.configure({ autoApprove: false }));
      await b.evalBackground(() => passkeyVault.lock());

      await page.goto(`${rp.origin}/`);
      await page.evaluate(() => window.rp.autofill());
      await page.click('#username');
      const frame = await waitForList(b, page, '#autofill-unlock');
      await listScreens(b, page, 'autofill-locked');
      await clickInList(b, page, frame, '#autofill-unlock');
      const w = await consentWindow(b, '#password');
      await (w.fill ? w.fill('#password', PASSWORD) : w.type('#password', PASSWORD));
      await w.click('button[type=submit]').catch(() => {}); // the window closes once unlocked
      const list = await waitForList(b, page, 'button.account');
      assert.equal(await list.evaluate(() => document.querySelector('button.account .name').textContent), 'cat');
      // The unlock window closes by itself once the vault is open.
      for (const deadline = Date.now() + 10_000; await consentOpen(b); await sleep(100)) assert.ok(Date.now() < deadline, 'the unlock window closed');
      await clickInList(b, page, list, 'button.account');
      const r = await settled(page);
      assert.equal(r.verified, true, JSON.stringify(r));
      assert.equal(r.userName, 'cat');
    } finally {
      await b.close();
      await rp.close();
    }
  });
}

for (const target of TARGETS) {
  test(`${target}: autofill works by keyboard alone on a page whose CSP forbids frames`, async () => {
    const { rp, b, page } = await arrange(target, ['dan'], '/strict');
    try {
      await page.goto(`${rp.origin}/strict`);
      await page.evaluate(() => window.rp.autofill());
      await page.focus('#username');
      await page.keyboard.press('End'); // a key in the field, as a person starting to type
      const frame = await waitForList(b, page, 'button.account');
      await armedList(frame);
      await page.keyboard.press('ArrowDown');
      await focusInList(frame);
      await page.keyboard.press('Enter');
      const r = await settled(page);
      assert.equal(r.verified, true, JSON.stringify(r));
      assert.equal(r.userName, 'dan');
    } finally {
      await b.close();
      await rp.close();
    }
  });
}

// Settings → Security and About (issue 4, the options page), driven through the UI in Chromium and Firefox:
// auto-lock survives a reload, the theme follows on another extension page, the master password changes
// (a wrong current password, a weak or mismatched new one refused with sentences, the wrong ones counted
// toward the unlock's growing delay), the popup then unlocks with the new password only, and a stronger key
// derivation still unlocks. Screenshots of every section in both themes.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/settings.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { ui } from '../support/ui.mjs';
import { cxfDocument, makeForeignPasskey } from '../support/foreign.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');
const OLD = 'first master password of the settings test';
const NEW = 'walnut cobalt ferry lantern 47';
const AAGUID = '6b702d4b-6579-706f-7274-410d9e135c27';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until the element's text matches `re` (a page answer replaces an earlier one), then returns it. */
async function answer(u, sel, re, timeout = 90_000) {
  await until(u, ([s, src]) => new RegExp(src).test(document.querySelector(s)?.textContent ?? ''), [sel, re.source], timeout);
  return u.text(sel);
}

/** Until fn(arg) is true in the page, checked every 50 ms (a tab in the background gets no animation frames). */
function until(u, fn, arg = null, timeout = 10_000) {
  const options = { timeout, polling: 50 };
  return typeof u.page.selectOption === 'function' ? u.page.waitForFunction(fn, arg, options) : u.page.waitForFunction(fn, options, arg);
}

/** Notes in the page whether a progress bar shows up from now on (window.sawProgress). */
const watchProgress = (u) =>
  u.page.evaluate(() => {
    window.sawProgress = false;
    new MutationObserver((_, obs) => {
      if (!document.querySelector('[role=progressbar]')) return;
      window.sawProgress = true;
      obs.disconnect();
    }).observe(document.body, { childList: true, subtree: true });
  });

/** The stored value of a storage.local key, read in the background (a check, not an action). */
const stored = (b, key) => b.evalBackground(async (k) => (await (globalThis.browser ?? chrome).storage.local.get(k))[k], key);

for (const target of TARGETS) {
  test(`${target}: Settings → Security: auto-lock, theme, master password, key derivation strength; About`, async () => {
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await b.evalBackground((pw) => passkeyVault.setup({ password: pw }), OLD);
      const doc = cxfDocument(await Promise.all(['ann', 'bob'].map((userName) => makeForeignPasskey({ rpId: 'settings.example', userName }))));
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), doc);
      let o = ui(b, await b.openExtensionPage('options.html'));

      // Security is the first section and the default for an empty hash; the current values are shown.
      await o.page.waitForSelector('#autolock', { timeout: 30_000 });
      assert.equal((await o.text('nav button[aria-current=page]')).trim(), 'Security');
      assert.equal(await o.page.$eval('#autolock', (e) => e.value), '15');
      assert.match(await o.text('#kdf-current'), /Now: Standard \(Argon2id, 64 MiB, 3 passes\); unlocking takes about \d+ s on this computer/);
      assert.equal(await o.page.$eval('#theme-system', (e) => e.checked), true);
      await o.screens('options-security');

      // ---- auto-lock: saved by the background, shown again after a reload ----
      await o.select('#autolock', '5');
      assert.match(await answer(o, '#autolock-saved', /locks after 5 minutes/), /Saved/);
      assert.equal(await stored(b, 'keyport:autoLockMinutes'), 5);
      await o.page.close();
      o = ui(b, await b.openExtensionPage('options.html'));
      await until(o, () => /** @type {HTMLSelectElement | null} */ (document.querySelector('#autolock'))?.value === '5', null, 30_000);

      // ---- theme: dark, and another extension page follows at once ----
      const popup = ui(b, await b.openExtensionPage('popup.html'));
      await popup.page.waitForSelector('h1');
      assert.equal(await popup.page.evaluate(() => document.documentElement.dataset.theme ?? 'system'), 'system');
      await o.click('#theme-dark');
      await answer(o, '#theme-saved', /dark theme/);
      await until(popup, () => document.documentElement.dataset.theme === 'dark');
      assert.equal(await o.page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      assert.equal(await stored(b, 'keyport:theme'), 'dark');
      const later = ui(b, await b.openExtensionPage('popup.html'));
      await until(later, () => document.documentElement.dataset.theme === 'dark');
      await later.page.close();
      await popup.page.close();
      await o.page.bringToFront();

      // ---- master password: refusals first, each with a sentence ----
      await o.type('#pw-current', OLD);
      await o.type('#pw-new', 'password1');
      await o.type('#pw-confirm', 'password1');
      assert.match(await o.text('#pw-new-strength'), /Very weak|Weak/);
      await o.click('#pw-change');
      assert.match(await answer(o, '#pw-error', /too easy to guess/), /Choose a longer one/);
      await o.type('#pw-new', NEW);
      await o.type('#pw-confirm', `${NEW}!`);
      await o.click('#pw-change');
      await answer(o, '#pw-error', /differ/);
      // A wrong current password, three times: the third brings the unlock's delay, which then holds even the right one.
      for (const [i, expected] of [/is not correct\.$/, /is not correct\.$/, /is not correct\. Wait 2 seconds/].entries()) {
        await o.type('#pw-current', `not my password ${i}`);
        await o.type('#pw-new', NEW);
        await o.type('#pw-confirm', NEW);
        await o.click('#pw-change');
        // The answer: a sentence for this attempt (data-answer counts the background's answers).
        await until(o, (k) => document.getElementById('pw-error')?.dataset.answer === String(k), i + 1, 90_000);
        assert.match(await o.text('#pw-error'), /current master password is not correct/);
        assert.match(await o.text('#pw-error'), expected);
      }
      await o.type('#pw-current', OLD);
      await o.type('#pw-new', NEW);
      await o.type('#pw-confirm', NEW);
      await o.click('#pw-change');
      await answer(o, '#pw-error', /Too many wrong passwords\. Wait \d+ seconds?/);
      await o.screens('options-password-refused');
      await sleep(2100);

      // ---- master password: success, with a progress bar while Argon2id runs ----
      await o.type('#pw-current', OLD);
      await o.type('#pw-new', NEW);
      await o.type('#pw-confirm', NEW);
      await watchProgress(o);
      await o.click('#pw-change');
      // Firefox runs the background page on the extension pages' thread: its bar is gone before a screenshot can be taken.
      if (b.browserName === 'chromium') {
        await o.page.waitForSelector('[role=progressbar]', { timeout: 10_000 });
        await o.screens('options-password-progress');
      }
      await answer(o, '#pw-notice', /master password is changed/);
      assert.equal(await o.page.evaluate(() => window.sawProgress), true, 'a progress bar while Argon2id ran');
      assert.equal(await o.page.$eval('#pw-current', (e) => e.value), '');
      await o.screens('options-password-changed');

      // Locked, the popup refuses the old password and unlocks with the new one.
      await b.evalBackground(() => passkeyVault.lock());
      const p = ui(b, await b.openExtensionPage('popup.html'));
      await p.type('#password', OLD);
      await p.click('button[type=submit]');
      assert.match(await answer(p, '#unlock-error', /not correct/), /master password is not correct/);
      await p.type('#password', NEW);
      await p.click('button[type=submit]');
      await until(p, () => !document.querySelector('#password'), null, 90_000);
      assert.equal((await b.evalBackground(() => passkeyVault.status())).unlocked, true);
      await p.page.close();

      // ---- key derivation strength: Strong, then the same password still unlocks ----
      await o.page.close();
      o = ui(b, await b.openExtensionPage('options.html#security'));
      await o.page.waitForSelector('#kdf-strong', { timeout: 30_000 });
      assert.equal(await o.disabled('#kdf-apply'), true, 'the strength in use cannot be applied again');
      await o.click('#kdf-strong');
      await o.type('#kdf-password', NEW);
      await watchProgress(o);
      await o.click('#kdf-apply');
      await answer(o, '#kdf-notice', /Strong settings \(Argon2id, 128 MiB, 4 passes\)/, 180_000);
      assert.equal(await o.page.evaluate(() => window.sawProgress), true, 'a progress bar while Argon2id ran');
      await o.screens('options-kdf-strong');
      await o.page.close();
      o = ui(b, await b.openExtensionPage('options.html'));
      assert.match(await answer(o, '#kdf-current', /Strong/), /Now: Strong \(Argon2id, 128 MiB, 4 passes\)/);
      await b.evalBackground(() => passkeyVault.lock());
      await assert.rejects(b.evalBackground((pw) => passkeyVault.unlock(pw), OLD));
      await b.evalBackground((pw) => passkeyVault.unlock(pw), NEW);
      assert.equal((await b.evalBackground(() => passkeyVault.status())).unlocked, true);

      // ---- About, through the navigation ----
      await o.click('#nav-about');
      assert.equal(await o.text('#about-aaguid'), AAGUID);
      assert.match(await o.text('#about-version'), /^\d+\.\d+\.\d+$/);
      assert.match(await o.text('#about-passkeys'), /^2 passkeys$/);
      assert.match(await o.text('#about-data'), /IndexedDB, encrypted, and nowhere else/);
      assert.match(await o.text('#about-door'), target === 'chromium' ? /WebAuthn proxy/ : /page script/);
      assert.equal(await o.page.evaluate(() => location.hash), '#about');
      await o.screens('options-about');

      // ---- the other sections, for the screenshots ----
      for (const [name, sel] of [['sync', '#sync-url'], ['sites', '#sites-title'], ['transfer', '#import-file'], ['developer', '#dev-enabled']]) {
        await o.click(`#nav-${name}`);
        await o.page.waitForSelector(sel, { timeout: 30_000 });
        await o.screens(`options-${name}`);
      }
    } finally {
      await b.close();
    }
  });
}

// Wrong master passwords in the popup (issue 4, "Bad input"): a clear sentence each time, and a growing delay
// after the third, during which even the right password waits; then it unlocks.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/unlock.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { ui } from '../support/ui.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const target of TARGETS) {
  test(`${target}: wrong passwords get a sentence and a growing delay; the right one then unlocks`, async () => {
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await b.evalBackground(() => passkeyVault.setup({ password: 'the right password' }));
      await b.evalBackground(() => passkeyVault.lock());
      const popup = ui(b, await b.openExtensionPage('popup.html'));
      let n = 0;
      const attempt = async (password) => {
        await popup.type('#password', password);
        await popup.click('button[type=submit]');
        n++;
        // The answer: a sentence for this attempt (data-answer counts them), or the unlocked popup.
        const answered = n;
        await (b.browserName === 'chromium'
          ? popup.page.waitForFunction((k) => document.getElementById('unlock-error')?.dataset.answer === String(k) || !document.querySelector('#password'), answered, { timeout: 60_000 })
          : popup.page.waitForFunction((k) => document.getElementById('unlock-error')?.dataset.answer === String(k) || !document.querySelector('#password'), { timeout: 60_000 }, answered));
        return popup.page.evaluate(() => (document.querySelector('#password') ? document.querySelector('#unlock-error')?.textContent ?? '' : 'unlocked'));
      };
      assert.match(await attempt('wrong 1'), /not correct/);
      assert.match(await attempt('wrong 2'), /not correct/);
      assert.match(await attempt('wrong 3'), /not correct\. Wait 2 seconds/);
      assert.match(await attempt('the right password'), /Too many wrong passwords\. Wait \d+ seconds?/);
      await popup.screens('popup-wrong-password');
      await sleep(2100);
      assert.equal(await attempt('the right password'), 'unlocked');
      assert.equal((await b.evalBackground(() => passkeyVault.status())).unlocked, true);
    } finally {
      await b.close();
    }
  });
}

for (const target of TARGETS) {
  test(`${target}: the popup lists passkeys with search, renames one, removes one after a confirmation, and undoes it`, async () => {
    const { cxfDocument, makeForeignPasskey } = await import('../support/foreign.mjs');
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await b.evalBackground(() => passkeyVault.setup({ password: 'list password' }));
      const doc = cxfDocument(await Promise.all([['a.example', 'ann'], ['b.example', 'bob'], ['c.example', 'cat']].map(([rpId, userName]) => makeForeignPasskey({ rpId, userName }))));
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), doc);
      const popup = ui(b, await b.openExtensionPage('popup.html'));
      await popup.until(() => document.querySelectorAll('li.passkey').length === 3);
      await popup.type('#passkey-search', 'bob');
      await popup.until(() => document.querySelectorAll('li.passkey').length === 1);
      assert.match(await popup.text('li.passkey .name'), /^bob$/);

      await popup.click('li.passkey .rename');
      await popup.type('li.passkey .rename-input', 'robert');
      await popup.click('li.passkey .rename-save');
      await popup.type('#passkey-search', '');
      await popup.until(() => [...document.querySelectorAll('li.passkey .name')].some((e) => e.textContent === 'robert'));
      const names = (await b.evalBackground(() => passkeyVault.getCredentials())).map((c) => c.userName).sort();
      assert.deepEqual(names, ['ann', 'cat', 'robert']);

      await popup.click('li.passkey[data-rp="a.example"] .delete');
      await popup.screens('popup-passkeys-confirm');
      // A dialog that says what it confirms (a screen reader hears more than "Remove"), its focus on "Keep".
      const dialog = await popup.page.$eval('li.passkey[data-rp="a.example"] [role=alertdialog]', (d) => ({
        name: document.getElementById(d.getAttribute('aria-labelledby')).textContent,
        remove: d.querySelector('.delete-confirm').getAttribute('aria-label'),
        focused: document.activeElement?.textContent,
      }));
      assert.deepEqual(dialog, { name: 'Remove the passkey ann on a.example?', remove: 'Remove passkey ann on a.example', focused: 'Keep' });
      await popup.click('li.passkey[data-rp="a.example"] .delete-confirm');
      assert.match(await popup.text('#passkey-removed'), /ann on a\.example was removed/);
      assert.equal((await b.evalBackground(() => passkeyVault.getCredentials())).length, 2);
      await popup.click('#passkey-undo');
      await popup.until(() => document.querySelectorAll('li.passkey').length === 3);
      assert.equal((await b.evalBackground(() => passkeyVault.getCredentials())).length, 3, 'undo brings it back');
      await popup.screens('popup-passkeys');
    } finally {
      await b.close();
    }
  });
}

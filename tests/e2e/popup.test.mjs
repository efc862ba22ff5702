// The popup's vault manager (issue item 2), driven through its screens: rows with the site's initial, search,
// a passkey's details (site, names, dates, backup state, algorithm, credential ID with a Copy button), rename
// and remove from the details with a confirmation and an undo, and the locked popup.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/popup.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { ui } from '../support/ui.mjs';
import { cxfDocument, makeForeignPasskey } from '../support/foreign.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');

for (const target of TARGETS) {
  test(`${target}: the popup's passkey details, rename and remove from there with an undo, and the locked popup`, async () => {
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await b.evalBackground(() => passkeyVault.setup({ password: 'popup password' }));
      const day = 86_400_000;
      const passkeys = await Promise.all([
        makeForeignPasskey({ rpId: 'login.github.example', userName: 'octo', userDisplayName: 'The Octocat', alg: 'EdDSA', createdAt: Date.now() - 20 * day }),
        makeForeignPasskey({ rpId: 'mail.example.com', userName: 'ann@example.com', userDisplayName: 'Ann Smith', createdAt: Date.now() - 3 * day }),
        makeForeignPasskey({ rpId: 'shop.example.co.uk', userName: 'bob', userDisplayName: 'Robert Jones', createdAt: Date.now() - 400 * day }),
        makeForeignPasskey({ rpId: 'zeta.example', userName: 'zed', createdAt: Date.now() - 2 * 60_000 }),
      ]);
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), cxfDocument(passkeys));
      const octo = passkeys[0];

      const popup = ui(b, await b.openExtensionPage('popup.html'));
      await popup.until(() => document.querySelectorAll('li.passkey').length === 4);
      // Each row: the registrable domain's initial on its circle, the account, the dates and backup state.
      const row = 'li.passkey[data-rp="login.github.example"]';
      assert.equal(await popup.text(`${row} .site-icon`), 'G');
      assert.equal(await popup.attr(`${row} .site-icon`, 'data-site'), 'github.example');
      assert.equal(await popup.attr('li.passkey[data-rp="shop.example.co.uk"] .site-icon', 'data-site'), 'example.co.uk');
      assert.match(await popup.text(`${row} .who`), /octo.*login\.github\.example.*Created 2 weeks ago.*not backed up/s);
      await popup.screens('popup-list');

      await popup.type('#passkey-search', 'octo');
      await popup.until(() => document.querySelectorAll('li.passkey').length === 1);
      await popup.screens('popup-search');

      // Details, from the row itself.
      await popup.click(`${row} .open`);
      assert.equal(await popup.text('#details-title'), 'octo');
      assert.match(await popup.text('#details-site'), /^login\.github\.example · on github\.example$/);
      assert.equal(await popup.text('#details-user'), 'octo');
      assert.equal(await popup.text('#details-display'), 'The Octocat');
      assert.match(await popup.text('#details-created'), /^2 weeks ago \(/);
      assert.equal(await popup.text('#details-used'), 'Never used here');
      assert.match(await popup.text('#details-backup'), /Not backed up: it is only in this browser\. Turn on sync/);
      assert.match(await popup.text('#details-alg'), /^EdDSA/);
      assert.match(await popup.text('#details-discoverable'), /^Yes/);
      assert.equal(await popup.text('#details-credential-id'), octo.credentialIdB64);
      assert.equal(await popup.count('#details-copy'), 1);
      assert.equal(await popup.count('#details-sign-count'), 0, 'no counter shown for a passkey that does not count');
      const html = await popup.page.evaluate(() => document.documentElement.outerHTML);
      assert.ok(!html.includes('pkcs8') && !html.includes('prfSecret'), 'no key material on the page');
      await popup.screens('popup-details');

      // Rename from the details.
      await popup.click('#details-rename');
      await popup.type('#details-rename-input', 'octocat');
      await popup.click('#details-rename-save');
      await popup.until(() => document.querySelector('#details-title')?.textContent === 'octocat');
      const named = (await b.evalBackground(() => passkeyVault.getCredentials())).find((c) => c.rpId === 'login.github.example');
      assert.equal(named.userName, 'octocat');

      // Back (Escape, as the back button does): the list, with the search kept.
      await popup.page.keyboard.press('Escape');
      await popup.until(() => !!document.querySelector('#passkey-search'));
      assert.equal(await popup.page.$eval('#passkey-search', (e) => e.value), 'octo');
      assert.ok(await popup.page.evaluate(() => document.activeElement?.matches('li.passkey[data-rp="login.github.example"] .open')), 'the focus is back on the passkey');
      assert.equal(await popup.count('li.passkey'), 1);

      // Remove from the details: a confirmation, then the list with an undo.
      await popup.type('#passkey-search', '');
      await popup.until(() => document.querySelectorAll('li.passkey').length === 4);
      // By keyboard this time: the row is a button.
      await popup.page.focus('li.passkey[data-rp="mail.example.com"] .open');
      await popup.page.keyboard.press('Enter');
      assert.equal(await popup.text('#details-title'), 'ann@example.com');
      await popup.click('#details-remove');
      await popup.page.keyboard.press('Escape');
      await popup.until(() => !document.querySelector('#details-confirm-text') && !!document.querySelector('#details-title'));
      await popup.click('#details-remove');
      assert.match(await popup.text('#details-confirm-text'), /Remove this passkey/);
      await popup.screens('popup-details-confirm');
      assert.equal((await b.evalBackground(() => passkeyVault.getCredentials())).length, 4, 'nothing removed before the confirmation');
      await popup.click('#details-remove-confirm');
      assert.match(await popup.text('#passkey-removed'), /ann@example\.com on mail\.example\.com was removed/);
      assert.equal(await popup.count('li.passkey'), 3);
      assert.equal((await b.evalBackground(() => passkeyVault.getCredentials())).length, 3);
      await popup.screens('popup-undo');
      await popup.click('#passkey-undo');
      await popup.until(() => document.querySelectorAll('li.passkey').length === 4);
      assert.equal((await b.evalBackground(() => passkeyVault.getCredentials())).length, 4, 'undo brings it back');

      // Past 30 rows, the rest waits behind "Show more" (the list stays quick at 10,000: tests/bench/search.mjs).
      const more = await Promise.all(Array.from({ length: 30 }, (_, i) => makeForeignPasskey({ rpId: `many${i}.example`, userName: `user${i}` })));
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), cxfDocument(more));
      const full = ui(b, await b.openExtensionPage('popup.html'));
      await full.until(() => document.querySelectorAll('li.passkey').length === 30);
      assert.match(await full.text('#show-more'), /Show 4 more of 4/);
      await full.click('#show-more');
      await full.until(() => document.querySelectorAll('li.passkey').length === 34 && !document.querySelector('#show-more'));

      // Locked: the brand header, a short line, the password field.
      await popup.click('#lock');
      await popup.until(() => !!document.querySelector('#password'));
      assert.equal(await popup.text('#lock-state'), 'Locked');
      assert.match(await popup.text('#locked-note'), /locked/);
      assert.equal(await popup.count('li.passkey'), 0, 'no passkey shown while locked');
      await popup.screens('popup-locked');

      // Unlocking: a progress bar while Argon2id runs (screenshot in Chromium only: Firefox's may be gone first), then the list.
      await popup.type('#password', 'popup password');
      await popup.click('button[type=submit]');
      if (target === 'chromium') {
        await popup.until(() => !!document.querySelector('[role=progressbar]'), 5_000);
        await popup.screens('popup-unlocking');
      }
      await popup.until(() => document.querySelectorAll('li.passkey').length === 30, 60_000);
      assert.equal(await popup.text('#lock-state'), 'Unlocked');
    } finally {
      await b.close();
    }
  });
}

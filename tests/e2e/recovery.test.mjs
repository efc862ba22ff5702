// Settings → Sync & recovery, driven through the screens (issue 4, item 5): the backup-health panel says
// plainly that the passkeys are at risk, then safe once a sync server is connected; a new recovery code is
// shown and typed back; a backup file is saved; then a fresh browser restores from that file through the
// popup: the old code is refused with a sentence, the new one restores, and the passkey signs in
// (verified by @simplewebauthn/server).
// Needs the builds: npm run build:all. Run: node --test tests/e2e/recovery.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { startRelyingParty } from '../support/rp.mjs';
import { startSyncServer } from '../support/syncServer.mjs';
import { ui } from '../support/ui.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const downloads = mkdtempSync(join(tmpdir(), 'keyport-recovery-downloads-'));
const launch = (target) =>
  target === 'chromium'
    ? launchChromium()
    : launchFirefox({ prefs: { 'browser.download.folderList': 2, 'browser.download.dir': downloads, 'browser.download.useDownloadDir': true, 'browser.download.always_ask_before_handling_new_types': false } });

let rp;
let server;
before(async () => {
  rp = await startRelyingParty();
  server = await startSyncServer();
});
after(async () => {
  await rp?.close();
  await server?.close();
});

/** The newest completed download's text. */
async function lastDownload(b) {
  let d;
  for (let i = 0; i < 100 && d?.state !== 'complete'; i++, await sleep(100)) {
    [d] = await b.evalBackground(() => (globalThis.browser ?? chrome).downloads.search({ orderBy: ['-startTime'], limit: 1 }));
  }
  assert.equal(d?.state, 'complete', JSON.stringify(d));
  return readFileSync(d.filename, 'utf8');
}

for (const target of TARGETS) {
  test(`${target}: backup health, a new recovery code and a backup file through the settings page; a fresh browser restores from the file in the popup`, async () => {
    const userName = `rec-${target}`;
    let file;
    let newCode;
    const a = await launch(target);
    try {
      // Arranged: a vault with one passkey on the relying party.
      const { recoveryCode: oldCode } = await a.evalBackground(() => passkeyVault.setup({ password: 'first browser password' }));
      await a.evalBackground(() => passkeyVault.configure({ autoApprove: true }));
      const site = await a.newPage();
      await site.goto(`${rp.origin}/`);
      assert.equal((await site.evaluate((n) => rp.register(n, { residentKey: 'required' }), userName)).verified, true);

      const u = ui(a, await a.openExtensionPage('options.html#sync'));
      assert.match(await u.text('#backup-health'), /only in this browser|exist only|lose/i, 'the panel says the passkeys are at risk');
      const done = (sel) => u.page.$eval(sel, (e) => e.classList.contains('done'));
      assert.deepEqual([await done('#health-copied'), await done('#health-code'), await done('#health-browser')], [false, false, false]);
      assert.match(await u.text('#health-code'), /not confirmed/);
      await u.screens('options-health-at-risk');

      await u.type('#sync-url', server.url);
      await u.click('#sync-connect');
      assert.match(await u.text('#sync-notice', 30_000), /Synced: 1 sent/);
      await u.until(() => /only your recovery code opens them/.test(document.querySelector('#backup-health')?.textContent ?? ''));
      assert.equal(await done('#health-copied'), true);

      // A new recovery code and a backup file ask for the master password again (issue 13 item 5). Wrong ones
      // change nothing (no code, no file) and count toward the unlock's growing delay, across both.
      const saved = async () => (await a.evalBackground(() => (globalThis.browser ?? chrome).downloads.search({}))).length;
      const downloadsBefore = await saved();
      await u.click('#rotate');
      assert.equal(await u.attr('#rotate', 'role'), 'alertdialog');
      assert.match(await u.text('#rotate-title'), /new recovery code\? The old one stops working everywhere/);
      for (const i of [1, 2]) {
        await u.type('#rotate-password', `not my password ${i}`);
        await u.click('#rotate-confirm');
        await u.until((k) => document.getElementById('rotate-error')?.dataset.answer === String(k), 60_000, i);
        assert.match(await u.text('#rotate-error'), /master password is not correct\.$/);
      }
      assert.equal(await u.count('#recovery-code'), 0, 'no new code after a wrong master password');
      await u.click('#rotate-cancel');
      await u.click('#backup-download');
      await u.type('#backup-password', 'not my password 3');
      await u.click('#backup-confirm');
      assert.match(await u.text('#backup-error', 60_000), /not correct\. Wait 2 seconds before the next try\./, 'the third wrong one, in another dialog, brings the delay');
      await u.screens('options-backup-refused');
      // Even the right password waits the delay out.
      await u.type('#backup-password', 'first browser password');
      await u.click('#backup-confirm');
      await u.until(() => document.getElementById('backup-error')?.dataset.answer === '2', 30_000);
      assert.match(await u.text('#backup-error'), /Too many wrong passwords\. Wait \d seconds?, then try again\./);
      await sleep(500);
      assert.equal(await saved(), downloadsBefore, 'no backup file after a wrong master password');
      await u.click('#backup-cancel');
      await sleep(2000);

      await u.click('#rotate');
      await u.type('#rotate-password', 'first browser password');
      await u.click('#rotate-confirm');
      await u.text('#recovery-code', 60_000);
      newCode = (await u.page.$$eval('#recovery-code .group', (gs) => gs.map((g) => g.textContent))).join('-');
      assert.notEqual(newCode, oldCode);
      await u.screens('options-new-recovery-code');
      const groups = newCode.split('-');
      const group = async (sel) => groups[Number((await u.attr(sel, 'placeholder')).replace(/\D/g, '')) - 1];
      await u.type('#recovery-group-a', await group('#recovery-group-a'));
      await u.type('#recovery-group-b', await group('#recovery-group-b'));
      await u.click('#recovery-confirm');
      assert.match(await u.text('#sync-notice'), /new recovery code is in place/);
      await u.until(() => document.querySelector('#health-code')?.classList.contains('done'));
      assert.match(await u.text('#health-code'), /confirmed on/);
      assert.match(await u.text('#backup-health'), /Losing this device loses nothing/);
      await u.screens('options-health-safe');

      // The backup file, saved to the downloads folder once the master password is typed.
      await u.click('#backup-download');
      await u.type('#backup-password', 'first browser password');
      await u.click('#backup-confirm');
      assert.match(await u.text('#sync-notice', 30_000), /Saved keyport-backup-.*\.json/);
      file = join(downloads, `restore-${target}.json`);
      writeFileSync(file, await lastDownload(a));
      assert.doesNotMatch(readFileSync(file, 'utf8'), new RegExp(userName), 'the backup file shows no account in the clear');

      // A fresh browser: the popup restores from the file; the old code is refused.
      const b = await launch(target);
      try {
        const p = ui(b, await b.openExtensionPage('popup.html'));
        await p.click('#restore-from-backup');
        await p.upload('#restore-file', file);
        await p.type('#restore-code', oldCode);
        await p.type('#restore-password', 'second browser password');
        await p.type('#restore-confirm', 'second browser password');
        await p.click('#restore-submit');
        assert.match(await p.text('#restore-error', 60_000), /recovery code|not correct|does not open/i);
        await p.screens('popup-restore-old-code');
        await p.type('#restore-code', newCode);
        await p.click('#restore-submit');
        await p.until(() => /1 passkey\b/.test(document.body.textContent), 60_000);
        await b.evalBackground(() => passkeyVault.configure({ autoApprove: true }));
        const page = await b.newPage();
        await page.goto(`${rp.origin}/`);
        const r = await page.evaluate(() => rp.login());
        assert.equal(r.verified, true, JSON.stringify(r));
        assert.equal(r.userName, userName);
      } finally {
        await b.close();
      }
    } finally {
      await a.close();
    }
  });
}

// Conditional create (issue 15 item 4): after a password sign-in a site calls create() with mediation 'conditional'
// to upgrade the account to a passkey. Keyport never makes one silently unless the person turned on "Upgrade my
// sign-ins to passkeys" for that site in the popup; until then the request leaves only a quiet badge ("+") on
// Keyport's button in that tab, never a window, and the browser's own answer. With it on, the passkey is made
// without a window (no UP, no UV: §5.1.3), the relying party verifies it (@simplewebauthn/server with
// requireUserPresence false), a notification says so, the popup offers an undo, and excludeCredentials is
// respected. Chromium's proxy door hands a conditional create to the proxy as a modal one (measured), so the shim
// takes it on every door. Needs the builds: npm run build:all. Run: node --test tests/e2e/upgrade.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelyingParty } from '../support/rp.mjs';
import { DOOR_TARGETS, until } from '../support/targets.mjs';
import { consentWindows } from '../../src/testing/consent.js';
import { ui } from '../support/ui.mjs';

const PASSWORD = 'upgrade test password';

/**
 * The site's upgrade for `userName`, as it calls it after a password sign-in; a request the browser keeps waiting
 * (nothing to upgrade) is aborted after `waitMs`. The /register/verify answer or {name}.
 */
const upgrade = (t, userName, opts = {}, waitMs = 2_000) =>
  t.page.evaluate(({ userName, opts, waitMs }) => {
    const post = async (path, body) => (await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
    return (async () => {
      const json = await post('/register/options', { userName, residentKey: 'required', ...opts });
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), waitMs);
      try {
        const cred = /** @type {PublicKeyCredential} */ (await navigator.credentials.create(/** @type {any} */ ({ mediation: 'conditional', signal: ctl.signal, publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) })));
        return await post('/register/verify', { userName, response: cred.toJSON(), conditional: true });
      } catch (e) {
        return { name: /** @type {Error} */ (e).name };
      } finally {
        clearTimeout(timer);
      }
    })();
  }, { userName, opts, waitMs });

for (const target of DOOR_TARGETS) {
  describe(target.name, { concurrency: false }, () => {
    const t = {};
    const names = async () => (await t.b.evalBackground(() => passkeyVault.getCredentials())).map((c) => c.userName).sort();
    /** The badge of Keyport's button in the relying party's tab. */
    const badge = () => t.b.evalBackground(async (url) => {
      const api = globalThis.browser ?? chrome;
      const tab = (await api.tabs.query({})).find((x) => x.url?.startsWith(`${url}/`));
      return api.action.getBadgeText({ tabId: tab.id });
    }, t.rp.origin);
    /**
     * Keyport's notifications: those showing, and those already closed (headless Firefox has no notification
     * server and closes each at once, which its onClosed reports), from when watchNotifications() ran.
     */
    const watchNotifications = () => t.b.evalBackground(() => {
      const api = globalThis.browser ?? chrome;
      globalThis.__closedNotices = [];
      api.notifications.onClosed.addListener((/** @type {string} */ id) => globalThis.__closedNotices.push(id));
    });
    const notifications = () => t.b.evalBackground(async () => [...new Set([...Object.keys(await (globalThis.browser ?? chrome).notifications.getAll()), ...globalThis.__closedNotices])]);
    /** The popup, as the person opens it over the relying party's page. */
    const popup = async () => {
      const p = await t.b.openExtensionPage('popup.html');
      await p.waitForSelector('#site-control', { timeout: 15_000 });
      return p;
    };

    before(async () => {
      t.rp = await startRelyingParty();
      t.b = await target.launch();
      await t.b.evalBackground((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      assert.equal((await t.b.evalBackground(() => passkeyVault.status())).door, target.door);
      t.page = await t.b.newPage();
      await t.page.goto(`${t.rp.origin}/`);
      t.windows = consentWindows({ pages: () => (t.b.context ? t.b.context.pages() : t.b.browser.pages()), extensionOrigin: t.b.extensionOrigin });
    });
    after(async () => {
      await t.b?.close();
      await t.rp?.close();
    });

    test('not allowed: no passkey, no window, the browser\'s own answer, and a quiet badge', async () => {
      const r = await upgrade(t, 'alice');
      // Chromium's own conditional create with nothing to upgrade waits (measured); Firefox's answers for itself.
      if (target.name !== 'firefox') assert.equal(r.name, 'AbortError', JSON.stringify(r));
      else assert.notEqual(r.verified, true, JSON.stringify(r));
      assert.deepEqual(await names(), [], 'no passkey');
      assert.equal((await t.windows.open()).length, 0, 'no window');
      await until(async () => (await badge()) === '+', 'the badge');
    });

    test('the popup offers it; turned on, the next upgrade makes a passkey without a window, and says so', async () => {
      const p = await popup();
      const u = ui(t.b, p);
      await p.waitForSelector('#upgrade-site');
      assert.equal(await p.$eval('#upgrade-site', (e) => /** @type {HTMLInputElement} */ (e).checked), false);
      if (target.name !== 'chromium-shim') await u.screens('popup-upgrade-offer');
      await u.click('#upgrade-site');
      await until(() => p.$eval('#upgrade-site', (e) => /** @type {HTMLInputElement} */ (e).checked), 'the switch on');
      await until(async () => (await badge()) === '', 'the badge gone');
      await p.close();

      const caps = await t.page.evaluate(() => PublicKeyCredential.getClientCapabilities());
      assert.equal(caps.conditionalCreate, true, 'getClientCapabilities() says conditionalCreate');
      await watchNotifications();
      const r = await upgrade(t, 'alice');
      assert.equal(r.verified, true, JSON.stringify(r));
      assert.equal(r.userPresent, false, 'made without a gesture: no UP flag');
      assert.deepEqual(await names(), ['alice']);
      assert.equal((await t.windows.open()).length, 0, 'no window');
      assert.deepEqual(await notifications(), [`upgrade:${r.credentialId}`], 'a notification');
    });

    test('undo from the popup removes the new passkey', async () => {
      const p = await popup();
      await p.waitForSelector('.upgrade-undo');
      if (target.name !== 'chromium-shim') await ui(t.b, p).screens('popup-upgrade-made');
      await p.click('.upgrade-undo');
      await until(async () => (await names()).length === 0, 'the passkey removed');
      await p.close();
    });

    test('excludeCredentials is respected: NotAllowedError, nothing made', async () => {
      assert.equal((await upgrade(t, 'bob')).verified, true);
      const r = await upgrade(t, 'bob', { excludeCredentials: true });
      assert.equal(r.name, 'NotAllowedError', JSON.stringify(r));
      assert.deepEqual(await names(), ['bob']);
      assert.equal((await t.windows.open()).length, 0, 'no window');
    });

    test('locked: nothing made and no window, even where upgrades are on', async () => {
      await t.b.evalBackground(() => passkeyVault.lock());
      const r = await upgrade(t, 'carol');
      assert.notEqual(r.verified, true, JSON.stringify(r));
      assert.equal((await t.windows.open()).length, 0, 'no window');
      await t.b.evalBackground((pw) => passkeyVault.unlock(pw), PASSWORD);
      assert.deepEqual(await names(), ['bob']);
    });

    test('turned off again: the site\'s next upgrade makes nothing', async () => {
      const p = await popup();
      await p.waitForSelector('#upgrade-site');
      await p.click('#upgrade-site');
      await until(async () => !(await p.$eval('#upgrade-site', (e) => /** @type {HTMLInputElement} */ (e).checked)), 'the switch off');
      await p.close();
      const r = await upgrade(t, 'dave');
      assert.notEqual(r.verified, true, JSON.stringify(r));
      assert.deepEqual(await names(), ['bob']);
    });
  });
}

// Immediate mediation (issue 15 item 3): a relying party's "Sign in" button calls get() with uiMode 'immediate'
// (as Chromium 156 ships it). With a passkey for the site Keyport's picker opens at once, without "another device";
// with none, NotAllowedError and no window, never sooner than Keyport's fixed refusal time, whatever the vault held;
// locked, the window asks to unlock and a person who declines gets the same NotAllowedError. Without transient
// activation, or with allowCredentials, the browser's refusal. Chromium's proxy door hands these requests to the
// proxy as modal ones (measured), so the shim takes them on every door. Sign-ins are verified by
// @simplewebauthn/server (tests/support/rp.mjs). Needs the builds: npm run build:all.
// Run: node --test tests/e2e/immediate.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelyingParty } from '../support/rp.mjs';
import { DOOR_TARGETS, until } from '../support/targets.mjs';
import { consentWindows } from '../../src/testing/consent.js';
import { ui } from '../support/ui.mjs';

const PASSWORD = 'immediate mediation password';
/** src/app/ceremonies.ts IMMEDIATE_REFUSAL_MS. */
const REFUSAL_MS = 100;

/**
 * The page's immediate sign-in, started after a person's click on the page (transient activation: playwright's
 * evaluate grants it in Chromium, puppeteer's over BiDi does not in Firefox).
 */
async function start(t) {
  await t.page.bringToFront();
  await t.page.click('h1');
  await t.page.evaluate(() => window.rp.immediate());
}
/**
 * Its outcome once settled: the /login/verify answer or the error's name, and how long the browser took.
 * @returns {Promise<{ s: any, ms: number }>}
 */
async function outcome(t, timeout = 15_000) {
  /** @type {any} */
  let state;
  await until(async () => (state = await t.page.evaluate(() => ({ s: rp.immediateState, ms: rp.immediateMs })).catch(() => undefined))?.s !== 'pending', 'the immediate sign-in to settle', timeout);
  return state;
}

for (const target of DOOR_TARGETS) {
  describe(target.name, { concurrency: false }, () => {
    const t = {};
    before(async () => {
      t.rp = await startRelyingParty();
      t.b = await target.launch();
      await t.b.evalBackground((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      const status = await t.b.evalBackground(() => passkeyVault.status());
      assert.equal(status.door, target.door, `Keyport is on the ${target.door} door`);
      t.page = await t.b.newPage();
      await t.page.goto(`${t.rp.origin}/`);
      t.windows = consentWindows({ pages: () => (t.b.context ? t.b.context.pages() : t.b.browser.pages()), extensionOrigin: t.b.extensionOrigin, password: PASSWORD });
    });
    after(async () => {
      await t.b?.close();
      await t.rp?.close();
    });

    test('no passkey for the site: NotAllowedError, no window, after the fixed refusal time', async () => {
      await start(t);
      const { s, ms } = await outcome(t);
      assert.equal(s.name, 'NotAllowedError', JSON.stringify(s));
      assert.ok(ms >= REFUSAL_MS - 5 && ms < 2_000, `answered in ${Math.round(ms)} ms`);
      assert.equal((await t.windows.open()).length, 0, 'no consent window');
    });

    test('a passkey here: the picker opens at once, without "another device"; the sign-in verifies', async () => {
      await t.b.evalBackground(() => passkeyVault.configure({ autoApprove: true }));
      const reg = await t.page.evaluate(() => rp.register('alice', { residentKey: 'required' }));
      assert.equal(reg.verified, true, JSON.stringify(reg));
      await t.b.evalBackground(() => passkeyVault.configure({ autoApprove: false }));

      await start(t);
      const { page, state } = await t.windows.wait();
      assert.equal(state.kind, 'get');
      assert.equal(state.accounts.length, 1, 'alice is offered');
      assert.equal(await page.evaluate(() => !!document.querySelector('#fallback')), false, 'no "another device or security key"');
      if (target.name !== 'chromium-shim') await ui(t.b, page).screens('consent-immediate');
      await t.windows.approve();
      const { s } = await outcome(t);
      assert.equal(s.verified, true, JSON.stringify(s));
      assert.equal(s.userName, 'alice');
    });

    test('the person cancels the picker: NotAllowedError, as with no passkey', async () => {
      await start(t);
      await t.windows.cancel();
      const { s } = await outcome(t);
      assert.equal(s.name, 'NotAllowedError', JSON.stringify(s));
      assert.equal(s.message, 'The operation either timed out or was not allowed.', 'the same message as "no passkey"');
    });

    test('locked: the window asks to unlock; declining is NotAllowedError; unlocking goes on to the picker', async () => {
      await t.b.evalBackground(() => passkeyVault.lock());
      await start(t);
      const first = await t.windows.wait();
      assert.equal(first.state.locked, true, 'the unlock form');
      await t.windows.cancel();
      assert.equal((await outcome(t)).s.name, 'NotAllowedError');

      await start(t);
      await t.windows.approve(); // unlocks with the password, then signs in
      const { s } = await outcome(t);
      assert.equal(s.verified, true, JSON.stringify(s));
    });

    test('without transient activation: NotAllowedError, no window', async () => {
      // The page's call comes 5.5 s after the last activation (the browsers' transient activation lasts 5 s).
      const r = await t.page.evaluate(() => new Promise((done) => setTimeout(() => {
        navigator.credentials.get(/** @type {any} */ ({ uiMode: 'immediate', publicKey: { challenge: new Uint8Array(32) } }))
          .then(() => done({ name: 'credential' }), (e) => done({ name: e.name, message: e.message, active: navigator.userActivation?.isActive }));
      }, 5_500)));
      assert.equal(r.active, false, 'no activation');
      assert.equal(r.name, 'NotAllowedError', JSON.stringify(r));
      assert.match(r.message, /user activation/);
      assert.equal((await t.windows.open()).length, 0, 'no consent window');
    });

    test('with allowCredentials: NotAllowedError; with conditional mediation: NotSupportedError; no window', async () => {
      const r = await t.page.evaluate(async () => {
        const ask = (o) => navigator.credentials.get(o).then(() => 'credential', (e) => e.name);
        return {
          allow: await ask({ uiMode: 'immediate', publicKey: { challenge: new Uint8Array(32), allowCredentials: [{ type: 'public-key', id: new Uint8Array(16) }] } }),
          conditional: await ask({ uiMode: 'immediate', mediation: 'conditional', publicKey: { challenge: new Uint8Array(32) } }),
        };
      });
      assert.deepEqual(r, { allow: 'NotAllowedError', conditional: 'NotSupportedError' });
      assert.equal((await t.windows.open()).length, 0, 'no consent window');
    });

    test('a passkey the site hid (signalUnknownCredential) is not offered: refused as if none', async () => {
      const [row] = await t.b.evalBackground(() => passkeyVault.getCredentials());
      await t.page.evaluate((id) => /** @type {any} */ (PublicKeyCredential).signalUnknownCredential({ rpId: location.hostname, credentialId: id }), row.id);
      await until(async () => (await t.b.evalBackground(() => passkeyVault.getCredentials()))[0].hiddenBySite !== undefined, 'the passkey hidden');
      await start(t);
      const { s, ms } = await outcome(t);
      assert.equal(s.name, 'NotAllowedError', JSON.stringify(s));
      assert.ok(ms >= REFUSAL_MS - 5, `answered in ${Math.round(ms)} ms: ${s.message}`);
      assert.equal((await t.windows.open()).length, 0, 'no consent window');
    });
  });
}

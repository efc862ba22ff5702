// Developer mode (issue 6), driven through the options page and the ceremony inspector in Chromium and
// Firefox: packed self attestation, UV off, a counting signature counter, a per-site rule and a simulated
// error, each as a relying party on @simplewebauthn/server sees it.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/developer.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelyingParty } from '../support/rp.mjs';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { ui } from '../support/ui.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');

let rp;
before(async () => {
  rp = await startRelyingParty();
});
after(() => rp?.close());


async function developerMode(b) {
  await b.evalBackground(() => passkeyVault.setup({ password: 'developer mode password' }));
  const options = ui(b, await b.openExtensionPage('options.html#developer'));
  await options.page.waitForSelector('#dev-enabled');
  await options.click('#dev-enabled');
  await options.click('#dev-auto-approve');
  await options.select('#dev-uv', 'off');
  await options.select('#dev-attestation', 'packed');
  await options.select('#dev-counter', 'increment');
  await options.click('#dev-save');
  // Approving without asking: the master password first (issue 13 item 5); a wrong one turns nothing on.
  assert.equal(await options.attr('#dev-reauth', 'role'), 'alertdialog');
  await options.type('#dev-reauth-password', 'not the developer password');
  await options.click('#dev-reauth-confirm');
  assert.match(await options.text('#dev-reauth-error', 60_000), /master password is not correct/);
  await options.screens('options-developer-reauth-refused');
  const { settings: kept } = await options.page.evaluate(() => (globalThis.browser ?? chrome).runtime.sendMessage({ type: 'dev:get' }));
  assert.deepEqual([kept.enabled, kept.autoApprove], [false, false], 'nothing saved');
  await options.type('#dev-reauth-password', 'developer mode password');
  await options.click('#dev-reauth-confirm');
  assert.match(await options.text('#dev-saved', 60_000), /Developer mode is on/);
  await options.screens('options-developer');

  // A site rule that is not JSON, then one that names no setting: each refused with its reason, nothing saved.
  await options.type('#dev-sites', '[{"match": "localhost",');
  await options.click('#dev-save');
  assert.match(await options.text('#dev-error'), /not valid JSON/);
  await options.type('#dev-sites', '[{"match": "localhost", "colour": "red"}]');
  await options.click('#dev-save');
  assert.match(await options.text('#dev-error'), /colour: is not a developer setting/);

  const site = await b.newPage();
  await site.goto(`${rp.origin}/`);
  const call = (fn, arg) => site.evaluate(fn, arg).catch((e) => ({ thrown: String(e) }));
  const reg = await call(() => rp.register('dev-user', { attestation: 'direct' }).catch((e) => ({ rejected: e })));
  assert.equal(reg.verified, true, JSON.stringify(reg));
  assert.equal(reg.fmt, 'packed', 'self attestation when the site asks for it');
  assert.equal(reg.userVerified, false, 'UV off');
  const counters = [];
  for (let i = 0; i < 2; i++) {
    const r = await call(() => rp.login('dev-user').catch((e) => ({ rejected: e })));
    assert.equal(r.verified, true, JSON.stringify(r));
    counters.push(r.newCounter);
  }
  assert.deepEqual(counters, [1, 2], 'the counter counts up');

  // A simulated NotAllowedError, once.
  await options.select('#dev-next-error', 'NotAllowedError');
  await options.click('#dev-arm');
  assert.match(await options.text('#dev-saved'), /next ceremony ends with NotAllowedError/);
  const failed = await call(() => rp.login('dev-user').catch((e) => ({ rejected: e })));
  assert.equal(failed.rejected?.name, 'NotAllowedError', JSON.stringify(failed));
  const after = await call(() => rp.login('dev-user').catch((e) => ({ rejected: e })));
  assert.equal(after.verified, true, 'only the next ceremony fails');

  // A per-site rule: UV on for localhost only.
  await options.type('#dev-sites', '[{"match": "localhost", "userVerification": "on"}]');
  await options.click('#dev-save');
  await options.text('#dev-saved');
  const ruled = await call(() => rp.login('dev-user').catch((e) => ({ rejected: e })));
  assert.equal(ruled.userVerified, true, JSON.stringify(ruled));

  // The inspector of the relying party's tab: every ceremony, decoded, the checks passing.
  // (Firefox's match patterns take no port: filter the tabs here.)
  const tabs = await b.evalBackground(() => (globalThis.browser ?? chrome).tabs.query({}));
  const tab = tabs.find((t) => t.url?.startsWith(`${rp.origin}/`));
  const inspector = ui(b, await b.openExtensionPage(`inspector.html?tab=${tab.id}`));
  await inspector.page.waitForSelector('article.ceremony');
  await inspector.until(() => document.querySelectorAll('article.ceremony').length === 6);
  assert.equal(await inspector.count('article.ceremony[data-result="error"]'), 1);
  assert.equal(await inspector.count('article.ceremony[data-kind="create"]'), 1);
  await inspector.click('article.ceremony[data-kind="create"] .summary');
  const details = await inspector.text('article.ceremony[data-kind="create"] .details');
  assert.match(details, /packed/);
  assert.match(details, /6b702d4b-6579-706f-7274-410d9e135c27/, 'the AAGUID');
  assert.doesNotMatch(details, /✗/, 'every check passes');
  const on = await inspector.page.$$eval('article.ceremony[data-kind="create"] .flag.on', (es) => es.map((e) => e.textContent));
  assert.deepEqual(on, ['UP', 'BE', 'AT'], 'UV off, not backed up, no extensions');
  await inspector.screens('inspector');
}

for (const target of TARGETS) {
  test(`${target}: developer mode from the options page bends answers as a relying party sees them; the inspector shows each ceremony`, async () => {
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await developerMode(b);
    } finally {
      await b.close();
    }
  });
}

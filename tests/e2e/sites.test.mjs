// Keyport on a realistic site (https://login.example.test, rpId example.test, a throwaway certificate),
// the shape of the builds, and Firefox's opt-in host permissions.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/sites.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRelyingParty } from '../support/rp.mjs';
import { makeCert, chromiumCertArgs, firefoxCertPrefs } from '../support/certs.mjs';
import { CHROME_BUILD, FIREFOX_BUILD, launchChromium, launchFirefox } from '../support/browsers.mjs';
import { ui } from '../support/ui.mjs';

const KEYPORT_AAGUID = '6b702d4b-6579-706f-7274-410d9e135c27';
const cert = makeCert(['example.test', '*.example.test', 'login.example.test']);
let rp;
before(async () => {
  rp = await startRelyingParty({ https: cert, host: 'login.example.test', rpID: 'example.test' });
});
after(() => rp?.close());

const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

test('the MAIN-world bundles use no extension API and no polyfill', () => {
  for (const dir of [CHROME_BUILD, FIREFOX_BUILD]) {
    const shim = manifest(dir).content_scripts.find((c) => c.world === 'MAIN');
    assert.ok(shim, `${dir}: no MAIN-world content script`);
    assert.equal(shim.run_at, 'document_start');
    assert.equal(shim.all_frames, true);
    const source = readFileSync(join(dir, shim.js[0]), 'utf8');
    assert.doesNotMatch(source, /\b(chrome|browser)\s*\.\s*(runtime|storage|tabs|windows|webAuthenticationProxy)\b/);
    assert.doesNotMatch(source, /webextension-polyfill|This script should only be loaded in a browser extension/);
  }
});

test('only the Chromium manifest asks for webAuthenticationProxy; Firefox has a fixed gecko id', () => {
  assert.ok(manifest(CHROME_BUILD).permissions.includes('webAuthenticationProxy'));
  const ff = manifest(FIREFOX_BUILD);
  assert.ok(!ff.permissions.includes('webAuthenticationProxy'));
  assert.equal(ff.manifest_version, 3);
  assert.equal(ff.browser_specific_settings.gecko.id, 'keyport@keyport.dev');
});

/** Register then sign in (discoverable and with allowCredentials) on the https relying party. */
async function ceremoniesOnRealDomain(b) {
  await b.evalBackground(() => passkeyVault.setup({ password: 'a real-domain password' }));
  await b.evalBackground(() => passkeyVault.configure({ autoApprove: true, userVerified: true }));
  const page = await b.newPage();
  await page.goto(`${rp.origin}/`);
  const run = (fn) => page.evaluate(fn).catch((e) => ({ thrown: String(e) }));
  const reg = await run(() => rp.register('dana').catch((e) => ({ rejected: e })));
  assert.equal(reg.verified, true, JSON.stringify(reg));
  assert.equal(reg.aaguid, KEYPORT_AAGUID);
  assert.equal(reg.origin, rp.origin);
  for (const login of [() => rp.login().catch((e) => ({ rejected: e })), () => rp.login('dana').catch((e) => ({ rejected: e }))]) {
    const r = await run(login);
    assert.equal(r.verified, true, JSON.stringify(r));
    assert.equal(r.credentialId, reg.credentialId);
  }
  const creds = await b.evalBackground(() => passkeyVault.getCredentials());
  assert.deepEqual(creds.map((c) => [c.rpId, c.userName]), [['example.test', 'dana']]);
}

test('Chromium (proxy door): a passkey for example.test from https://login.example.test', async () => {
  const b = await launchChromium({ args: chromiumCertArgs(cert) });
  try {
    await ceremoniesOnRealDomain(b);
    assert.equal((await b.evalBackground(() => passkeyVault.status())).door, 'proxy');
  } finally {
    await b.close();
  }
});

test('Firefox: a passkey for example.test from https://login.example.test', async () => {
  const b = await launchFirefox({ prefs: firefoxCertPrefs(cert) });
  try {
    await ceremoniesOnRealDomain(b);
  } finally {
    await b.close();
  }
});

test('Firefox without host access: Keyport asks on install and its popup says what is missing', async () => {
  const b = await launchFirefox({ prefs: { 'extensions.originControls.grantByDefault': false }, keepSetupPage: true });
  try {
    assert.equal(await b.evalBackground(() => browser.permissions.contains({ origins: ['<all_urls>'] })), false);
    // The setup tab opened by runtime.onInstalled (puppeteer shows extension tabs as about:blank: ask the browser);
    // its welcome step asks for the access.
    let tabs = [];
    for (let i = 0; i < 50 && !tabs.some((u) => u?.endsWith('/setup.html')); i++) {
      tabs = await b.evalBackground(async () => (await browser.tabs.query({})).map((t) => t.url));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(tabs.some((u) => u?.endsWith('/setup.html')), `no setup tab on install: ${tabs}`);
    const setup = await b.openExtensionPage('setup.html');
    const ask = await setup.waitForSelector('#host-access', { timeout: 5000 }).then((el) => el.evaluate((n) => n.textContent));
    assert.match(ask, /cannot reach the sites/);
    assert.match(ask, /Allow access to all sites/);
    await ui(b, setup).screens('setup-welcome-no-access');
    const popup = await b.openExtensionPage('popup.html');
    const text = await popup.waitForSelector('[role=alert]', { timeout: 5000 }).then((el) => el.evaluate((n) => n.textContent));
    assert.match(text, /cannot reach the sites/);
    assert.match(text, /Allow access to all sites/);
  } finally {
    await b.close();
  }
});

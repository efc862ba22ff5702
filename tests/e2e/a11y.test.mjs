// Accessibility of Keyport's screens (issue: "consistent in look, accessible (keyboard, labels, contrast), light and
// dark"): axe-core (WCAG 2.0 A/AA and 2.1 AA rules) runs inside every extension page in its main states, in the
// light and the dark theme, and finds nothing; and the settings' navigation is reached with Tab and shows its focus.
// Preconditions are arranged through the automation API: this test is about what the screens are, not the flows.
// Needs the builds: npm run build:all. Run: KEYPORT_TARGETS=chromium node --test tests/e2e/a11y.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { startRelyingParty } from '../support/rp.mjs';
import { cxfDocument, makeForeignPasskey } from '../support/foreign.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'accessible master password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pages = (b) => (b.context ? b.context.pages() : b.browser.pages());
/** Until fn() is true in the page or frame (playwright takes (fn, arg, options), puppeteer (fn, options)). */
const until = (b, p, fn, timeout = 15_000) => (b.browserName === 'chromium' ? p.waitForFunction(fn, null, { timeout }) : p.waitForFunction(fn, { timeout }));
/** The URL a page or frame shows (puppeteer over BiDi may name a window or frame about:blank: ask it). */
const href = (p) => (/^(chrome|moz)-extension:/.test(p.url()) ? p.url() : Promise.race([p.evaluate(() => location.href).catch(() => ''), sleep(400).then(() => '')]));

/**
 * axe-core's violations in `p` (a page or a frame), in each theme; each as one line a person can act on.
 * The source goes in as an evaluated expression (the extension pages' CSP refuses inline scripts).
 */
async function violations(p, state) {
  if (!(await p.evaluate(() => typeof globalThis.axe === 'object'))) await p.evaluate(`${AXE};0`);
  const lines = [];
  for (const theme of ['light', 'dark']) {
    const found = await p.evaluate(async (t) => {
      document.documentElement.dataset.theme = t;
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
      const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa'] });
      if (!r.passes.length) return [{ id: 'axe-did-not-run', impact: 'none', nodes: [{ target: [], failureSummary: 'axe-core checked nothing' }] }];
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary.replace(/\s+/g, ' ') })) }));
    }, theme);
    for (const v of found) for (const n of v.nodes) lines.push(`${state} [${theme}] ${v.id} (${v.impact}) ${n.target}: ${n.summary}`);
  }
  await p.evaluate(() => delete document.documentElement.dataset.theme);
  return lines;
}

for (const target of TARGETS) {
  test(`${target}: every screen passes axe-core (WCAG 2.1 AA) in the light and the dark theme`, { timeout: 300_000 }, async () => {
    const rp = await startRelyingParty();
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    const found = [];
    const check = async (p, state) => {
      found.push(...(await violations(p, state)));
    };
    try {
      // Not set up: the setup page's welcome and password steps, the popup.
      const setup = await b.openExtensionPage('setup.html');
      await until(b, setup, () => !!document.querySelector('#welcome-start'));
      await check(setup, 'setup welcome');
      await setup.click('#welcome-start');
      await until(b, setup, () => !!document.querySelector('.card[data-step=password] input[type=password]'));
      await check(setup, 'setup password');
      await setup.close();
      const fresh = await b.openExtensionPage('popup.html');
      await until(b, fresh, () => !!document.querySelector('main, body > *') && !/Loading/.test(document.body.textContent));
      await check(fresh, 'popup not set up');
      await fresh.close();

      // Set up, with a few passkeys: every settings section, the popup's list.
      await b.evalBackground((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      const doc = cxfDocument(await Promise.all([['a.example', 'ann'], ['b.example', 'bob'], ['c.example', 'cat']].map(([rpId, userName]) => makeForeignPasskey({ rpId, userName }))));
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), doc);
      const options = await b.openExtensionPage('options.html');
      await until(b, options, () => document.querySelectorAll('nav button').length === 5 && !!document.querySelector('main section, main h2'));
      for (const [i, name] of ['security', 'sync', 'transfer', 'developer', 'about'].entries()) {
        await options.evaluate((k) => document.querySelectorAll('nav button')[k].click(), i);
        await until(b, options, (k) => location.hash === `#${k}`, 5_000).catch(() => {});
        await sleep(600);
        await check(options, `options #${name}`);
      }
      await options.close();
      const popup = await b.openExtensionPage('popup.html');
      await until(b, popup, () => document.querySelectorAll('li.passkey').length === 3);
      await check(popup, 'popup unlocked');
      await popup.close();

      // Locked.
      await b.evalBackground(() => passkeyVault.lock());
      const locked = await b.openExtensionPage('popup.html');
      await until(b, locked, () => !!document.querySelector('#password'));
      await check(locked, 'popup locked');
      await locked.close();
      await b.evalBackground((pw) => passkeyVault.unlock(pw), PASSWORD);

      // A real ceremony: a passkey made (auto-approved) for the autofill list; then a create waits in the consent window.
      await b.evalBackground(() => passkeyVault.configure({ autoApprove: true }));
      const site = await b.newPage();
      await site.goto(`${rp.origin}/`);
      assert.equal((await site.evaluate(() => rp.register('ann', { residentKey: 'required' }))).verified, true);
      await b.evalBackground(() => passkeyVault.configure({ autoApprove: false }));
      await site.evaluate(() => void (window.__create = rp.register('bob', { residentKey: 'required' }).catch(() => null)));
      let consent;
      for (const deadline = Date.now() + 15_000; !consent && Date.now() < deadline; await sleep(150)) {
        for (const p of await pages(b)) if ((await href(p)).includes('/consent.html') && (await p.evaluate(() => !!document.querySelector('#approve')).catch(() => false))) consent = p;
      }
      assert.ok(consent, 'the consent window shows the create');
      await check(consent, 'consent create');
      await consent.click('#cancel').catch(() => {});
      await site.evaluate(() => window.__create);

      // The autofill list under the site's field (a frame in the page).
      await site.goto(`${rp.origin}/`);
      await site.evaluate(() => rp.autofill());
      await sleep(500);
      await site.click('#username');
      let list;
      for (const deadline = Date.now() + 15_000; !list && Date.now() < deadline; await sleep(150)) {
        for (const f of site.frames()) if (f !== site.mainFrame() && (await href(f)).includes('/autofill.html') && (await f.evaluate(() => !!document.querySelector('button.account')).catch(() => false))) list = f;
      }
      assert.ok(list, 'the autofill list shows the site’s passkey');
      await check(list, 'autofill list');

      // The inspector, after that ceremony.
      const inspector = await b.openExtensionPage('inspector.html');
      await until(b, inspector, () => !!document.querySelector('main, h1'));
      await sleep(500);
      await check(inspector, 'inspector');
    } finally {
      await b.close();
      await rp.close();
    }
    assert.deepEqual(found, [], `axe-core found ${found.length} violation(s):\n${found.join('\n')}`);
  });

  test(`${target}: the settings' navigation is reached with Tab, each with a visible focus`, async () => {
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await b.evalBackground((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      const options = await b.openExtensionPage('options.html');
      await until(b, options, () => document.querySelectorAll('nav button').length === 5);
      const reached = [];
      for (let i = 0; i < 8; i++) {
        await options.keyboard.press('Tab');
        const at = await options.evaluate(() => {
          const e = document.activeElement;
          return { nav: !!e?.closest('nav') && e.tagName === 'BUTTON', text: e?.textContent?.trim(), outline: getComputedStyle(e).outlineStyle, width: getComputedStyle(e).outlineWidth };
        });
        if (at.nav) reached.push(at);
      }
      assert.deepEqual(reached.map((r) => r.text), ['Security', 'Sync & recovery', 'Import & export', 'Developer', 'About']);
      for (const r of reached) assert.ok(r.outline !== 'none' && r.width !== '0px', `${r.text} shows its focus (${r.outline} ${r.width})`);
    } finally {
      await b.close();
    }
  });
}

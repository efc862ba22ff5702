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
import { SCREENSHOTS } from '../support/ui.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PASSWORD = 'accessible master password';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pages = (b) => (b.context ? b.context.pages() : b.browser.pages());
/**
 * Until fn(arg) is true in the page or frame (playwright takes (fn, arg, options), puppeteer (fn, options, arg)).
 * A function, never a string: an extension page's CSP forbids eval, which Playwright's polling of a string needs.
 */
const until = (b, p, fn, timeout = 15_000, arg = null) => (b.browserName === 'chromium' ? p.waitForFunction(fn, arg, { timeout }) : p.waitForFunction(fn, { timeout }, arg));
/** The URL a page or frame shows (puppeteer over BiDi may name a window or frame about:blank: ask it). */
const href = (p) => (/^(chrome|moz)-extension:/.test(p.url()) ? p.url() : Promise.race([p.evaluate(() => location.href).catch(() => ''), sleep(400).then(() => '')]));

/**
 * axe-core's violations in `p` (a page or a frame), in each theme; each as one line a person can act on.
 * The source goes in as an evaluated expression (the extension pages' CSP refuses inline scripts).
 */
async function violations(p, state, browserName) {
  if (!(await p.evaluate(() => typeof globalThis.axe === 'object'))) await p.evaluate(`${AXE};0`);
  const lines = [];
  if (!p.__axeUnsure) {
    // What axe could not decide (text over an image or a gradient): noted in the log for a person to look at.
    p.__axeUnsure = true;
    const unsure = await p.evaluate(async () => (await axe.run(document, { runOnly: ['color-contrast'] })).incomplete.flatMap((v) => v.nodes.map((n) => n.target.join(' '))));
    if (unsure.length) console.log(`${state}: axe could not decide the contrast of ${unsure.join(', ')}`);
  }
  for (const theme of ['light', 'dark']) {
    const found = await p.evaluate(async (t) => {
      document.documentElement.dataset.theme = t;
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50)));
      const r = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa'] });
      if (!r.passes.length) return [{ id: 'axe-did-not-run', impact: 'none', nodes: [{ target: [], failureSummary: 'axe-core checked nothing' }] }];
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary.replace(/\s+/g, ' ') })) }));
    }, theme);
    found.push(...(await p.evaluate(nonTextContrast)));
    // The screen as axe saw it (a page; the autofill list is a frame, its screenshots are autofill.test.mjs's).
    if (p.screenshot) await p.screenshot({ path: `${SCREENSHOTS}/a11y-${state.replace(/\W+/g, '-')}-${browserName}-${theme}.png`, fullPage: true });
    for (const v of found) for (const n of v.nodes) lines.push(`${state} [${theme}] ${v.id} (${v.impact}) ${n.target}: ${n.summary}`);
  }
  await p.evaluate(() => delete document.documentElement.dataset.theme);
  return lines;
}

/**
 * WCAG 1.4.11 (non-text contrast), which axe-core leaves to people: a text field's edge (its border, or its own
 * background) stands out 3:1 from what is behind it, and its placeholder 4.5:1 (WCAG 1.4.3). Runs in the page; the
 * violations in axe's shape.
 */
function nonTextContrast() {
  const rgba = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
  /** @type {(color: number[], base: number[]) => number[]} */
  const over = ([r, g, b, a = 1], [R, G, B]) => [r * a + R * (1 - a), g * a + G * (1 - a), b * a + B * (1 - a)];
  const behind = (e) => {
    for (let p = e; p; p = p.parentElement) {
      const c = rgba(getComputedStyle(p).backgroundColor);
      if (c.length && (c[3] ?? 1) > 0) return over(c, [255, 255, 255]);
    }
    return [255, 255, 255];
  };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (x, y) => (Math.max(lum(x), lum(y)) + 0.05) / (Math.min(lum(x), lum(y)) + 0.05);
  const hex = (rgb) => `#${rgb.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
  const nodes = [];
  const placeholders = [];
  for (const e of /** @type {NodeListOf<HTMLInputElement>} */ (document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea'))) {
    const s = getComputedStyle(e);
    if (!e.getClientRects().length || s.visibility === 'hidden') continue;
    const outside = behind(e.parentElement);
    const own = rgba(s.backgroundColor);
    const inside = own.length && (own[3] ?? 1) > 0 ? over(own, outside) : outside;
    const border = s.borderTopStyle !== 'none' && parseFloat(s.borderTopWidth) > 0 ? over(rgba(s.borderTopColor), inside) : inside;
    const best = Math.max(ratio(border, outside), ratio(border, inside), ratio(inside, outside));
    const target = e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}${e.getAttribute('name') ? `[name=${e.getAttribute('name')}]` : ''}`;
    if (best < 3) nodes.push({ target, summary: `the field's edge has a contrast of ${best.toFixed(2)} (border ${hex(border)}, behind ${hex(outside)}). Expected 3:1` });
    // Its placeholder is text too (WCAG 1.4.3, 4.5:1), which axe-core does not look at.
    if (e.placeholder && !e.value) {
      const ph = getComputedStyle(e, '::placeholder');
      const [r, g, b, a = 1] = rgba(ph.color);
      const shown = over([r, g, b, a * Number(ph.opacity || 1)], inside);
      const text = ratio(shown, inside);
      if (text < 4.5) placeholders.push({ target, summary: `the placeholder has a contrast of ${text.toFixed(2)} (${hex(shown)} on ${hex(inside)}). Expected 4.5:1` });
    }
  }
  return [...(nodes.length ? [{ id: 'non-text-contrast', impact: 'serious', nodes }] : []), ...(placeholders.length ? [{ id: 'placeholder-contrast', impact: 'serious', nodes: placeholders }] : [])];
}

for (const target of TARGETS) {
  test(`${target}: every screen passes axe-core (WCAG 2.1 AA) in the light and the dark theme`, { timeout: 300_000 }, async () => {
    const rp = await startRelyingParty();
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    const found = [];
    const check = async (p, state) => {
      found.push(...(await violations(p, state, b.browserName)));
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
      const unready = await b.openExtensionPage('options.html');
      await until(b, unready, () => !!document.querySelector('#new-title'));
      await check(unready, 'options not set up');
      await unready.close();

      // Set up, with a few passkeys: every settings section, the popup's list.
      await b.evalBackground((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      const doc = cxfDocument(await Promise.all([['a.example', 'ann'], ['b.example', 'bob'], ['c.example', 'cat']].map(([rpId, userName]) => makeForeignPasskey({ rpId, userName }))));
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), doc);
      const options = await b.openExtensionPage('options.html');
      await until(b, options, () => document.querySelectorAll('nav button').length === 6 && !!document.querySelector('main section, main h2'));
      // An excluded site, so that Settings → Sites has its list (and its Remove button) to check.
      await options.evaluate(() => (globalThis.browser ?? globalThis.chrome).runtime.sendMessage({ type: 'sites:exclude', url: 'https://a.example/' }));
      for (const [i, name] of ['security', 'sync', 'sites', 'transfer', 'developer', 'about'].entries()) {
        await options.evaluate((k) => /** @type {HTMLElement} */ (document.querySelectorAll('nav button')[k]).click(), i);
        await until(b, options, (hash) => location.hash === hash, 5_000, `#${name}`);
        await sleep(600);
        await check(options, `options #${name}`);
      }
      // Reflow (WCAG 1.4.10): at 320 CSS pixels wide, no section scrolls sideways.
      await (options.setViewportSize ? options.setViewportSize({ width: 320, height: 640 }) : options.setViewport({ width: 320, height: 640 }));
      for (const [i, name] of ['security', 'sync', 'sites', 'transfer', 'developer', 'about'].entries()) {
        await options.evaluate((k) => /** @type {HTMLElement} */ (document.querySelectorAll('nav button')[k]).click(), i);
        await until(b, options, (hash) => location.hash === hash, 5_000, `#${name}`);
        await sleep(300);
        const wide = await options.evaluate(() => {
          const over = [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && e.getClientRects().length);
          return { scroll: document.scrollingElement.scrollWidth, inner: innerWidth, over: over.slice(0, 4).map((e) => e.id ? `#${e.id}` : `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`) };
        });
        await options.screenshot({ path: `${SCREENSHOTS}/a11y-options-${name}-320-${b.browserName}.png`, fullPage: true });
        if (wide.scroll > wide.inner) found.push(`options #${name} [320 px] reflow: the page is ${wide.scroll} px wide in ${wide.inner} (widest: ${wide.over.join(', ')})`);
      }
      await options.close();
      // Re-authentication (a new recovery code), with the sentence for a wrong master password.
      const reauth = await b.openExtensionPage('options.html#sync');
      await until(b, reauth, () => !!document.querySelector('#rotate'));
      await reauth.click('#rotate');
      await until(b, reauth, () => !!document.querySelector('#rotate-password'));
      await reauth.type('#rotate-password', 'not the password');
      await reauth.click('#rotate-confirm');
      await until(b, reauth, () => !!document.querySelector('#rotate-error'), 60_000);
      await check(reauth, 'options re-authentication');
      await reauth.close();
      const popup = await b.openExtensionPage('popup.html');
      await until(b, popup, () => document.querySelectorAll('li.passkey').length === 3);
      await check(popup, 'popup unlocked');
      // A removal's confirmation: a dialog named by what it removes.
      await popup.click('li.passkey .delete');
      await until(b, popup, () => !!document.querySelector('li.passkey [role=alertdialog]'));
      await check(popup, 'popup remove confirmation');
      await popup.close();

      // Locked.
      await b.evalBackground(() => passkeyVault.lock());
      const locked = await b.openExtensionPage('popup.html');
      await until(b, locked, () => !!document.querySelector('#password'));
      await check(locked, 'popup locked');
      await locked.close();
      const lockedOptions = await b.openExtensionPage('options.html');
      await until(b, lockedOptions, () => !!document.querySelector('main input[type=password]'));
      await check(lockedOptions, 'options locked');
      await lockedOptions.close();
      await b.evalBackground((pw) => passkeyVault.unlock(pw), PASSWORD);

      // A real ceremony: a passkey made (auto-approved) for the autofill list; then a create waits in the consent window.
      await b.evalBackground(() => passkeyVault.configure({ autoApprove: true }));
      const site = await b.newPage();
      await site.goto(`${rp.origin}/`);
      assert.equal((await site.evaluate(() => window.rp.register('ann', { residentKey: 'required' }))).verified, true);
      await b.evalBackground(() => passkeyVault.configure({ autoApprove: false }));
      await site.evaluate(() => void (window.__create = window.rp.register('bob', { residentKey: 'required' }).catch(() => null)));
      /** The consent window once it shows `selector`. */
      const consentShowing = async (selector) => {
        for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(150)) {
          for (const p of await pages(b)) if ((await href(p)).includes('/consent.html') && (await p.evaluate((s) => !!document.querySelector(s), selector).catch(() => false))) return p;
        }
        assert.fail(`no consent window shows ${selector}`);
      };
      const consent = await consentShowing('#approve');
      await check(consent, 'consent create');
      await consent.click('#cancel').catch(() => {});
      await site.evaluate(() => window.__create);
      // A sign-in: the account picker.
      await site.evaluate(() => void (window.__get = window.rp.login().catch(() => null)));
      const picker = await consentShowing('input[name=account]');
      await check(picker, 'consent sign-in');
      await picker.click('#cancel').catch(() => {});
      await site.evaluate(() => window.__get);
      // A site that would rather have a phone (hints): the window leads with the browser's own authenticators.
      await site.evaluate(() => void (window.__hinted = (async () => {
        const res = await fetch('/login/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        const options = PublicKeyCredential.parseRequestOptionsFromJSON(await res.json());
        return navigator.credentials.get({ publicKey: /** @type {PublicKeyCredentialRequestOptions} */ ({ ...options, hints: ['hybrid'] }) });
      })().catch(() => null)));
      const hinted = await consentShowing('#prefers');
      await check(hinted, 'consent sign-in, a phone preferred');
      await hinted.click('#cancel').catch(() => {});
      await site.evaluate(() => window.__hinted);

      // The autofill list under the site's field (a frame in the page).
      await site.goto(`${rp.origin}/`);
      await site.evaluate(() => window.rp.autofill());
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

  test(`${target}: Tab reaches the settings' navigation and every control of each section, each with a visible focus`, async () => {
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await b.evalBackground((pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      const options = await b.openExtensionPage('options.html');
      await until(b, options, () => document.querySelectorAll('nav button').length === 6);
      await options.evaluate(() => (globalThis.browser ?? globalThis.chrome).runtime.sendMessage({ type: 'sites:exclude', url: 'https://a.example/' }));
      /** Where the focus is after one Tab, and how it shows (its outline's contrast with the page: WCAG 1.4.11, 3:1). */
      const tab = async (page = options) => {
        await page.keyboard.press('Tab');
        return page.evaluate(() => {
          const e = document.activeElement;
          if (!e || e === document.body) return null;
          const s = getComputedStyle(e);
          const lum = (c) => {
            const [r, g, b] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const [hi, lo] = [lum(s.outlineColor), lum(getComputedStyle(document.body).backgroundColor)].sort((x, y) => y - x);
          return {
            nav: !!e.closest('nav') && e.tagName === 'BUTTON', fv: e.matches(':focus-visible'),
            name: e.id ? `#${e.id}` : `${e.tagName.toLowerCase()} "${(e.textContent ?? '').trim().slice(0, 30)}"`,
            outline: s.outlineStyle,
            width: s.outlineWidth,
            // 'auto' is the browser's own focus ring, drawn in its own contrasting colors.
            contrast: s.outlineStyle === 'auto' ? 21 : (hi + 0.05) / (lo + 0.05),
          };
        });
      };
      const shows = (at, where) => {
        assert.ok(at.outline !== 'none' && at.width !== '0px', `${where}: ${at.name} shows its focus (${at.outline} ${at.width} focus-visible:${at.fv})`);
        assert.ok(at.contrast >= 3, `${where}: ${at.name}'s focus outline stands out 3:1 (${at.contrast.toFixed(2)})`);
      };

      const nav = [];
      for (let i = 0; i < 9; i++) {
        const at = await tab();
        if (at?.nav) {
          nav.push(at.name);
          shows(at, 'navigation');
        }
      }
      assert.deepEqual(nav, ['#nav-security', '#nav-sync', '#nav-sites', '#nav-transfer', '#nav-developer', '#nav-about']);

      await options.close();
      for (const section of ['security', 'sync', 'sites', 'transfer', 'developer', 'about']) {
        // Each section on its own page (a focus that left the page for the browser's toolbar does not come back
        // as a keyboard focus): Tab from the top, past the navigation, through the section until the focus leaves it.
        const page = await b.openExtensionPage(`options.html#${section}`);
        await until(b, page, (hash) => location.hash === hash && document.querySelectorAll('nav button').length === 6 && !!document.querySelector('main h2'), 15_000, `#${section}`);
        await sleep(500);
        const seen = [];
        for (let i = 0; i < 70; i++) {
          const at = await tab(page);
          if (at?.nav) continue;
          if (!at || seen.includes(at.name)) break;
          seen.push(at.name);
          shows(at, `#${section}`);
        }
        await page.close();
        console.log(`#${section}: ${seen.length} controls reached with Tab: ${seen.join(', ')}`);
        assert.ok(seen.length > 0 || section === 'about', `Tab reaches the controls of #${section}`);
      }
    } finally {
      await b.close();
    }
  });
}

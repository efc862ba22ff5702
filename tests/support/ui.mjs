// The same few page operations over playwright (Chromium) and puppeteer (Firefox), for E2E tests that drive
// Keyport's own screens as a person would.
//
//   const u = ui(b, await b.openExtensionPage('options.html'));  // b from launchChromium() / launchFirefox()
//   await u.type('#sync-url', url); await u.click('#sync-connect'); await u.text('#sync-notice');

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

export const SCREENSHOTS = resolve('tests/screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

/**
 * @param {{browserName: 'chromium'|'firefox'}} b
 * @param {any} page  a playwright or puppeteer page
 */
export function ui(b, page) {
  const chromium = b.browserName === 'chromium';
  return {
    page,
    click: (sel) => page.click(sel),
    select: (sel, value) => (chromium ? page.selectOption(sel, value) : page.select(sel, value)),
    /** Replaces the field's value by typing, as a person would, once the field is there. */
    async type(sel, text) {
      await page.waitForSelector(sel, { timeout: 30_000 });
      if (chromium) await page.fill(sel, text);
      else {
        // Cleared as a person would see it: the page hears an input event (Svelte's bindings listen for it).
        await page.$eval(sel, (e) => {
          e.value = '';
          e.dispatchEvent(new Event('input', { bubbles: true }));
        });
        await page.type(sel, text);
      }
    },
    async upload(sel, path) {
      if (chromium) await page.setInputFiles(sel, path);
      else await (await page.$(sel)).uploadFile(path);
    },
    /** The element's text, once it is there. */
    async text(sel, timeout = 30_000) {
      await page.waitForSelector(sel, { timeout });
      return page.$eval(sel, (e) => e.textContent);
    },
    count: (sel) => page.$$eval(sel, (es) => es.length),
    disabled: (sel) => page.$eval(sel, (e) => e.disabled),
    attr: (sel, name) => page.$eval(sel, (e, n) => e.getAttribute(n), name),
    /** Until fn(arg) is true in the page (playwright takes (fn, arg, options), puppeteer (fn, options, arg)). */
    until: (fn, timeout = 10_000, arg = null) => (chromium ? page.waitForFunction(fn, arg, { timeout }) : page.waitForFunction(fn, { timeout }, arg)),
    /**
     * The screen as it is now, in the light and the dark theme (tests/screenshots/<name>-<browser>-<theme>.png),
     * set as Settings → Appearance sets it (data-theme on <html>), then back to the system's.
     */
    async screens(name) {
      for (const theme of ['light', 'dark']) {
        await page.evaluate((t) => (document.documentElement.dataset.theme = t), theme);
        await page.screenshot({ path: `${SCREENSHOTS}/${name}-${b.browserName}-${theme}.png`, fullPage: true });
      }
      await page.evaluate(() => delete document.documentElement.dataset.theme);
    },
  };
}

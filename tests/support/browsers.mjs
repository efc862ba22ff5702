// Browser launchers for end-to-end tests. Uses the system browsers only
// (/usr/bin/chromium via playwright-core, /usr/bin/firefox-esr via puppeteer-core
// over WebDriver BiDi); nothing is downloaded.
//
// launchChromium() and launchFirefox() return the same shape:
//   { browserName, extensionId, extensionOrigin, newPage(), openExtensionPage(path),
//     evalBackground(fn, arg), close() }
// Pages are playwright / puppeteer pages; both have goto(url) and evaluate(fn, arg).

import { chromium } from 'playwright-core';
import { extensionArgs } from '../../src/testing/chromium.js';
import { closeSetupPage } from '../../src/testing/authenticator.js';
import puppeteer from 'puppeteer-core';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const CHROME_BUILD = resolve('.output/chrome-mv3');
export const FIREFOX_BUILD = resolve('.output/firefox-mv3');
export const FIREFOX_ADDON_ID = 'keyport@keyport.dev';
/** Fixed moz-extension UUID, so extension pages have a known origin. */
export const FIREFOX_UUID = '6b9f0e3c-2f2e-4a43-9b1a-6b6579706f72';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} ExtensionBrowser
 * @property {'chromium'|'firefox'} browserName
 * @property {string} extensionId      Chromium: generated id; Firefox: the pinned UUID
 * @property {string} extensionOrigin  'chrome-extension://<id>' or 'moz-extension://<uuid>'
 * @property {() => Promise<any>} newPage
 * @property {(path?: string) => Promise<any>} openExtensionPage  new page showing <origin>/<path>
 * @property {<A, R>(fn: (arg: A) => R, arg?: A) => Promise<Awaited<R>>} evalBackground
 *           run fn(arg) in the background (free identifiers resolve to background globals,
 *           e.g. `() => passkeyVault.ping()`); arg and result must be serializable
 * @property {() => Promise<void>} close
 */

/**
 * Chromium with unpacked extensions, headless, via playwright-core.
 * @param {object} [opts]
 * @param {string[]} [opts.extensions=[CHROME_BUILD]]  unpacked extension dirs
 * @param {string[]} [opts.args=[]]  extra Chromium flags (e.g. chromiumCertArgs(cert))
 * @param {string} [opts.extensionName='Keyport']  manifest name of the extension under test
 * @param {boolean} [opts.headless=true]
 * @param {boolean} [opts.keepSetupPage=false]  leave the setup tab that Keyport opens on install (closed by default:
 *           it would take the focus from the test's pages, which Chromium's WebAuthn requires)
 * @returns {Promise<ExtensionBrowser & {context: import('playwright-core').BrowserContext,
 *           worker: import('playwright-core').Worker}>}
 */
export async function launchChromium({
  extensions = [CHROME_BUILD], args = [], extensionName = 'Keyport', headless = true, keepSetupPage = false,
} = {}) {
  const dirs = extensions.map((d) => resolve(d)).join(',');
  const context = await chromium.launchPersistentContext('', {
    executablePath: CHROMIUM_PATH,
    headless,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [...extensionArgs(dirs), ...args],
  });
  try {
    const worker = await findExtensionWorker(context, extensionName);
    const extensionId = new URL(worker.url()).host;
    const extensionOrigin = `chrome-extension://${extensionId}`;
    if (extensionName === 'Keyport' && !keepSetupPage) await closeSetupPage((fn, arg) => worker.evaluate(fn, arg));
    return {
      browserName: 'chromium',
      context,
      worker,
      extensionId,
      extensionOrigin,
      newPage: () => context.newPage(),
      async openExtensionPage(path = 'popup.html') {
        const page = await context.newPage();
        await page.goto(`${extensionOrigin}/${path}`);
        return page;
      },
      evalBackground: /** @type {ExtensionBrowser['evalBackground']} */ ((fn, arg) => inCurrentWorker(context, extensionOrigin, fn, arg)),
      close: () => context.close(),
    };
  } catch (err) {
    await context.close();
    throw err;
  }
}

/**
 * Runs fn(arg) in the extension's current service worker. Chromium stops an idle worker and starts another on the
 * next event: a call that finds the worker gone tries the newest one, and wakes a stopped one with an extension page.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} origin  the extension's origin
 * @param {any} fn
 * @param {any} arg
 */
async function inCurrentWorker(context, origin, fn, arg) {
  for (let i = 0; ; i++) {
    const w = context.serviceWorkers().filter((s) => s.url().startsWith(`${origin}/`)).at(-1);
    if (w) {
      try {
        return await w.evaluate(fn, arg);
      } catch (e) {
        if (i > 50 || !/closed|destroyed|Target/.test(String(e))) throw e;
      }
    } else if (i > 100) throw new Error(`no service worker for ${origin}`);
    else if (i === 5) {
      // A stopped worker wakes on any event: an extension page loading is one.
      const p = await context.newPage();
      await p.goto(`${origin}/popup.html`).catch(() => {});
      await sleep(300);
      await p.close();
    }
    await sleep(100);
  }
}

/**
 * Wait for the service worker of the extension whose manifest name is `name`.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} name
 * @param {number} [timeout=10000]
 */
export async function findExtensionWorker(context, name, timeout = 10_000) {
  const checked = new WeakSet();
  for (const deadline = Date.now() + timeout; Date.now() < deadline; await sleep(50)) {
    for (const worker of context.serviceWorkers()) {
      if (checked.has(worker) || !worker.url().startsWith('chrome-extension://')) continue;
      checked.add(worker);
      const manifestName = await worker.evaluate(() => chrome.runtime.getManifest().name).catch(() => null);
      if (manifestName === name) return worker;
    }
  }
  throw new Error(`no service worker for extension "${name}" after ${timeout} ms`);
}

/**
 * Firefox ESR with the extension installed as a temporary add-on, headless,
 * via puppeteer-core over WebDriver BiDi.
 *
 * evalBackground works through a helper tab showing an extension page
 * (`extensionPage`, default popup.html): it calls browser.runtime.getBackgroundPage()
 * there and runs fn with the background window as scope. If the build has no such
 * page (the early stub), a temporary copy of the extension with a blank page is used.
 *
 * @param {object} [opts]
 * @param {string} [opts.extension=FIREFOX_BUILD]  unpacked extension dir
 * @param {Record<string, any>} [opts.prefs={}]  extra Firefox prefs (e.g. firefoxCertPrefs(cert))
 * @param {string} [opts.extensionPage='popup.html']
 * @param {boolean} [opts.headless=true]
 * @param {boolean} [opts.keepSetupPage=false]  leave the setup tab that Keyport opens on install
 * @returns {Promise<ExtensionBrowser & {browser: import('puppeteer-core').Browser,
 *           helperPage: import('puppeteer-core').Page}>}
 */
export async function launchFirefox({
  extension = FIREFOX_BUILD, prefs = {}, extensionPage = 'popup.html', headless = true, keepSetupPage = false,
} = {}) {
  let dir = resolve(extension);
  let tmpCopy = null;
  if (!existsSync(join(dir, extensionPage))) {
    tmpCopy = mkdtempSync(join(tmpdir(), 'keyport-ff-'));
    cpSync(dir, tmpCopy, { recursive: true });
    writeFileSync(join(tmpCopy, extensionPage), '<!doctype html><title>e2e helper</title>');
    dir = tmpCopy;
  }
  const extensionOrigin = `moz-extension://${FIREFOX_UUID}`;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    protocol: 'webDriverBiDi',
    headless,
    args: ['--remote-allow-system-access'],
    acceptInsecureCerts: true,
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [FIREFOX_ADDON_ID]: FIREFOX_UUID }),
      // MV3 host permissions (<all_urls>) granted at install, also for temporary add-ons.
      'extensions.originControls.grantByDefault': true,
      ...prefs,
    },
  });
  const close = async () => {
    await browser.close();
    if (tmpCopy) rmSync(tmpCopy, { recursive: true, force: true });
  };
  try {
    await browser.installExtension(dir);

    /** @param {string} path */
    const openExtensionPage = async (path = extensionPage) => {
      const page = await browser.newPage();
      const url = `${extensionOrigin}/${path}`;
      // goto() to a moz-extension: URL never reports completion (the navigation itself
      // does happen): fire it with a short timeout, then wait for the location instead.
      await page.goto(url, { timeout: 100 }).catch(() => {});
      await page.waitForFunction((u) => location.href === u && document.readyState !== 'loading',
        { timeout: 10_000, polling: 50 }, url);
      return page;
    };
    const helperPage = await openExtensionPage(extensionPage);
    // fn is compiled in the helper page; `with (bg)` makes its free identifiers
    // resolve to the background window's globals (passkeyVault, browser, ...).
    const evalBackground = /** @type {ExtensionBrowser['evalBackground']} */ ((fn, arg) => helperPage.evaluate(`(async () => {
        const bg = await browser.runtime.getBackgroundPage();
        with (bg) { return await (${fn.toString()})(${JSON.stringify(arg)}); }
      })()`));
    if (!keepSetupPage && !tmpCopy) await closeSetupPage(evalBackground);

    return {
      browserName: 'firefox',
      browser,
      helperPage,
      extensionId: FIREFOX_UUID,
      extensionOrigin,
      newPage: () => browser.newPage(),
      openExtensionPage,
      evalBackground,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Plain Chromium (no extension) with a DevTools virtual authenticator (CTAP2,
 * internal, resident keys, UV, automatic presence): the reference browser for
 * differential tests. The authenticator is attached to `page` only.
 * @param {object} [opts]
 * @param {string[]} [opts.args=[]]  extra Chromium flags
 * @param {object} [opts.authenticator={}]  overrides for WebAuthn.addVirtualAuthenticator options
 * @returns {Promise<{browser: import('playwright-core').Browser, page: import('playwright-core').Page,
 *           cdp: import('playwright-core').CDPSession, authenticatorId: string,
 *           getCredentials: () => Promise<any[]>, close: () => Promise<void>}>}
 */
export async function launchChromiumWithVirtualAuthenticator({ args = [], authenticator = {} } = {}) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', ...args],
  });
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
        ...authenticator,
      },
    });
    return {
      browser,
      page,
      cdp,
      authenticatorId,
      getCredentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
      close: () => browser.close(),
    };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

// @ts-check
// Firefox with Keyport, through puppeteer-core over WebDriver BiDi: the extension installed as a temporary add-on
// with a known moz-extension UUID, and Keyport's background page reached from one of the extension's own pages
// (browser.runtime.getBackgroundPage()). Playwright cannot load extensions into Firefox; puppeteer can.
//
//   const { browser, keyport, newPage, close } = await launchKeyportFirefox();
//   const page = await newPage();   // create() and get() are answered by Keyport at once

import { randomUUID } from 'node:crypto';
import { keyportAuthenticator, setUpKeyport } from './authenticator.js';
import { DEFAULT_FIREFOX_EXTENSION, FIREFOX_ADDON_ID, checkExtensionDir } from './extensions.js';
import { readState } from './state.js';

export { DEFAULT_FIREFOX_EXTENSION };
export const DEFAULT_FIREFOX_PATH = '/usr/bin/firefox-esr';

/**
 * puppeteer-core, an optional peer dependency: imported only when a launch needs it.
 * @returns {Promise<import('puppeteer-core').PuppeteerNode>}
 */
async function puppeteerCore() {
  try {
    // Its default export is the PuppeteerNode instance; its .d.ts describe the module as CommonJS.
    const module = /** @type {{ default: import('puppeteer-core').PuppeteerNode }} */ (/** @type {unknown} */ (await import('puppeteer-core')));
    return module.default;
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === 'ERR_MODULE_NOT_FOUND') throw new Error('launchKeyportFirefox needs puppeteer-core: npm install -D puppeteer-core');
    throw e;
  }
}

/**
 * @typedef {object} FirefoxLaunchOptions
 * @property {string} [extensionDir]   Keyport's unpacked Firefox build (default: the one inside this package)
 * @property {string} [executablePath='/usr/bin/firefox-esr']
 * @property {boolean} [headless=true]
 * @property {Record<string, unknown>} [prefs={}]  further Firefox preferences (they win over the defaults below)
 * @property {string[]} [args=[]]      further Firefox arguments
 * @property {boolean} [acceptInsecureCerts=true]  for relying parties on https with a throwaway certificate
 * @property {boolean} [setUp=true]    set up a fresh vault as a test authenticator
 */

/**
 * @typedef {object} KeyportFirefox
 * @property {import('puppeteer-core').Browser} browser
 * @property {import('./authenticator.js').KeyportAuthenticator} keyport
 * @property {string} extensionOrigin  'moz-extension://<uuid>'
 * @property {import('./authenticator.js').EvalBackground} evalBackground
 * @property {() => Promise<import('puppeteer-core').Page>} newPage
 * @property {() => Promise<void>} close
 */

/**
 * Launches Firefox with Keyport; with setUp (the default) the vault is fresh, with a random password, developer mode
 * and automatic presence simulation on.
 *
 * Preferences set: the add-on's UUID; host permissions granted at install (Firefox MV3 makes them opt-in); the
 * background's idle timeout at its maximum, 5 minutes (Firefox suspends an idle event page after 30 s, and the
 * ceremony log and a simulated error live in its memory).
 * @param {FirefoxLaunchOptions & import('./authenticator.js').SetUpOptions} [opts]
 * @returns {Promise<KeyportFirefox>}
 */
export async function launchKeyportFirefox({
  extensionDir = DEFAULT_FIREFOX_EXTENSION,
  executablePath = DEFAULT_FIREFOX_PATH,
  headless = true,
  prefs = {},
  args = [],
  acceptInsecureCerts = true,
  setUp = true,
  ...setUpOptions
} = {}) {
  // Every argument is checked before the browser starts.
  const { dir } = checkExtensionDir(extensionDir, 'firefox');
  if (setUpOptions.state !== undefined) readState(setUpOptions.state, 'state');
  const puppeteer = await puppeteerCore();
  const addonId = FIREFOX_ADDON_ID;
  const uuid = randomUUID();
  const extensionOrigin = `moz-extension://${uuid}`;
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath,
    protocol: 'webDriverBiDi',
    headless,
    // browser.installExtension needs it (WebDriver BiDi webExtension.install).
    args: ['--remote-allow-system-access', ...args],
    acceptInsecureCerts,
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [addonId]: uuid }),
      'extensions.originControls.grantByDefault': true,
      'extensions.background.idle.timeout': 300_000,
      ...prefs,
    },
  });
  try {
    await browser.installExtension(dir);
    const helper = await browser.newPage();
    const url = `${extensionOrigin}/popup.html`;
    // goto() to a moz-extension: URL never reports completion (the navigation does happen): start it, then wait
    // for the location instead.
    await helper.goto(url, { timeout: 100 }).catch(() => {});
    await helper.waitForFunction((u) => location.href === u && document.readyState !== 'loading', { timeout: 10_000, polling: 50 }, url);

    /** @type {import('./authenticator.js').EvalBackground} */
    const evalBackground = async (fn, arg) => {
      // fn is compiled in the extension page; `with (bg)` makes its free identifiers the background's globals. The
      // result crosses as JSON text (the background's objects belong to another compartment).
      /** @type {unknown} */
      const json = await helper.evaluate(`(async () => {
        const bg = await browser.runtime.getBackgroundPage();
        with (bg) { return JSON.stringify((await (${fn.toString()})(${JSON.stringify(arg)})) ?? null); }
      })()`);
      if (typeof json !== 'string') throw new Error(`Keyport's background answered ${typeof json}, not JSON text`);
      /** @type {unknown} */
      const value = JSON.parse(json);
      return /** @type {Awaited<ReturnType<typeof fn>>} JSON of what fn resolved to */ (value);
    };
    const pages = () => browser.pages();
    const keyport = setUp
      ? await setUpKeyport(evalBackground, { ...setUpOptions, pages, extensionOrigin })
      : keyportAuthenticator(evalBackground, { pages, extensionOrigin });
    return { browser, keyport, extensionOrigin, evalBackground, newPage: () => browser.newPage(), close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

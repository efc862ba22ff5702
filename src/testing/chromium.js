// @ts-check
// Chromium with Keyport, through Playwright: a persistent context (a throwaway profile) with the unpacked extension,
// and Keyport's background (a service worker) to run the automation API in. Used by the Playwright Test fixture
// (playwright.js) and usable on its own, e.g. from node:test, with @playwright/test or playwright-core installed.
//
//   const { context, keyport, close } = await launchKeyportChromium();
//   const page = await context.newPage();   // create() and get() are answered by Keyport at once

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { keyportAuthenticator, setUpKeyport } from './authenticator.js';
import { DEFAULT_CHROMIUM_EXTENSION, checkExtensionDir } from './extensions.js';
import { readState } from './state.js';

export { DEFAULT_CHROMIUM_EXTENSION };
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Playwright's chromium, from the test runner when it is installed (one copy of Playwright in the process), else
 * from playwright-core. Both are optional peer dependencies: imported only when a launch needs one.
 * @returns {Promise<import('@playwright/test').BrowserType>}
 */
async function playwrightChromium() {
  for (const name of ['@playwright/test', 'playwright-core']) {
    try {
      /** @type {unknown} */
      const module = await import(name);
      return /** @type {{ chromium: import('@playwright/test').BrowserType }} */ (module).chromium;
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  throw new Error('launchKeyportChromium needs Playwright: npm install -D @playwright/test');
}

/**
 * Chromium's flags for unpacked extensions in a test profile (Playwright passes --disable-extensions by default:
 * leave it out with `ignoreDefaultArgs: ['--disable-extensions']`).
 * @param {string} dirs  comma-separated extension directories
 * @returns {string[]}
 */
export const extensionArgs = (dirs) => [
  '--no-sandbox',
  `--disable-extensions-except=${dirs}`,
  `--load-extension=${dirs}`,
  '--disable-background-networking',
  '--disable-component-update',
];

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} ChromiumLaunchOptions
 * @property {string} [extensionDir]     Keyport's unpacked Chromium build (default: the one inside this package)
 * @property {string} [executablePath='/usr/bin/chromium']
 * @property {boolean} [headless=true]
 * @property {string[]} [args=[]]        further Chromium flags
 * @property {string[]} [extensions=[]]  further unpacked extensions to load beside Keyport
 * @property {import('@playwright/test').BrowserContextOptions} [contextOptions]  e.g. { baseURL, ignoreHTTPSErrors, viewport }
 * @property {import('@playwright/test').BrowserType} [browserType]  Playwright's chromium; the Playwright Test fixture passes the test runner's
 * @property {'proxy'|'shim'} [door='proxy']  how requests reach Keyport: Chromium's WebAuthn proxy (Keyport's default
 *           in Chromium), or Keyport's page script, as when another extension holds the proxy (a small extension
 *           that holds it is loaded first). Chromium's proxy raises any timeout below 3 minutes to 3 minutes; through
 *           the page script the relying party's own timeout applies (e.g. to a simulated timeout).
 * @property {boolean} [setUp=true]      set up a fresh vault as a test authenticator (false: Keyport as a person finds it)
 */

/**
 * @typedef {object} KeyportChromium
 * @property {import('@playwright/test').BrowserContext} context
 * @property {import('./authenticator.js').KeyportAuthenticator} keyport
 * @property {string} extensionId
 * @property {string} extensionOrigin  'chrome-extension://<id>'
 * @property {import('./authenticator.js').EvalBackground} evalBackground
 * @property {() => Promise<import('@playwright/test').Page>} newPage
 * @property {() => Promise<void>} close
 */

/**
 * Launches Chromium with Keyport; with setUp (the default) the vault is fresh, with a random password, developer mode
 * and automatic presence simulation on.
 * @param {ChromiumLaunchOptions & import('./authenticator.js').SetUpOptions} [opts]
 * @returns {Promise<KeyportChromium>}
 */
export async function launchKeyportChromium({
  extensionDir = DEFAULT_CHROMIUM_EXTENSION,
  executablePath = DEFAULT_CHROMIUM_PATH,
  headless = true,
  args = [],
  extensions = [],
  contextOptions = {},
  browserType,
  door = 'proxy',
  setUp = true,
  ...setUpOptions
} = {}) {
  // Every argument is checked before the browser starts.
  if (door !== 'proxy' && door !== 'shim') throw new TypeError(`door must be "proxy" or "shim", got ${String(door)}`);
  const { dir, manifest } = checkExtensionDir(extensionDir, 'chromium');
  const name = manifest.name;
  if (setUpOptions.state !== undefined) readState(setUpOptions.state, 'state');
  const launcher = browserType ?? (await playwrightChromium());
  const holder = door === 'shim' ? proxyHolder() : undefined;
  const dirs = [...(holder ? [holder] : []), dir, ...extensions.map((d) => resolve(d))].join(',');
  const removeHolder = () => holder && rmSync(holder, { recursive: true, force: true });
  const context = await launcher.launchPersistentContext('', {
    ...contextOptions,
    executablePath,
    headless,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [...extensionArgs(dirs), ...args],
  }).catch((/** @type {Error} */ e) => {
    removeHolder();
    throw e;
  });
  const close = async () => {
    await context.close();
    removeHolder();
  };
  try {
    // The holder attaches before Keyport's vault is set up (Keyport attaches then).
    if (holder) await (await findWorker(context, HOLDER_NAME)).evaluate(() => /** @type {{ attached?: Promise<void> }} */ (globalThis).attached);
    const worker = await findWorker(context, name);
    const extensionId = new URL(worker.url()).host;
    const extensionOrigin = `chrome-extension://${extensionId}`;
    const evalBackground = backgroundOf(context, extensionOrigin);
    const pages = () => context.pages();
    const keyport = setUp
      ? await setUpKeyport(evalBackground, { ...setUpOptions, pages, extensionOrigin })
      : keyportAuthenticator(evalBackground, { pages, extensionOrigin });
    if (setUp && (await keyport.status()).door !== door) throw new Error(`Keyport answers through the ${door === 'proxy' ? 'page script: another extension holds Chromium\'s WebAuthn proxy' : 'proxy, not the page script'}`);
    return { context, keyport, extensionId, extensionOrigin, evalBackground, newPage: () => context.newPage(), close };
  } catch (err) {
    await close();
    throw err;
  }
}

const HOLDER_NAME = 'Keyport testing: WebAuthn proxy holder';

/** A minimal extension that attaches Chromium's WebAuthn proxy and never answers, in a temporary directory. */
function proxyHolder() {
  const dir = mkdtempSync(join(tmpdir(), 'keyport-proxy-holder-'));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    manifest_version: 3,
    name: HOLDER_NAME,
    version: '1.0',
    permissions: ['webAuthenticationProxy'],
    background: { service_worker: 'background.js' },
  }));
  writeFileSync(join(dir, 'background.js'), 'globalThis.attached = chrome.webAuthenticationProxy.attach();\n');
  return dir;
}

/**
 * The service worker of the extension named `name` (the manifest's name).
 * @param {import('@playwright/test').BrowserContext} context
 * @param {string} name
 */
async function findWorker(context, name, timeout = 10_000) {
  const checked = new WeakSet();
  for (const deadline = Date.now() + timeout; Date.now() < deadline; await sleep(50)) {
    for (const worker of context.serviceWorkers()) {
      if (checked.has(worker) || !worker.url().startsWith('chrome-extension://')) continue;
      checked.add(worker);
      const found = await worker.evaluate(() => chrome.runtime.getManifest().name).catch(() => null);
      if (found === name) return worker;
    }
  }
  throw new Error(`Chromium started no service worker for the extension "${name}" in ${timeout} ms`);
}

/**
 * evalBackground for Chromium: the extension's current service worker. Chromium may stop an idle worker and start
 * a new one (Keyport keeps its unlocked key in storage.session, so the vault stays open); a stopped one is woken by
 * opening one of the extension's pages.
 * @param {import('@playwright/test').BrowserContext} context
 * @param {string} extensionOrigin
 * @returns {import('./authenticator.js').EvalBackground}
 */
function backgroundOf(context, extensionOrigin) {
  return async (fn, arg) => {
    for (let attempt = 0; ; attempt++) {
      const worker = context.serviceWorkers().filter((w) => w.url().startsWith(`${extensionOrigin}/`)).at(-1);
      if (worker) {
        try {
          return await worker.evaluate(/** @type {any} */ (fn), arg);
        } catch (e) {
          if (attempt > 50 || !/closed|destroyed|Target/i.test(String(e))) throw e;
        }
      } else if (attempt > 100) {
        throw new Error('Keyport: no service worker in Chromium');
      } else if (attempt === 5) {
        const page = await context.newPage();
        await page.goto(`${extensionOrigin}/popup.html`).catch(() => {});
        await sleep(300);
        await page.close();
      }
      await sleep(100);
    }
  };
}

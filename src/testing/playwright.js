// @ts-check
// The Playwright Test fixture: every test gets Chromium with Keyport and a fresh vault (a throwaway profile, a random
// master password, developer mode and automatic presence simulation on), and `keyport`, the authenticator to drive.
//
//   import { test, expect } from '@keyport/testing/playwright';
//   test.use({ isUserVerified: false, keyportState: 'playwright/.auth/passkeys.json' });
//   test('sign up', async ({ page, keyport }) => { ... });   // keyport.credentials: Playwright's shape
//
// `context` and so `page` are Keyport's Chromium (a persistent context: Chromium loads extensions only there), with
// the project's baseURL, ignoreHTTPSErrors, viewport and locale. Chromium only: Playwright cannot load an extension
// into Firefox (use keyport/testing/puppeteer there).

import { test as base, expect, chromium } from '@playwright/test';
import { DEFAULT_CHROMIUM_EXTENSION, DEFAULT_CHROMIUM_PATH, launchKeyportChromium } from './chromium.js';
import { readState } from './state.js';

export { expect };

/**
 * Options, set with test.use({ ... }) or in the config's `use`.
 * @typedef {object} KeyportOptions
 * @property {string} extensionDir      Keyport's Chromium build (default: the one inside this package)
 * @property {string} executablePath    Chromium (default /usr/bin/chromium)
 * @property {string[]} chromiumArgs    further Chromium flags
 * @property {'proxy'|'shim'} door      how requests reach Keyport (default 'proxy'; see chromium.js: 'shim' keeps the
 *                                      relying party's timeout, which Chromium's proxy raises to 3 minutes)
 * @property {string | undefined} keyportPassword  the vault's master password (default: random per test)
 * @property {boolean} automaticPresenceSimulation  false: each ceremony waits for its consent window (default true)
 * @property {boolean} isUserVerified   the UV flag Keyport answers (default true)
 * @property {import('./authenticator.js').DeveloperSettings} developerSettings  e.g. { attestation: 'packed' }
 * @property {string | import('./state.js').KeyportState | undefined} keyportState  passkeys the vault starts with: a
 *                                      file keyport.saveState(path) wrote, or its content (default none)
 * @property {boolean} reuseKeyportBrowser  true: one Chromium and vault per worker, reset before each test (no
 *                                      passkeys, ceremonies or settings of the last test; its pages closed, cookies
 *                                      and local storage cleared): about a second and a half less per test. Default
 *                                      false: a new browser and vault per test
 */

/**
 * Fixtures.
 * @typedef {object} KeyportFixtures
 * @property {import('./authenticator.js').KeyportAuthenticator} keyport  the authenticator (this test's vault)
 * @property {string} extensionId
 * @property {import('./chromium.js').KeyportChromium} keyportBrowser  the launch: context, evalBackground, extensionOrigin
 */

/**
 * The worker's shared launch (reuseKeyportBrowser), made on first use and again when the launch options change.
 * @typedef {{ _keyportShared: { get: (launch: import('./chromium.js').ChromiumLaunchOptions, settings: import('./authenticator.js').SetUpOptions) => Promise<import('./chromium.js').KeyportChromium> } }} KeyportWorkerFixtures
 */

/**
 * @typedef {import('@playwright/test').PlaywrightTestArgs & import('@playwright/test').PlaywrightTestOptions} BaseTestArgs
 * @typedef {import('@playwright/test').PlaywrightWorkerArgs & import('@playwright/test').PlaywrightWorkerOptions} BaseWorkerArgs
 */

/** @type {import('@playwright/test').TestType<BaseTestArgs & KeyportOptions & KeyportFixtures, BaseWorkerArgs & KeyportWorkerFixtures>} */
export const test = base.extend(/** @type {import('@playwright/test').Fixtures<KeyportOptions & KeyportFixtures, KeyportWorkerFixtures, BaseTestArgs, BaseWorkerArgs>} */ ({
  extensionDir: [DEFAULT_CHROMIUM_EXTENSION, { option: true }],
  executablePath: [DEFAULT_CHROMIUM_PATH, { option: true }],
  chromiumArgs: [[], { option: true }],
  door: ['proxy', { option: true }],
  keyportPassword: [undefined, { option: true }],
  automaticPresenceSimulation: [true, { option: true }],
  isUserVerified: [true, { option: true }],
  developerSettings: [{}, { option: true }],
  keyportState: [undefined, { option: true }],

  reuseKeyportBrowser: [false, { option: true }],

  keyportBrowser: async ({ extensionDir, executablePath, chromiumArgs, door, headless, baseURL, ignoreHTTPSErrors, viewport, locale, keyportPassword, automaticPresenceSimulation, isUserVerified, developerSettings, keyportState, reuseKeyportBrowser, _keyportShared }, use) => {
    const launch = {
      extensionDir,
      executablePath,
      headless,
      args: chromiumArgs,
      door,
      browserType: chromium,
      contextOptions: {
        ...(baseURL !== undefined ? { baseURL } : {}),
        ...(ignoreHTTPSErrors !== undefined ? { ignoreHTTPSErrors } : {}),
        ...(viewport !== undefined ? { viewport } : {}),
        ...(locale !== undefined ? { locale } : {}),
      },
      ...(keyportPassword !== undefined ? { password: keyportPassword } : {}),
    };
    const settings = { automaticPresenceSimulation, isUserVerified, developer: developerSettings };
    if (!reuseKeyportBrowser) {
      const launched = await launchKeyportChromium({ ...launch, ...settings, ...(keyportState !== undefined ? { state: keyportState } : {}) });
      try {
        await use(launched);
      } finally {
        await launched.close();
      }
      return;
    }
    const state = keyportState === undefined ? [] : readState(keyportState, 'keyportState');
    const launched = await _keyportShared.get(launch, settings);
    await launched.keyport.reset(settings);
    for (const p of state) await launched.keyport.addCredential(p);
    try {
      await use(launched);
    } finally {
      // The next test starts with no pages, cookies or local storage of this one.
      for (const page of launched.context.pages()) await page.close().catch(() => {});
      // An older Playwright (the peer range starts at 1.50) has no setStorageState.
      /** @type {{ setStorageState?: (state: { cookies: [], origins: [] }) => Promise<void> }} */
      const context = launched.context;
      if (typeof context.setStorageState === 'function') await context.setStorageState({ cookies: [], origins: [] });
      else await launched.context.clearCookies();
    }
  },
  _keyportShared: [async ({}, use) => {
    /** @type {{ key: string, launched: import('./chromium.js').KeyportChromium } | undefined} */
    let shared;
    await use({
      async get(launch, settings) {
        const key = JSON.stringify({ ...launch, browserType: undefined });
        if (shared?.key === key) return shared.launched;
        await shared?.launched.close();
        shared = undefined;
        shared = { key, launched: await launchKeyportChromium({ ...launch, ...settings }) };
        return shared.launched;
      },
    });
    await shared?.launched.close();
  }, { scope: 'worker' }],
  context: async ({ keyportBrowser }, use) => {
    await use(keyportBrowser.context);
  },
  keyport: async ({ keyportBrowser }, use) => {
    await use(keyportBrowser.keyport);
  },
  extensionId: async ({ keyportBrowser }, use) => {
    await use(keyportBrowser.extensionId);
  },
}));

// @ts-check
// The Playwright Test fixture: every test gets Chromium with Keyport and a fresh vault (a throwaway profile, a random
// master password, developer mode and automatic presence simulation on), and `keyport`, the authenticator to drive.
//
//   import { test, expect } from 'keyport/testing/playwright';
//   test.use({ extensionDir: '/path/to/chrome-mv3', isUserVerified: false });
//   test('sign up', async ({ page, keyport }) => { ... });
//
// `context` and so `page` are Keyport's Chromium (a persistent context: Chromium loads extensions only there), with
// the project's baseURL, ignoreHTTPSErrors, viewport and locale. Chromium only: Playwright cannot load an extension
// into Firefox (use keyport/testing/puppeteer there).

import { test as base, expect, chromium } from '@playwright/test';
import { DEFAULT_CHROMIUM_EXTENSION, DEFAULT_CHROMIUM_PATH, launchKeyportChromium } from './chromium.js';

export { expect };

/**
 * Options, set with test.use({ ... }) or in the config's `use`.
 * @typedef {object} KeyportOptions
 * @property {string} extensionDir      Keyport's Chromium build (default: this repository's .output/chrome-mv3)
 * @property {string} executablePath    Chromium (default /usr/bin/chromium)
 * @property {string[]} chromiumArgs    further Chromium flags
 * @property {'proxy'|'shim'} door      how requests reach Keyport (default 'proxy'; see chromium.js: 'shim' keeps the
 *                                      relying party's timeout, which Chromium's proxy raises to 3 minutes)
 * @property {string | undefined} keyportPassword  the vault's master password (default: random per test)
 * @property {boolean} automaticPresenceSimulation  false: each ceremony waits for its consent window (default true)
 * @property {boolean} isUserVerified   the UV flag Keyport answers (default true)
 * @property {import('./authenticator.js').DeveloperSettings} developerSettings  e.g. { attestation: 'packed' }
 */

/**
 * Fixtures.
 * @typedef {object} KeyportFixtures
 * @property {import('./authenticator.js').KeyportAuthenticator} keyport  the authenticator (this test's vault)
 * @property {string} extensionId
 * @property {import('./chromium.js').KeyportChromium} keyportBrowser  the launch: context, evalBackground, extensionOrigin
 */

/**
 * @typedef {import('@playwright/test').PlaywrightTestArgs & import('@playwright/test').PlaywrightTestOptions} BaseTestArgs
 * @typedef {import('@playwright/test').PlaywrightWorkerArgs & import('@playwright/test').PlaywrightWorkerOptions} BaseWorkerArgs
 */

/** @type {import('@playwright/test').TestType<BaseTestArgs & KeyportOptions & KeyportFixtures, BaseWorkerArgs>} */
export const test = base.extend(/** @type {import('@playwright/test').Fixtures<KeyportOptions & KeyportFixtures, {}, BaseTestArgs, BaseWorkerArgs>} */ ({
  extensionDir: [DEFAULT_CHROMIUM_EXTENSION, { option: true }],
  executablePath: [DEFAULT_CHROMIUM_PATH, { option: true }],
  chromiumArgs: [[], { option: true }],
  door: ['proxy', { option: true }],
  keyportPassword: [undefined, { option: true }],
  automaticPresenceSimulation: [true, { option: true }],
  isUserVerified: [true, { option: true }],
  developerSettings: [{}, { option: true }],

  keyportBrowser: async ({ extensionDir, executablePath, chromiumArgs, door, headless, baseURL, ignoreHTTPSErrors, viewport, locale, keyportPassword, automaticPresenceSimulation, isUserVerified, developerSettings }, use) => {
    const launched = await launchKeyportChromium({
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
      automaticPresenceSimulation,
      isUserVerified,
      developer: developerSettings,
    });
    try {
      await use(launched);
    } finally {
      await launched.close();
    }
  },
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

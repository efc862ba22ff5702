// The three ways Keyport meets a page, for E2E suites that run each scenario on all of them: Chromium's proxy door,
// Chromium's page-script door (tests/support/proxy-holder holds the proxy, as another extension would) and Firefox.
// KEYPORT_TARGETS=chromium-proxy,firefox runs some of them only.

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { CHROME_BUILD, FIREFOX_BUILD, launchChromium, launchFirefox } from './browsers.mjs';

export const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/** @typedef {{ name: string, chromium: boolean, door: 'proxy' | 'shim', launch: () => ReturnType<typeof launchChromium> | ReturnType<typeof launchFirefox> }} DoorTarget */

/** @type {DoorTarget[]} */
const ALL = [
  { name: 'chromium-proxy', chromium: true, door: 'proxy', launch: () => launchChromium({ extensions: [CHROME_BUILD] }) },
  { name: 'chromium-shim', chromium: true, door: 'shim', launch: () => launchChromium({ extensions: [CHROME_BUILD, resolve('tests/support/proxy-holder')] }) },
  { name: 'firefox', chromium: false, door: 'shim', launch: () => launchFirefox({ extension: FIREFOX_BUILD }) },
];

const only = process.env.KEYPORT_TARGETS?.split(',');
/** The targets this run covers. */
export const DOOR_TARGETS = ALL.filter((t) => !only || only.includes(t.name));

/**
 * Until cond() is true, polling every 100 ms; fails the test with `what` after `timeout`.
 * @param {() => unknown} cond @param {string} what @param {number} [timeout]
 */
export async function until(cond, what, timeout = 10_000) {
  for (const deadline = Date.now() + timeout; Date.now() < deadline; await sleep(100)) if (await cond()) return;
  assert.fail(`timed out waiting for ${what}`);
}

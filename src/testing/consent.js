// @ts-check
// Keyport's consent window (entrypoints/consent) as test code drives it: the popup window that a ceremony opens
// when automatic presence simulation is off, or when the vault is locked. Works with Playwright and puppeteer
// pages alike (both have url(), evaluate(), click(); typing differs), so the caller passes how to list them.
//
// The window's elements: #password (the vault is locked: unlock form), #verify-password (the site requires user
// verification and the person decides it), input[name=account][value=<base64url id>] (sign-in account choice),
// #approve ("Create passkey", "Sign in", or "OK" for an excluded passkey; disabled for its first 500 ms on screen,
// and again when the window's content changes), #fallback ("Use another device or
// security key"), #cancel, and [role=alert] for an error.

import * as v from 'valibot';

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The part of a Playwright or puppeteer page used here.
 * @typedef {object} AnyPage
 * @property {() => string} url
 * @property {(fn: () => unknown) => Promise<unknown>} evaluate  what comes back from the page is checked here
 * @property {(selector: string) => Promise<void>} click
 * @property {(selector: string, text: string) => Promise<void>} [fill]   Playwright
 * @property {(selector: string, text: string) => Promise<void>} [type]   puppeteer
 */

/**
 * @typedef {object} ConsentDeps
 * @property {() => Promise<AnyPage[]> | AnyPage[]} pages  every open page of the browser
 * @property {string} extensionOrigin  'chrome-extension://<id>' or 'moz-extension://<uuid>'
 * @property {string} [password]       the master password, typed when the window asks for it
 */

/**
 * @typedef {object} ConsentState
 * @property {boolean} locked     the unlock form is shown
 * @property {boolean} ready      a decision button is shown and enabled (or only the password is missing)
 * @property {boolean} verify     the window asks for the master password to verify the person
 * @property {boolean} excluded   the "you already have a passkey" notice
 * @property {'create'|'get'|null} kind
 * @property {string[]} accounts  base64url credential ids offered for a sign-in
 * @property {string|null} error
 */

// What readState answered, checked where it crosses back from the page.
const ConsentStateSchema = v.object({
  locked: v.boolean(),
  ready: v.boolean(),
  verify: v.boolean(),
  excluded: v.boolean(),
  kind: v.nullable(v.picklist(['create', 'get'])),
  accounts: v.array(v.string()),
  error: v.nullable(v.string()),
});

/**
 * Reads the window's state (runs in the consent page).
 * @returns {ConsentState}
 */
function readState() {
  const $ = (/** @type {string} */ s) => document.querySelector(s);
  const approve = /** @type {HTMLButtonElement | null} */ ($('#approve'));
  const verify = !!$('#verify-password');
  const kind = !$('main header') ? null : /^Create/.test($('main header')?.textContent?.trim() ?? '') ? 'create' : 'get';
  return {
    locked: !!$('#password'),
    ready: !!approve && (!approve.disabled || verify),
    verify,
    excluded: !!$('[role=status]'),
    kind,
    accounts: [...document.querySelectorAll('input[name=account]')].map((i) => /** @type {HTMLInputElement} */ (i).value),
    error: $('[role=alert]')?.textContent ?? null,
  };
}

/** An action that closes its own window may see the page go away under it. */
const closing = (/** @type {Promise<unknown>} */ p) => p.catch((e) => {
  if (!/closed|detached|destroyed|Target|No target|navigat/i.test(String(e))) throw e;
});

/**
 * @param {ConsentDeps} deps
 */
export function consentWindows({ pages, extensionOrigin, password }) {
  const prefix = `${extensionOrigin}/consent.html`;

  /** Open consent windows. Puppeteer over WebDriver BiDi reports a popup window's URL as about:blank: ask the page. */
  async function open() {
    /** @type {AnyPage[]} */
    const found = [];
    for (const p of await pages()) {
      const url = p.url();
      if (url.startsWith(prefix)) found.push(p);
      else if (url === 'about:blank' || url === '') {
        const href = await Promise.race([p.evaluate(() => location.href).catch(() => ''), sleep(500).then(() => '')]);
        if (typeof href === 'string' && href.startsWith(prefix)) found.push(p);
      }
    }
    return found;
  }

  /**
   * The first consent window whose state satisfies `cond`, with that state.
   * @param {(s: ConsentState) => boolean} cond
   * @param {string} what
   * @param {number} timeout
   * @returns {Promise<{ page: AnyPage, state: ConsentState }>}
   */
  async function waitFor(cond, what, timeout) {
    return /** @type {{ page: AnyPage, state: ConsentState }} */ (await waitForOrGone(cond, what, timeout, false));
  }

  /**
   * Like waitFor; with `gone`, also resolves to null once no consent window is open.
   * @param {(s: ConsentState) => boolean} cond
   * @param {string} what
   * @param {number} timeout
   * @param {boolean} gone
   */
  async function waitForOrGone(cond, what, timeout, gone) {
    for (const deadline = Date.now() + timeout; ; await sleep(100)) {
      const windows = await open();
      for (const page of windows) {
        const answer = v.safeParse(ConsentStateSchema, await page.evaluate(readState).catch(() => null));
        const state = answer.success ? answer.output : null;
        if (state && cond(state)) return { page, state };
      }
      if (gone && windows.length === 0) return null;
      if (Date.now() > deadline) throw new Error(`Keyport consent window: none ${what} after ${timeout} ms`);
    }
  }

  /** @param {AnyPage} page @param {string} selector @param {string} text */
  const typeInto = (page, selector, text) => (page.fill ? page.fill(selector, text) : /** @type {NonNullable<AnyPage['type']>} */ (page.type)(selector, text));

  /**
   * Unlocks the vault from the window if it shows the unlock form; resolves once a decision can be made, or to null
   * when unlocking was all the ceremony needed (automatic presence simulation on: the window closes by itself).
   * @param {number} timeout
   * @param {string} [credentialId]
   */
  async function readyWindow(timeout, credentialId) {
    let { page, state } = await waitFor((s) => s.locked || s.ready || s.excluded, 'is showing', timeout);
    if (state.locked) {
      if (!password) throw new Error('Keyport consent window: the vault is locked and no password was given');
      await typeInto(page, '#password', password);
      await closing(page.click('button[type=submit]'));
      const next = await waitForOrGone((s) => (!s.locked && s.ready) || s.excluded || (s.locked && !!s.error), 'unlocked', timeout, true);
      if (!next) return null;
      ({ page, state } = next);
      if (state.locked) throw new Error(`Keyport consent window: unlock failed: ${state.error}`);
    }
    if (credentialId !== undefined && state.kind === 'get') {
      ({ page, state } = await waitFor((s) => s.accounts.includes(credentialId), `offering the account ${credentialId}`, timeout));
    }
    return { page, state };
  }

  return {
    /** Open consent windows (pages), none when no ceremony waits. */
    open,

    /**
     * Waits for a consent window and returns its page and state.
     * @param {{ timeout?: number }} [opts]
     */
    async wait({ timeout = 10_000 } = {}) {
      return waitFor((s) => s.locked || s.ready || s.excluded, 'is showing', timeout);
    },

    /**
     * Approves the waiting ceremony as a person would: unlocks first if the window asks, types the master password
     * when the site requires user verification, picks `credentialId` (base64url) among the accounts of a sign-in
     * (default: the first, which is the one used most recently), and presses the main button.
     * @param {{ credentialId?: string, timeout?: number }} [opts]
     */
    async approve({ credentialId, timeout = 10_000 } = {}) {
      const ready = await readyWindow(timeout, credentialId);
      if (!ready) return;
      const { page, state } = ready;
      if (credentialId !== undefined && state.kind === 'get') await page.click(`input[name=account][value="${credentialId}"]`);
      if (state.verify) {
        if (!password) throw new Error('Keyport consent window: the site requires user verification and no password was given');
        await typeInto(page, '#verify-password', password);
      }
      // The window takes no decision in its first half second on screen (input protection): wait for the button.
      for (const deadline = Date.now() + timeout; !(await page.evaluate(() => !(/** @type {HTMLButtonElement | null} */ (document.querySelector('#approve'))?.disabled ?? true)).catch(() => false)); await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`Keyport consent window: the approve button stayed disabled for ${timeout} ms`);
      }
      await closing(page.click('#approve'));
    },

    /**
     * Cancels the waiting ceremony (the page gets NotAllowedError).
     * @param {{ timeout?: number }} [opts]
     */
    async cancel({ timeout = 10_000 } = {}) {
      const { page } = await waitFor((s) => s.locked || s.ready || s.excluded, 'is showing', timeout);
      await closing(page.click('#cancel'));
    },

    /**
     * "Use another device or security key": hands the request to the browser's own WebAuthn.
     * @param {{ timeout?: number }} [opts]
     */
    async fallback({ timeout = 10_000 } = {}) {
      const ready = await readyWindow(timeout);
      if (!ready) throw new Error('Keyport consent window: it closed after unlocking (automatic presence simulation is on)');
      await closing(ready.page.click('#fallback'));
    },

    /**
     * Resolves once no consent window is open.
     * @param {{ timeout?: number }} [opts]
     */
    async closed({ timeout = 5_000 } = {}) {
      for (const deadline = Date.now() + timeout; Date.now() < deadline; await sleep(100)) {
        if ((await open()).length === 0) return;
      }
      throw new Error(`Keyport consent window: still open after ${timeout} ms`);
    },
  };
}

/** @typedef {ReturnType<typeof consentWindows>} ConsentWindows */

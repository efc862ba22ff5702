// @ts-check
// Keyport as a virtual authenticator for relying-party tests (issue 6): the methods of Chromium's DevTools
// WebAuthn domain (addCredential, getCredentials, removeCredential, clearCredentials, setUserVerified,
// setAutomaticPresenceSimulation) over Keyport's automation API (README "Automation API", the background's
// globalThis.passkeyVault), plus what only Keyport has: the decoded ceremony log (lastCeremony), simulated errors,
// developer settings, and the consent window.
//
// The browser is the caller's: keyportAuthenticator takes `evalBackground(fn, arg)`, which runs fn(arg) in
// Keyport's background (free identifiers resolve to its globals) and resolves to its JSON-serializable result.
// chromium.js (Playwright) and puppeteer.js (Firefox) launch a browser and make one; playwright.js is the
// Playwright Test fixture.

import { randomBytes } from 'node:crypto';
import { credentialIdOf, toAutomationCredential, toVirtualCredential } from './credentials.js';
import { consentWindows } from './consent.js';

/** @typedef {import('./credentials.js').CredentialInput} CredentialInput */
/** @typedef {import('./credentials.js').VirtualCredential} VirtualCredential */
/** @typedef {import('./consent.js').AnyPage} AnyPage */

/**
 * Runs fn(arg) in Keyport's background; arg and the result must survive JSON.
 * @typedef {<R>(fn: (arg: any) => R | Promise<R>, arg?: any) => Promise<R>} EvalBackground
 */

/**
 * Developer settings (src/devtools/settings.ts), any subset; configure() merges them over the current ones.
 * @typedef {object} DeveloperSettings
 * @property {boolean} [enabled]
 * @property {boolean} [autoApprove]
 * @property {'none'|'packed'} [attestation]   packed: self attestation, when the relying party asks for attestation
 * @property {number[]} [algorithms]           preference among -7 (ES256), -8 (EdDSA), -257 (RS256)
 * @property {'person'|'on'|'off'|'up-only'} [userVerification]
 * @property {boolean} [backupEligible]
 * @property {boolean} [backupState]
 * @property {{ mode: 'zero' } | { mode: 'increment' } | { mode: 'fixed', value: number }} [counter]
 * @property {Array<{ match: string } & Record<string, unknown>>} [sites]  per-site overrides, first match wins
 */

/**
 * A decoded ceremony (src/devtools/inspect.ts CeremonyRecord): kind, origin, rpId, options, result, error, and
 * credential with clientData, authenticatorData (rpIdHash, flags UP/UV/BE/BS/AT/ED, signCount),
 * attestationObject, signature, each with the relying party's checks `{ name, ok, expected, got }`.
 * @typedef {Record<string, any> & { kind: 'create'|'get', origin: string, rpId: string|null,
 *   result: 'credential'|'error'|'fallback'|'unknown', seq: number }} CeremonyRecord
 */

/** @typedef {{ tabId?: number, origins?: string[] }} CeremonyFilter */

/**
 * @typedef {object} SetUpOptions
 * @property {string} [password]  the master password; default: a random one (keyport.password)
 * @property {boolean} [automaticPresenceSimulation=true]  ceremonies complete without the consent window
 * @property {boolean} [isUserVerified=true]  the UV flag Keyport answers (see setUserVerified)
 * @property {DeveloperSettings} [developer]  further developer settings, e.g. { attestation: 'packed' }
 */

/** A random master password for a throwaway vault. */
export const randomPassword = () => randomBytes(18).toString('base64url');

/**
 * Keyport as a virtual authenticator, for a browser whose Keyport vault is already set up.
 * @param {EvalBackground} evalBackground
 * @param {object} [opts]
 * @param {() => Promise<AnyPage[]> | AnyPage[]} [opts.pages]  every open page (for the consent window helpers)
 * @param {string} [opts.extensionOrigin]  'chrome-extension://<id>' or 'moz-extension://<uuid>'
 * @param {string} [opts.password]  the vault's master password (unlock(), and the consent window's password fields)
 */
export function keyportAuthenticator(evalBackground, { pages = () => [], extensionOrigin = '', password } = {}) {
  /**
   * passkeyVault[method](...args) in the background. Arguments go as JSON: an undefined one would arrive as null,
   * so callers pass only the arguments they have.
   * @param {string} method
   * @param {unknown[]} [args]
   * @returns {Promise<any>}
   */
  const call = (method, args = []) =>
    evalBackground(async ({ method, args }) => {
      // @ts-expect-error: a global of Keyport's background
      const vault = /** @type {Record<string, (...a: unknown[]) => Promise<unknown>>} */ (passkeyVault);
      return JSON.parse(JSON.stringify((await vault[method]?.(...args)) ?? null));
    }, { method, args }).catch((/** @type {Error} */ e) => {
      // Playwright prefixes "worker.evaluate: " and appends its call log; puppeteer gives the error as text.
      const message = String(e?.message ?? e).replace(/^worker\.evaluate: /, '').split('\n')[0];
      throw new Error(`Keyport's passkeyVault.${method}: ${message}`, { cause: e });
    });

  const consent = consentWindows({ pages, extensionOrigin, ...(password !== undefined ? { password } : {}) });

  /** @param {unknown} value @param {string} what */
  const boolean = (value, what) => {
    if (typeof value !== 'boolean') throw new TypeError(`${what} must be true or false, got ${typeof value}`);
    return value;
  };

  /**
   * Every passkey, in CDP's shape (base64 credentialId and userHandle) with `id` in base64url beside it.
   * The private keys (base64 PKCS#8) come only with { includePrivateKeys: true }.
   * @param {{ includePrivateKeys?: boolean }} [opts]
   * @returns {Promise<VirtualCredential[]>}
   */
  async function getCredentials({ includePrivateKeys = false } = {}) {
    const list = await call('getCredentials', [{ includePrivateKeys: boolean(includePrivateKeys, 'includePrivateKeys') }]);
    return list.map(toVirtualCredential);
  }

  return {
    evalBackground,
    extensionOrigin,
    password,

    // ---- Chromium's WebAuthn domain ----

    /**
     * Adds a passkey made elsewhere (CDP WebAuthn.addCredential, or the toJSON / PKCS#8 form: see credentials.js).
     * Resolves to its id, base64url.
     * @param {CredentialInput} credential
     * @returns {Promise<string>}
     */
    async addCredential(credential) {
      return call('addCredential', [await toAutomationCredential(credential)]);
    },

    getCredentials,

    /**
     * One passkey by id (bytes, base64 or base64url), or undefined.
     * @param {import('./credentials.js').BytesLike} credentialId
     * @param {{ includePrivateKeys?: boolean }} [opts]
     */
    async getCredential(credentialId, opts) {
      const id = credentialIdOf(credentialId, 'getCredential: credentialId');
      return (await getCredentials(opts)).find((c) => c.id === id);
    },

    /**
     * Removes a passkey (bytes, base64 or base64url id); true if it was there.
     * @param {import('./credentials.js').BytesLike} credentialId
     * @returns {Promise<boolean>}
     */
    async removeCredential(credentialId) {
      return call('removeCredential', [credentialIdOf(credentialId, 'removeCredential: credentialId')]);
    },

    /** Removes every passkey; resolves to how many there were. @returns {Promise<number>} */
    async clearCredentials() {
      return call('clearCredentials');
    },

    /**
     * The UV flag of every following answer: true, UV = 1; false, UV = 0, as an authenticator that cannot verify the
     * person (developer userVerification "on" / "off"). Deviation from Chromium's virtual authenticator, whose
     * isUserVerified = false fails every ceremony: here a request that *requires* UV fails (NotAllowedError) and the
     * others succeed with UV = 0, so the relying party sees it. configure({ userVerification: 'up-only' }) answers
     * UV = 0 even when UV is required, to test the relying party's own check.
     * @param {boolean} isUserVerified
     */
    async setUserVerified(isUserVerified) {
      boolean(isUserVerified, 'setUserVerified');
      await call('configure', [{ userVerified: isUserVerified }]);
      await call('configureDeveloper', [{ userVerification: isUserVerified ? 'on' : 'off' }]);
    },

    /**
     * true: ceremonies complete at once (auto-approve). false: each ceremony opens Keyport's consent window and
     * waits for a person: answer it with approveConsent(), cancelConsent() or fallbackConsent().
     * @param {boolean} enabled
     */
    async setAutomaticPresenceSimulation(enabled) {
      boolean(enabled, 'setAutomaticPresenceSimulation');
      await call('configure', [{ autoApprove: enabled }]);
      await call('configureDeveloper', [{ autoApprove: enabled }]);
    },

    /**
     * Passkey autofill: chooses a passkey in the list Keyport shows under the page's `autocomplete="… webauthn"` field
     * while a get() with mediation 'conditional' waits, as the person's click would (the list never answers by
     * itself, even with automatic presence simulation). Waits up to `timeout` ms for a list that offers it.
     * @param {{ userName?: string, credentialId?: string, timeout?: number }} which
     * @returns {Promise<string>} the credential id chosen (base64url)
     */
    async chooseAutofill({ timeout = 10_000, ...which }) {
      for (const deadline = Date.now() + timeout; ; await new Promise((r) => setTimeout(r, 100))) {
        try {
          return await call('chooseAutofill', [which]);
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
      }
    },

    // ---- Keyport's developer mode ----

    /**
     * Changes developer settings (merged over the current ones; TypeError naming each problem). Resolves to the
     * settings in force. E.g. { attestation: 'packed' }, { counter: { mode: 'increment' } }, { backupState: true }.
     * @param {DeveloperSettings} settings
     * @returns {Promise<DeveloperSettings>}
     */
    async configure(settings) {
      return call('configureDeveloper', [settings]);
    },

    /**
     * The next ceremony ends with this error: 'NotAllowedError', 'InvalidStateError', or 'timeout' (the page waits the
     * ceremony's timeout, at least 10 s, then gets NotAllowedError). null clears it. Needs developer mode (on by default
     * here). Kept in the background's memory only.
     * @param {'NotAllowedError'|'InvalidStateError'|'timeout'|null} error
     */
    async simulateNextError(error) {
      await call('simulateNextError', [error]);
    },

    /**
     * The newest ceremony, decoded and checked, or null. Recorded while developer mode is on (it is by default here),
     * in the background's memory.
     * @param {CeremonyFilter} [filter]
     * @returns {Promise<CeremonyRecord | null>}
     */
    async lastCeremony(filter) {
      return call('lastCeremony', filter === undefined ? [] : [filter]);
    },

    /**
     * Every recorded ceremony, oldest first.
     * @param {CeremonyFilter} [filter]
     * @returns {Promise<CeremonyRecord[]>}
     */
    async ceremonies(filter) {
      return call('ceremonies', filter === undefined ? [] : [filter]);
    },

    /** Forgets the recorded ceremonies. */
    async clearCeremonies() {
      await call('clearCeremonies');
    },

    // ---- the vault ----

    /** @returns {Promise<{ setUp: boolean, unlocked: boolean, door: 'proxy'|'shim', passkeys: number, damaged: number, developer: boolean }>} */
    async status() {
      return call('status');
    },
    async lock() {
      await call('lock');
    },
    /** @param {string | undefined} [pass] default: the password the vault was set up with */
    async unlock(pass = password) {
      if (pass === undefined) throw new TypeError('unlock: no password given');
      await call('unlock', [pass]);
    },

    // ---- the consent window (automatic presence simulation off, or a locked vault) ----

    /** Waits for a consent window: { page, state }. @param {{ timeout?: number }} [opts] */
    waitForConsent: (opts) => consent.wait(opts),
    /**
     * Approves the waiting ceremony: unlocks if asked, types the password if the site requires UV, chooses the
     * account `credentialId` (base64url) for a sign-in, presses the main button.
     * @param {{ credentialId?: string, timeout?: number }} [opts]
     */
    approveConsent: (opts) => consent.approve(opts),
    /** Cancels the waiting ceremony: the page gets NotAllowedError. @param {{ timeout?: number }} [opts] */
    cancelConsent: (opts) => consent.cancel(opts),
    /** "Use another device or security key": the browser's own WebAuthn takes the request. @param {{ timeout?: number }} [opts] */
    fallbackConsent: (opts) => consent.fallback(opts),
    /** Open consent windows' pages. */
    consentPages: () => consent.open(),
  };
}

/** @typedef {ReturnType<typeof keyportAuthenticator>} KeyportAuthenticator */

/**
 * Sets up a fresh vault and makes it a test authenticator: developer mode on (so ceremonies are recorded and errors
 * can be simulated), automatic presence simulation and UV as asked. Resolves to the authenticator.
 * @param {EvalBackground} evalBackground
 * @param {SetUpOptions & { pages?: () => Promise<AnyPage[]> | AnyPage[], extensionOrigin?: string }} [opts]
 * @returns {Promise<KeyportAuthenticator>}
 */
export async function setUpKeyport(evalBackground, { password = randomPassword(), automaticPresenceSimulation = true, isUserVerified = true, developer = {}, pages, extensionOrigin } = {}) {
  if (typeof password !== 'string' || password === '') throw new TypeError('setUpKeyport: password must be a non-empty string');
  await closeSetupPage(evalBackground);
  const keyport = keyportAuthenticator(evalBackground, { password, ...(pages ? { pages } : {}), ...(extensionOrigin ? { extensionOrigin } : {}) });
  await evalBackground(async (password) => {
    // @ts-expect-error: a global of Keyport's background
    await passkeyVault.setup({ password });
  }, password);
  await evalBackground(async (s) => {
    // @ts-expect-error: a global of Keyport's background
    await passkeyVault.configure(s.automation);
    // @ts-expect-error: a global of Keyport's background
    await passkeyVault.configureDeveloper(s.developer);
  }, {
    automation: { autoApprove: automaticPresenceSimulation, userVerified: isUserVerified },
    developer: { enabled: true, autoApprove: automaticPresenceSimulation, userVerification: isUserVerified ? 'on' : 'off', ...developer },
  });
  return keyport;
}

/**
 * Keyport opens its setup page in a tab when it is installed without a vault (runtime.onInstalled). A test that sets
 * the vault up through the automation API closes it: opening late, it would take the focus from the test's own
 * page, and Chromium's WebAuthn refuses a page without focus. Waits up to `timeout` ms for it; true if closed.
 * @param {EvalBackground} evalBackground
 * @param {{timeout?: number}} [options]
 * @returns {Promise<boolean>}
 */
export async function closeSetupPage(evalBackground, { timeout = 5000 } = {}) {
  for (const deadline = Date.now() + timeout; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const closed = await evalBackground(async () => {
      const api = /** @type {any} */ (globalThis).browser ?? /** @type {any} */ (globalThis).chrome;
      const url = api.runtime.getURL('/setup.html');
      const tabs = (await api.tabs.query({})).filter((/** @type {any} */ t) => t.url === url || t.pendingUrl === url);
      await Promise.all(tabs.map((/** @type {any} */ t) => api.tabs.remove(t.id)));
      return tabs.length;
    });
    if (closed) return true;
  }
  return false;
}

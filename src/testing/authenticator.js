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
// Playwright Test fixture. `keyport.credentials` speaks Playwright's browserContext.credentials (create, get,
// delete; base64url, PKCS#8 and SPKI), so a passkey moves between the two either way.

import { randomBytes } from 'node:crypto';
import { credentialIdOf, parseVaultCredentials, toAutomationCredential, toCreateRequest, toKeyportCredential, toPlaywrightCredential } from './credentials.js';
import { consentWindows } from './consent.js';
import { readState, writeState } from './state.js';

/** @typedef {import('./credentials.js').CredentialInput} CredentialInput */
/** @typedef {import('./credentials.js').KeyportCredential} KeyportCredential */
/** @typedef {import('./credentials.js').CreateOptions} CreateOptions */
/** @typedef {import('./keys.js').VirtualCredential} VirtualCredential */
/** @typedef {import('./state.js').KeyportState} KeyportState */
/** @typedef {import('./consent.js').AnyPage} AnyPage */

/**
 * Runs fn(arg) in Keyport's background; arg and the result must survive JSON. (arg is any so that Playwright's
 * worker.evaluate, whose argument type is its own, can be one; each fn here types its parameter.)
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

/** @typedef {'NotAllowedError'|'InvalidStateError'|'timeout'} SimulatedError */

/** @typedef {{ autoApprove: boolean, userVerified: boolean }} AutomationSettings */

/**
 * @typedef {{ setUp: boolean, unlocked: boolean, door: 'proxy'|'shim', passkeys: number, removedBySites: number, damaged: number,
 *   developer: boolean }} VaultStatus
 */

/**
 * The part of Keyport's automation API (README "Automation API", src/app/automation.ts) this package calls: the
 * background's global `passkeyVault`, reached only through evalBackground.
 * @typedef {object} PasskeyVault
 * @property {(opts: { password: string }) => Promise<{ recoveryCode: string }>} setup
 * @property {(password: string) => Promise<void>} unlock
 * @property {() => Promise<void>} lock
 * @property {() => Promise<VaultStatus>} status
 * @property {(settings: Partial<AutomationSettings>) => Promise<AutomationSettings>} configure
 * @property {(settings: DeveloperSettings) => Promise<DeveloperSettings>} configureDeveloper
 * @property {(opts: { includePrivateKeys?: boolean }) => Promise<unknown>} getCredentials  checked by parseVaultCredentials
 * @property {(credential: import('./credentials.js').AutomationCredential) => Promise<string>} addCredential
 * @property {(id: string) => Promise<boolean>} removeCredential
 * @property {() => Promise<number>} clearCredentials
 * @property {(which: { userName?: string, credentialId?: string }) => Promise<string>} chooseAutofill
 * @property {(error: SimulatedError | null) => Promise<void>} simulateNextError
 * @property {(filter?: CeremonyFilter) => Promise<CeremonyRecord[]>} ceremonies
 * @property {(filter?: CeremonyFilter) => Promise<CeremonyRecord | null>} lastCeremony
 * @property {() => Promise<void>} clearCeremonies
 */

/**
 * The extension API in Keyport's background (Chromium's chrome, Firefox's browser), the part used here.
 * @typedef {object} ExtensionApi
 * @property {{ getURL(path: string): string, getManifest(): { name: string } }} runtime
 * @property {{ query(q: object): Promise<Array<{ id: number, url?: string, pendingUrl?: string }>>, remove(id: number): Promise<void> }} tabs
 */

/**
 * @typedef {object} SetUpOptions
 * @property {string} [password]  the master password; default: a random one (keyport.password)
 * @property {boolean} [automaticPresenceSimulation=true]  ceremonies complete without the consent window
 * @property {boolean} [isUserVerified=true]  the UV flag Keyport answers (see setUserVerified)
 * @property {DeveloperSettings} [developer]  further developer settings, e.g. { attestation: 'packed' }
 * @property {string | KeyportState} [state]  passkeys to start with: a file saveState() wrote, or its content
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
 * @param {{ automation: Record<string, unknown>, developer: DeveloperSettings }} [opts.defaults]  the settings reset()
 *        returns to (setUpKeyport passes those it set up with)
 */
export function keyportAuthenticator(evalBackground, { pages = () => [], extensionOrigin = '', password, defaults: initial } = {}) {
  let defaults = initial ?? setUpDefaults({});
  /**
   * passkeyVault[method](...args) in the background. Arguments go as JSON: an undefined one would arrive as null,
   * so callers pass only the arguments they have.
   * @template {keyof PasskeyVault} M
   * @param {M} method
   * @param {Parameters<PasskeyVault[M]>} args
   * @returns {Promise<Awaited<ReturnType<PasskeyVault[M]>>>}
   */
  const call = (method, args) =>
    /** @type {Promise<Awaited<ReturnType<PasskeyVault[M]>>>} the answer of Keyport's own build (checkExtensionDir) */ (evalBackground(async (/** @type {{ method: string, args: unknown[] }} */ { method, args }) => {
      const vault = /** @type {Record<string, ((...a: unknown[]) => Promise<unknown>) | undefined>} */ (/** @type {unknown} */ (passkeyVault));
      return /** @type {unknown} */ (JSON.parse(JSON.stringify((await vault[method]?.(...args)) ?? null)));
    }, { method, args: /** @type {unknown[]} */ (args) }).catch((/** @type {unknown} */ e) => {
      // Playwright prefixes "worker.evaluate: " and appends its call log; puppeteer gives the error as text.
      const message = (e instanceof Error ? e.message : String(e)).replace(/^worker\.evaluate: /, '').split('\n')[0];
      throw new Error(`Keyport's passkeyVault.${method}: ${message}`, { cause: e });
    }));

  const consent = consentWindows({ pages, extensionOrigin, ...(password !== undefined ? { password } : {}) });

  /** @param {unknown} value @param {string} what */
  const boolean = (value, what) => {
    if (typeof value !== 'boolean') throw new TypeError(`${what} must be true or false, got ${typeof value}`);
    return value;
  };

  /**
   * Every passkey, base64url throughout, with Keyport's metadata. The keys (PKCS#8 and SPKI) come only with
   * { includePrivateKeys: true }.
   * @param {{ includePrivateKeys?: boolean }} [opts]
   * @returns {Promise<KeyportCredential[]>}
   */
  async function getCredentials({ includePrivateKeys = false } = {}) {
    const list = await call('getCredentials', [{ includePrivateKeys: boolean(includePrivateKeys, 'includePrivateKeys') }]);
    return parseVaultCredentials(list).map(toKeyportCredential);
  }

  /**
   * Playwright's browserContext.credentials, answered by Keyport's vault: the same calls, arguments and results.
   * No install(): Keyport is in the page's path from the start.
   */
  const credentials = {
    /**
     * Adds a passkey and resolves to it. With only rpId: a fresh ES256 key pair (or `alg`), credential id and user
     * handle. A passkey Playwright's own authenticator gave (context.credentials.get()) goes in as it is.
     * @param {string} rpId
     * @param {CreateOptions} [options]
     * @returns {Promise<VirtualCredential>}
     */
    async create(rpId, options = {}) {
      const { automation, credential } = toCreateRequest(rpId, options);
      await call('addCredential', [automation]);
      return credential;
    },
    /**
     * Every passkey, or those of `rpId`, or the one `id` (base64url), with its keys and counter.
     * @param {{ rpId?: string, id?: string }} [filter]
     * @returns {Promise<VirtualCredential[]>}
     */
    async get(filter = {}) {
      if (typeof filter !== 'object' || filter === null) throw new TypeError('credentials.get: the filter must be an object such as { rpId }');
      for (const k of Object.keys(filter)) if (k !== 'rpId' && k !== 'id') throw new TypeError(`credentials.get: unknown filter ${k} (expected rpId, id)`);
      const list = await getCredentials({ includePrivateKeys: true });
      return list.filter((c) => (filter.rpId === undefined || c.rpId === filter.rpId) && (filter.id === undefined || c.id === filter.id)).map(toPlaywrightCredential);
    },
    /**
     * Removes a passkey by id (base64url); nothing happens when it is not there, as with Playwright.
     * @param {string} id
     * @returns {Promise<void>}
     */
    async delete(id) {
      if (typeof id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(id)) throw new TypeError(`credentials.delete: id must be a base64url credential id, got ${JSON.stringify(id)}`);
      await call('removeCredential', [id]);
    },
  };

  /**
   * Adds the passkeys of a saved state (checked whole before any is added).
   * @param {string | KeyportState} state  a file saveState() wrote, or its content
   * @returns {Promise<number>} how many were added
   */
  async function loadState(state) {
    const passkeys = readState(state, 'loadState: state');
    for (const p of passkeys) await call('addCredential', [p]);
    return passkeys.length;
  }

  return {
    evalBackground,
    extensionOrigin,
    password,
    credentials,

    // ---- state across tests (as Playwright's storageState does for cookies) ----

    /**
     * The vault's passkeys, with their keys and counters: written as JSON to `path` when given (its folder made),
     * and resolved to. A later context starts from it: the `keyportState` option, `state` of a launch, or loadState().
     * @param {string} [path]
     * @returns {Promise<KeyportState>}
     */
    async saveState(path) {
      const passkeys = (await getCredentials({ includePrivateKeys: true })).map((c) => ({ ...c, privateKey: c.privateKey ?? '' }));
      /** @type {KeyportState} */
      const state = { keyport: 1, passkeys };
      if (path !== undefined) writeState(path, state);
      return state;
    },
    loadState,

    // ---- Chromium's WebAuthn domain ----

    /**
     * Adds a passkey made elsewhere (CDP WebAuthn.addCredential, whose base64 it reads, or the toJSON / PKCS#8 form:
     * see credentials.js). Resolves to its id, base64url.
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
     * @returns {Promise<KeyportCredential | undefined>}
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
      return call('clearCredentials', []);
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
     * @param {SimulatedError | null} error
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
      await call('clearCeremonies', []);
    },

    /**
     * Back to a fresh vault's behaviour without a new browser: no passkeys, no recorded ceremonies, no pending
     * simulated error, unlocked, and the settings it was set up with (presence simulation, UV, developer settings).
     * For one browser shared by many tests (the fixture's reuseKeyportBrowser, or a node:test file's beforeEach()).
     * `settings` replaces those for the tests that follow.
     * @param {{ automaticPresenceSimulation?: boolean, isUserVerified?: boolean, developer?: DeveloperSettings }} [settings]
     * @returns {Promise<void>}
     */
    async reset(settings) {
      if (settings !== undefined) defaults = setUpDefaults(settings);
      if (!(await call('status', [])).unlocked) {
        if (password === undefined) throw new Error('reset: the vault is locked and no password was given');
        await call('unlock', [password]);
      }
      await evalBackground(async (/** @type {ReturnType<typeof setUpDefaults>} */ d) => {
        const vault = passkeyVault;
        await vault.configure(d.automation);
        // undefined (set here, where it survives) takes a setting back to Keyport's own default.
        await vault.configureDeveloper({ algorithms: undefined, backupEligible: undefined, backupState: undefined, attestation: 'none', counter: { mode: 'zero' }, sites: [], ...d.developer });
        await vault.simulateNextError(null);
        await vault.clearCeremonies();
        await vault.clearCredentials();
      }, defaults);
    },

    // ---- the vault ----

    /** @returns {Promise<VaultStatus>} */
    async status() {
      return call('status', []);
    },
    async lock() {
      await call('lock', []);
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
export async function setUpKeyport(evalBackground, { password = randomPassword(), automaticPresenceSimulation = true, isUserVerified = true, developer = {}, state, pages, extensionOrigin } = {}) {
  if (typeof password !== 'string' || password === '') throw new TypeError('setUpKeyport: password must be a non-empty string');
  const passkeys = state === undefined ? [] : readState(state, 'state');
  await closeSetupPage(evalBackground);
  const defaults = setUpDefaults({ automaticPresenceSimulation, isUserVerified, developer });
  const keyport = keyportAuthenticator(evalBackground, { password, defaults, ...(pages ? { pages } : {}), ...(extensionOrigin ? { extensionOrigin } : {}) });
  await evalBackground(async (/** @type {string} */ password) => {
    await passkeyVault.setup({ password });
  }, password);
  await evalBackground(async (/** @type {ReturnType<typeof setUpDefaults>} */ s) => {
    await passkeyVault.configure(s.automation);
    await passkeyVault.configureDeveloper(s.developer);
  }, defaults);
  for (const p of passkeys) await keyport.addCredential(p);
  return keyport;
}

/**
 * The automation and developer settings of a test vault.
 * @param {{ automaticPresenceSimulation?: boolean, isUserVerified?: boolean, developer?: DeveloperSettings }} opts
 */
function setUpDefaults({ automaticPresenceSimulation = true, isUserVerified = true, developer = {} }) {
  return {
    automation: { autoApprove: automaticPresenceSimulation, userVerified: isUserVerified },
    /** @type {DeveloperSettings} */
    developer: { enabled: true, autoApprove: automaticPresenceSimulation, userVerification: isUserVerified ? 'on' : 'off', ...developer },
  };
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
      const api = globalThis.browser ?? globalThis.chrome;
      const url = api.runtime.getURL('/setup.html');
      const tabs = (await api.tabs.query({})).filter((t) => t.url === url || t.pendingUrl === url);
      await Promise.all(tabs.map((t) => api.tabs.remove(t.id)));
      return tabs.length;
    });
    if (closed) return true;
  }
  return false;
}

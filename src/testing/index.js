// @ts-check
// @keyport/testing: Keyport as the authenticator of a relying party's browser tests. This entry point needs no
// browser library: the authenticator over any `evalBackground`, makePasskey for seeding a relying party, and the
// checks test input gets. The launches are in ./chromium.js (Playwright), ./puppeteer.js (Firefox) and the
// Playwright Test fixture in ./playwright.js.

export { keyportAuthenticator, setUpKeyport, closeSetupPage, randomPassword } from './authenticator.js';
export { makePasskey, checkRpId, ALGORITHMS } from './keys.js';
export { DEFAULT_CHROMIUM_EXTENSION, DEFAULT_FIREFOX_EXTENSION, checkExtensionDir } from './extensions.js';
export { readState } from './state.js';

/** @typedef {import('./authenticator.js').KeyportAuthenticator} KeyportAuthenticator */
/** @typedef {import('./authenticator.js').EvalBackground} EvalBackground */
/** @typedef {import('./authenticator.js').DeveloperSettings} DeveloperSettings */
/** @typedef {import('./authenticator.js').CeremonyRecord} CeremonyRecord */
/** @typedef {import('./authenticator.js').SetUpOptions} SetUpOptions */
/** @typedef {import('./keys.js').VirtualCredential} VirtualCredential */
/** @typedef {import('./keys.js').MadePasskey} MadePasskey */
/** @typedef {import('./credentials.js').KeyportCredential} KeyportCredential */
/** @typedef {import('./credentials.js').CreateOptions} CreateOptions */
/** @typedef {import('./state.js').KeyportState} KeyportState */

// @ts-check
// Where Keyport's built extensions are: inside this package (copied there at prepack: extensions/chrome-mv3 and
// extensions/firefox-mv3), or, in Keyport's own repository, its build folder .output/. An `extensionDir` given by the
// caller is checked to be Keyport's build for that browser before any browser starts.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The add-on id of Keyport's Firefox build (wxt.config.ts). */
export const FIREFOX_ADDON_ID = 'keyport@keyport.dev';

/**
 * The build shipped in the package, else the repository's.
 * @param {'chrome-mv3' | 'firefox-mv3'} name
 */
function defaultBuild(name) {
  const packaged = fileURLToPath(new URL(`./extensions/${name}`, import.meta.url));
  return existsSync(resolve(packaged, 'manifest.json')) ? packaged : fileURLToPath(new URL(`../../.output/${name}`, import.meta.url));
}

export const DEFAULT_CHROMIUM_EXTENSION = defaultBuild('chrome-mv3');
export const DEFAULT_FIREFOX_EXTENSION = defaultBuild('firefox-mv3');

/**
 * Checks that `dir` holds Keyport's unpacked build for the browser; resolves to the absolute folder and its manifest.
 * @param {unknown} dir
 * @param {'chromium' | 'firefox'} browser
 * @param {string} [what]  the argument's name
 * @returns {{ dir: string, manifest: { name: string, version: string, [field: string]: unknown } }}
 */
export function checkExtensionDir(dir, browser, what = 'extensionDir') {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`${what} must be the folder of Keyport's ${browser === 'chromium' ? 'Chromium' : 'Firefox'} build, got ${JSON.stringify(dir)}`);
  const abs = resolve(dir);
  /** @type {unknown} */
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(resolve(abs, 'manifest.json'), 'utf8'));
  } catch (e) {
    const err = /** @type {NodeJS.ErrnoException} */ (e);
    throw new Error(`${what}: ${abs} is not an unpacked extension (${err.code === 'ENOENT' ? 'no manifest.json there' : `its manifest.json: ${err.message}`}); leave ${what} out to use the build inside @keyport/testing`);
  }
  const name = field(manifest, 'name');
  if (name !== 'Keyport') throw new Error(`${what}: ${abs} holds the extension ${JSON.stringify(name ?? null)}, not Keyport`);
  const version = field(manifest, 'version');
  if (typeof version !== 'string') throw new Error(`${what}: ${abs}: its manifest.json has no version`);
  const geckoId = field(field(field(manifest, 'browser_specific_settings'), 'gecko'), 'id');
  const firefoxBuild = geckoId === FIREFOX_ADDON_ID;
  if (browser === 'firefox' && !firefoxBuild) throw new Error(`${what}: ${abs} is Keyport's Chromium build; Firefox needs the Firefox build (firefox-mv3)`);
  if (browser === 'chromium' && (firefoxBuild || typeof field(field(manifest, 'background'), 'service_worker') !== 'string')) throw new Error(`${what}: ${abs} is Keyport's Firefox build; Chromium needs the Chromium build (chrome-mv3)`);
  return { dir: abs, manifest: { .../** @type {Record<string, unknown>} */ (manifest), name, version } };
}

/**
 * A field of what JSON.parse gave, when it is an object; else undefined.
 * @param {unknown} value
 * @param {string} key
 * @returns {unknown}
 */
function field(value, key) {
  return typeof value === 'object' && value !== null ? /** @type {Record<string, unknown>} */ (value)[key] : undefined;
}

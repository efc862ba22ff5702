// @ts-check
// The vault's passkeys as a JSON file, as Playwright's storageState keeps cookies: a suite registers once, saves,
// and later contexts start from the file. The file is input like any other: checked whole (shape by valibot, then
// each passkey as credentials.create checks it) before a browser starts or a passkey is added.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as v from 'valibot';
import { toCreateRequest } from './credentials.js';

/**
 * What saveState() writes: `keyport` is the format's version.
 * Each passkey is what getCredentials({ includePrivateKeys: true }) answers; id, rpId and privateKey are needed, the
 * rest as credentials.create() takes it.
 * @typedef {{ keyport: 1, passkeys: Array<{ id: string, rpId: string, privateKey: string, [field: string]: unknown }> }} KeyportState
 */

const Passkey = v.looseObject({
  id: v.string('id must be base64url text'),
  rpId: v.string('rpId must be a domain name'),
  privateKey: v.string('privateKey must be base64url PKCS#8'),
}, 'each passkey is an object with id, rpId and privateKey');
const State = v.object({
  keyport: v.literal(1, 'keyport must be 1 (the format of saveState)'),
  passkeys: v.pipe(v.array(Passkey, 'passkeys must be an array'), v.maxLength(10_000, 'passkeys holds more than 10000 entries')),
}, 'a state is an object { keyport: 1, passkeys: [...] }');

/**
 * The passkeys of a state (a file path, or the object saveState resolved to), checked, as passkeyVault.addCredential
 * takes them. Throws naming the argument, the entry and the field.
 * @param {unknown} state
 * @param {string} what  the argument's name
 * @returns {import('./credentials.js').AutomationCredential[]}
 */
export function readState(state, what) {
  let content = state;
  let where = what;
  if (typeof state === 'string') {
    const path = resolve(state);
    where = `${what} (${path})`;
    let text;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`${where} cannot be read: ${/** @type {Error} */ (e).message}`);
    }
    try {
      content = JSON.parse(text);
    } catch (e) {
      throw new SyntaxError(`${where} is not JSON: ${/** @type {Error} */ (e).message}`);
    }
  }
  const parsed = v.safeParse(State, content);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const at = v.getDotPath(issue);
    throw new TypeError(`${where} is not a state saveState() wrote: ${at ? `${at}: ` : ''}${issue.message}`);
  }
  return parsed.output.passkeys.map((p, i) => toCreateRequest(p.rpId, p, `${where}: passkeys[${i}]`).automation);
}

/**
 * @param {string} path
 * @param {KeyportState} state
 */
export function writeState(path, state) {
  if (typeof path !== 'string' || path === '') throw new TypeError(`saveState: path must be a file name, got ${JSON.stringify(path)}`);
  const file = resolve(path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

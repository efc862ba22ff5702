// storage.session adapters: the unlocked vault key (so a restarted service worker needs no new unlock)
// and the automation settings. storage.session lives in memory only and is cleared when the browser closes.
import browser from 'webextension-polyfill';
import { encode as b64u, decode as fromB64u } from '../webauthn/base64url.ts';
import type { SessionKeyStore } from '../vault/vault.ts';
import { STORAGE, type StorageKey } from '../protocol/storage.ts';

const KEY = STORAGE.vaultKey.name;


/**
 * storage.session for the extension's own pages and background only. Chromium's default already, said
 * explicitly so that no later default or a manifest change opens the unlocked vault key to content scripts.
 * Where the browser has no setAccessLevel there is nothing to call (Firefox's storage.session is not offered
 * to content scripts at all).
 */
export async function restrictSessionToTrustedContexts(): Promise<void> {
  const area = browser.storage.session as unknown as { setAccessLevel?: (o: { accessLevel: 'TRUSTED_CONTEXTS' }) => Promise<void> };
  if (typeof area.setAccessLevel === 'function') await area.setAccessLevel({ accessLevel: 'TRUSTED_CONTEXTS' });
}

export function sessionKeyStore(): SessionKeyStore {
  return {
    async get() {
      const r = await browser.storage.session.get(KEY);
      const v = r[KEY];
      return typeof v === 'string' ? fromB64u(v) : undefined;
    },
    set: (key) => browser.storage.session.set({ [KEY]: b64u(key) }),
    clear: () => browser.storage.session.remove(KEY),
  };
}

/** storage.session is written by the background only (TRUSTED_CONTEXTS), so a value has the type its key declares. */
export async function sessionGet<T>(key: StorageKey<T>, fallback: T): Promise<T> {
  const r = await browser.storage.session.get(key.name);
  return (r[key.name] as T | undefined) ?? fallback;
}

export const sessionSet = <T>(key: StorageKey<T>, value: T) => browser.storage.session.set({ [key.name]: value });

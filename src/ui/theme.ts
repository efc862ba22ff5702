// The person's theme choice (Settings → Appearance): 'system' follows prefers-color-scheme; 'light' and
// 'dark' set data-theme on <html>, which theme.css reads. Every extension page applies it before mounting.
import browser from 'webextension-polyfill';
import { STORAGE } from '../protocol/storage.ts';

const THEME_KEY = STORAGE.theme.name;

export type Theme = 'system' | 'light' | 'dark';

export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}

/** Applies the stored theme now and whenever it changes (another page's Settings). */
export async function followTheme(): Promise<void> {
  const read = (v: unknown): Theme => (v === 'light' || v === 'dark' ? v : 'system');
  applyTheme(read((await browser.storage.local.get(THEME_KEY))[THEME_KEY]));
  browser.storage.onChanged.addListener((changes, area) => {
    const change = changes[THEME_KEY];
    if (area === 'local' && change) applyTheme(read(change.newValue));
  });
}

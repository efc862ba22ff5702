// Per-site control (issue 15 item 8, docs/design.md "Per-site control"): the sites where Keyport steps aside and
// the browser's own WebAuthn answers untouched, and the global pause. The sealed, synced records (vault/sitePrefs.ts)
// are the truth; while the vault is locked they cannot be read, so this service keeps a plaintext copy of the site
// names and the pause in the extension's IndexedDB (out of content scripts' reach), which decides every request,
// and a hint of the same in storage.local for the bridges, which read it without waking the background.
import { parse } from 'tldts';
import * as v from 'valibot';
import type { Vault, SitePrefs } from '../vault/vault.ts';
import type { KeyValueStore } from '../protocol/storage.ts';
import { STORAGE } from '../protocol/storage.ts';
import { type SiteHint, isPaused, stepsAside } from '../protocol/sites.ts';
import type { SitesView } from '../protocol/views.ts';
import type { PauseChoice } from '../protocol/messages.ts';
import type { Caller } from '../webauthn/types.ts';

const HOUR_MS = 60 * 60_000;

const Mirror = v.object({
  excluded: v.array(v.pipe(v.string(), v.minLength(1), v.maxLength(253))),
  paused: v.optional(v.object({ until: v.nullable(v.number()) })),
});

/** The site a page's URL belongs to: its registrable domain (public suffix list), or the bare host (localhost, an IP). */
export function siteOfUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const host = u.hostname.toLowerCase();
  if (!host) return undefined;
  const p = parse(host, { allowPrivateDomains: true });
  return p.isIp ? host : (p.domain ?? host);
}

const hostOf = (origin: string | undefined) => {
  try {
    return origin ? new URL(origin).hostname : '';
  } catch {
    return '';
  }
};

export type SiteControl = ReturnType<typeof createSiteControl>;

export function createSiteControl(deps: {
  vault: Pick<Vault, 'isUnlocked' | 'sitePrefs' | 'excludeSite' | 'includeSite' | 'pause'>;
  /** The extension's IndexedDB settings (the authoritative copy while locked). */
  store: KeyValueStore;
  /** storage.local, the bridges' hint. */
  writeHint: (hint: SiteHint) => Promise<void>;
  /** The pause began (true) or ended (false): Chromium's proxy door detaches or attaches. */
  paused: (on: boolean) => Promise<void>;
  /** Wake at this time (the pause's end), or never. */
  wakeAt: (at: number | undefined) => void;
  now: () => number;
}) {
  let prefs: SitePrefs = { excluded: [] };
  let appliedPause = false;

  async function apply(next: SitePrefs, save: boolean): Promise<void> {
    const changed = JSON.stringify(next) !== JSON.stringify(prefs);
    prefs = next;
    if (save && changed) {
      await deps.store.set(STORAGE.sitePrefs, next);
      await deps.writeHint(next);
    }
    const on = isPaused(prefs.paused, deps.now());
    deps.wakeAt(on && prefs.paused?.until ? prefs.paused.until : undefined);
    if (on !== appliedPause) {
      appliedPause = on;
      await deps.paused(on);
    }
  }

  function view(url?: string): SitesView {
    const site = url ? siteOfUrl(url) : undefined;
    return {
      excluded: [...prefs.excluded],
      ...(site ? { site, siteExcluded: prefs.excluded.includes(site) } : {}),
      ...(isPaused(prefs.paused, deps.now()) && prefs.paused ? { paused: { until: prefs.paused.until } } : {}),
    };
  }

  return {
    /** At start: the copy kept from the last time the vault was open (a bad one reads as nothing excluded). */
    async load(): Promise<void> {
      const kept = v.safeParse(Mirror, await deps.store.get(STORAGE.sitePrefs).catch(() => undefined));
      await apply(kept.success ? kept.output : { excluded: [] }, false);
      await deps.writeHint(prefs); // a content script may have written the hint since
    },
    /** After the vault opened or synced: the records decide, and both copies follow. */
    async refresh(): Promise<void> {
      if (deps.vault.isUnlocked()) await apply(deps.vault.sitePrefs(), true);
      else await apply(prefs, false); // a pause that ended meanwhile
    },
    /** Whether Keyport steps aside for this caller: its own site or its top-level document's, or a pause. */
    stepsAside(caller: Pick<Caller, 'origin' | 'topOrigin'>): boolean {
      // Nothing excluded (the usual case): only a pause decides, and no URL is parsed on the way to a sign-in.
      if (prefs.excluded.length === 0) return isPaused(prefs.paused, deps.now());
      return stepsAside(prefs, [hostOf(caller.origin), hostOf(caller.topOrigin)], deps.now());
    },
    view,
    async exclude(url: string): Promise<SitesView> {
      const site = siteOfUrl(url);
      if (!site) throw new Error('Keyport answers only on web pages (http and https).');
      await deps.vault.excludeSite(site);
      await apply(deps.vault.sitePrefs(), true);
      return view(url);
    },
    async include(site: string, url?: string): Promise<SitesView> {
      await deps.vault.includeSite(site);
      await apply(deps.vault.sitePrefs(), true);
      return view(url);
    },
    async pause(choice: PauseChoice, url?: string): Promise<SitesView> {
      const now = deps.now();
      const until = choice === 'hour' ? now + HOUR_MS : choice === 'day' ? now + 24 * HOUR_MS : choice === 'until-resumed' ? null : 0;
      await deps.vault.pause(until);
      await apply(deps.vault.sitePrefs(), true);
      return view(url);
    },
  };
}

// Per-site control as vault records (issue 15 item 8), kind 'settings', sealed and synced like a passkey:
//   { type: 'site-excluded', site, at }  one record per exclusion. The excluded sites are the live ones, so two
//       browsers that exclude different sites (or the same one) merge to the union; letting a site back in
//       deletes every record for it (tombstones, rule 4). An exclusion made elsewhere concurrently with a
//       removal here survives it: the safe side, Keyport steps aside.
//   { type: 'pause', until }  the global pause: until a time (ms), null until turned back on, 0 not paused. The
//       live pause record with the latest timestamp (hybrid logical clock) wins, so the last decision taken in
//       any browser holds; a browser edits the record it sees as current, so most vaults hold one.
//   { type: 'site-upgrade', site, at }  one record per site where the person allows passkey upgrades (conditional
//       create, app/upgrades.ts): merged and removed like exclusions. Read only from the open vault; never mirrored
//       in plaintext, since an upgrade can only be made with the vault open.
import type { LocalEntry } from '../sync/engine.ts';
import type { SyncItem } from '../sync/item.ts';
import type { Records } from './replica.ts';

export interface SitePrefs {
  /** Sorted, without duplicates. */
  excluded: string[];
  /** Absent: not paused. */
  paused?: { until: number | null };
}

type Data = { type?: unknown; site?: unknown; until?: unknown };
const dataOf = (item: SyncItem): Data | undefined => (item.deleted || item.kind !== 'settings' ? undefined : item.data);

/** What the records say. Malformed entries (another version's, a damaged one) are left out, never fixed. */
export function sitePrefsOf(items: readonly SyncItem[]): SitePrefs {
  const excluded = new Set<string>();
  let pause: { hlc: string; until: unknown } | undefined;
  for (const item of items) {
    const d = dataOf(item);
    if (d?.type === 'site-excluded' && typeof d.site === 'string' && d.site) excluded.add(d.site);
    if (d?.type === 'pause' && (!pause || item.hlc > pause.hlc)) pause = { hlc: item.hlc, until: d.until };
  }
  const until = pause?.until;
  const paused = until === null || (typeof until === 'number' && until > 0) ? { until } : undefined;
  return { excluded: [...excluded].sort(), ...(paused ? { paused } : {}) };
}

/** The sites where the person allows passkey upgrades, sorted. */
export function upgradeSitesOf(items: readonly SyncItem[]): string[] {
  const sites = new Set<string>();
  for (const item of items) {
    const d = dataOf(item);
    if (d?.type === 'site-upgrade' && typeof d.site === 'string' && d.site) sites.add(d.site);
  }
  return [...sites].sort();
}

export function createSitePrefs(deps: { records: Records; now: () => number }) {
  const { records } = deps;
  const live = () => records.items().filter((h) => dataOf(h.item));
  const recordsOf = (type: string, site: string) => live().filter((h) => dataOf(h.item)?.type === type && dataOf(h.item)?.site === site);
  return {
    upgradeSites: (): string[] => upgradeSitesOf(records.items().map((h) => h.item)),
    /** The person allows passkey upgrades on `site` (a registrable domain or a bare host). */
    async allowUpgrades(site: string): Promise<void> {
      records.assertOpen();
      if (recordsOf('site-upgrade', site).length) return;
      await records.persist([records.added('settings', { type: 'site-upgrade', site, at: deps.now() })]);
    },
    /** Upgrades on `site` stop: every record of it is deleted, in one transaction. */
    async stopUpgrades(site: string): Promise<void> {
      records.assertOpen();
      const mine = recordsOf('site-upgrade', site);
      if (mine.length) await records.persist(mine.map((h) => records.deleted(h.item.id)));
    },
    current: (): SitePrefs => sitePrefsOf(records.items().map((h) => h.item)),
    /** Keyport steps aside on `site` (a registrable domain or a bare host); nothing to write if it already does. */
    async exclude(site: string): Promise<void> {
      records.assertOpen();
      if (live().some((h) => dataOf(h.item)?.type === 'site-excluded' && dataOf(h.item)?.site === site)) return;
      await records.persist([records.added('settings', { type: 'site-excluded', site, at: deps.now() })]);
    },
    /** Keyport answers on `site` again: every exclusion record of it is deleted, in one transaction. */
    async include(site: string): Promise<void> {
      records.assertOpen();
      const mine = live().filter((h) => dataOf(h.item)?.type === 'site-excluded' && dataOf(h.item)?.site === site);
      if (mine.length) await records.persist(mine.map((h) => records.deleted(h.item.id)));
    },
    /** Pauses until `until` (ms), null until turned back on, or 0 to turn Keyport back on. */
    async pause(until: number | null): Promise<void> {
      records.assertOpen();
      const latest = live()
        .filter((h) => dataOf(h.item)?.type === 'pause')
        .reduce<LocalEntry | undefined>((best, h) => (!best || h.item.hlc > best.item.hlc ? h : best), undefined);
      const data = { type: 'pause', until, at: deps.now() };
      await records.persist([latest ? records.edited(latest.item.id, { data }) : records.added('settings', data)]);
    },
  };
}

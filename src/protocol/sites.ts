// Per-site control (issue 15 item 8): the sites where Keyport steps aside and the global pause, as the bridges read
// them. The bridge imports this file, so it holds plain code only (no public suffix list, no schema library): an
// excluded site is a registrable domain the background computed with the public suffix list when the person
// excluded it, and it covers that host and every host under it, matched by whole labels. The background decides
// with the same function, over its own copy (docs/design.md "Per-site control").

/** What the bridges read from storage.local (STORAGE.siteHint): a hint only, the background decides. */
export interface SiteHint {
  /** Registrable domains (or a bare host such as localhost), lowercase. */
  excluded: string[];
  /** Paused: until this time (ms since the epoch), or null until the person turns Keyport back on. */
  paused?: { until: number | null };
}

/** Whether `host` is `site` or a host under it: whole labels, so evilexample.com is not example.com. */
export function hostInSite(host: string, site: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === site || h.endsWith(`.${site}`);
}

export function isPaused(paused: SiteHint['paused'], now: number): boolean {
  return !!paused && (paused.until === null || paused.until > now);
}

/** Whether Keyport steps aside for a document on `host` (its own, or its top-level document's), by `hint`, at `now`. */
export function stepsAside(hint: SiteHint | undefined, hosts: readonly string[], now: number): boolean {
  if (!hint) return false;
  if (isPaused(hint.paused, now)) return true;
  return hosts.some((host) => host !== '' && hint.excluded.some((site) => hostInSite(host, site)));
}

/** A hint read from storage.local, where anything may have been written: only its well-formed parts. */
export function readHint(raw: unknown): SiteHint | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as { excluded?: unknown; paused?: { until?: unknown } | null };
  const excluded = Array.isArray(r.excluded) ? r.excluded.filter((s): s is string => typeof s === 'string' && s.length > 0 && s.length <= 253) : [];
  const until = r.paused?.until;
  const paused = until === null || typeof until === 'number' ? { until } : undefined;
  return { excluded, ...(paused ? { paused } : {}) };
}

// The popup's passkey search (issue item 2: "instant at 10,000 passkeys"): the passkeys of the current site
// first, most recently used first, then all the others by site and account; a query keeps the passkeys whose
// site, account name or display name contains every word of it, ignoring case.
//
// The work that does not depend on the query (sorting, lower-casing) is done once, by indexPasskeys, when the
// list arrives; filterPasskeys, run at each keystroke, is then one linear pass of substring tests.

/** What the search reads of a passkey (PasskeyRow in src/protocol/views.ts has it all). */
export interface Searchable {
  rpId: string;
  userName: string;
  userDisplayName: string;
  createdAt: number;
  lastUsedAt?: number;
}

export interface PasskeyIndex<R extends Searchable> {
  /** The rows by rpId, then account name (a collator's order: "b" after "A", numbers as numbers). */
  readonly rows: readonly R[];
  /** For rows[i]: its rpId, account and display names, lower-cased, joined by a newline (no query word holds one). */
  readonly haystacks: readonly string[];
}

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** Sorts and lower-cases the rows once, for any number of filterPasskeys calls. */
export function indexPasskeys<R extends Searchable>(rows: readonly R[]): PasskeyIndex<R> {
  if (!Array.isArray(rows)) throw new TypeError('rows must be an array');
  const sorted = Array.from<R>(rows).sort((a, b) => collator.compare(a.rpId, b.rpId) || collator.compare(a.userName, b.userName));
  return { rows: sorted, haystacks: sorted.map((r) => `${r.rpId}\n${r.userName}\n${r.userDisplayName}`.toLowerCase()) };
}

/**
 * Whether a passkey belongs to the page's host: its RP ID is the host or a parent domain of it, compared
 * label by label (WebAuthn §5.1.3 step 8's "registrable domain suffix" as a page may claim it), so
 * "evil-example.com" is not on "example.com".
 */
export function onSite(rpId: string, host: string): boolean {
  if (!host || !rpId) return false;
  const h = host.toLowerCase();
  const r = rpId.toLowerCase();
  return h === r || h.endsWith(`.${r}`);
}

/** The words of a query: lower-cased, split on white space. */
export const queryWords = (query: string): string[] => query.toLowerCase().split(/\s+/).filter(Boolean);

/**
 * The rows matching `query`, split into those on `host` (most recently used, else created, first) and the
 * others (in the index's order). An empty query matches every row; an empty host has no "here".
 */
export function filterPasskeys<R extends Searchable>(index: PasskeyIndex<R>, query: string, host = ''): { here: R[]; others: R[] } {
  if (typeof query !== 'string') throw new TypeError('query must be a string');
  const words = queryWords(query);
  const here: R[] = [];
  const others: R[] = [];
  const { rows, haystacks } = index;
  for (let i = 0; i < rows.length; i++) {
    const hay = haystacks[i]!;
    let hit = true;
    for (const w of words) {
      if (!hay.includes(w)) {
        hit = false;
        break;
      }
    }
    if (!hit) continue;
    const r = rows[i]!;
    (host && onSite(r.rpId, host) ? here : others).push(r);
  }
  const recent = (r: R) => r.lastUsedAt ?? r.createdAt;
  here.sort((a, b) => recent(b) - recent(a));
  return { here, others };
}

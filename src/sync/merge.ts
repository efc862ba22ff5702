// The sync merge (docs/design.md "Sync"): per record, last writer wins by hybrid logical clock (hlc.ts), a
// tombstone winning or losing by the same rule. A kind's monotone fields (a passkey's lastUsedAt and
// signCount) take the largest value of the two versions whichever wins, so signing in on one browser
// never undoes a rename made on another.
//
// The merge is a join: the product of a last-writer-wins register (ordered by hlc, then by content for
// the equal-hlc case that only a broken replica makes) and one max-register per monotone field. So it is
// commutative, associative and idempotent, and replicas that have seen the same versions, in any order
// and any grouping, hold the same item. For associativity a tombstone keeps the monotone fields (numbers,
// never a key): without them a delete seen in between would decide which lastUsedAt survives.
import { type SyncItem, type SyncKind, canonicalJson } from './item.ts';

export interface MergePolicy {
  /** Top-level numeric fields of `data` that only grow: merged by max whatever version wins. */
  readonly monotone: readonly string[];
}

export type MergePolicies = Readonly<Record<SyncKind, MergePolicy>>;

export const DEFAULT_POLICIES: MergePolicies = {
  passkey: { monotone: ['lastUsedAt', 'signCount'] },
  settings: { monotone: [] },
};

const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function policyOf(item: SyncItem, policies: MergePolicies): MergePolicy {
  const p = policies[item.kind];
  if (!p) throw new RangeError(`merge: no policy for kind ${JSON.stringify(item.kind)}`);
  return p;
}

/**
 * The content that decides an equal-hlc tie: everything but the monotone fields (an emptied payload
 * counts as none), so merging monotone values never changes which version wins.
 */
function tieKey(item: SyncItem, policy: MergePolicy): string {
  if (!item.data || policy.monotone.length === 0) return canonicalJson(item);
  const data: Record<string, unknown> = { ...item.data };
  for (const f of policy.monotone) delete data[f];
  const { data: _, ...rest } = item;
  return canonicalJson(Object.keys(data).length > 0 ? { ...rest, data } : rest);
}

/** The version that wins: the larger hlc (encoded hlcs sort like the clock order). */
function winner(a: SyncItem, b: SyncItem, policies: MergePolicies): SyncItem {
  if (a.hlc !== b.hlc) return a.hlc > b.hlc ? a : b;
  const policy = policyOf(a, policies);
  const ka = tieKey(a, policy);
  const kb = tieKey(b, policy);
  return ka >= kb ? a : b;
}

/**
 * The larger of two monotone values in the order: absent < anything that is not a finite number (by its
 * JSON, so that even a malformed value merges the same way everywhere) < finite numbers (by value).
 */
function monotoneMax(x: unknown, y: unknown): unknown {
  const rank = (z: unknown) => (z === undefined ? 0 : finite(z) ? 2 : 1);
  const rx = rank(x);
  const ry = rank(y);
  if (rx !== ry) return rx > ry ? x : y;
  if (rx === 2) return (y as number) > (x as number) ? y : x;
  if (rx === 1) return canonicalJson(y) > canonicalJson(x) ? y : x;
  return undefined;
}

/**
 * Merges two versions of one record. A record never changes kind: two ids or two kinds are a RangeError
 * (the monotone fields are the kind's, so a merge across kinds could not be associative).
 */
export function mergeItems(a: SyncItem, b: SyncItem, policies: MergePolicies = DEFAULT_POLICIES): SyncItem {
  if (a.id !== b.id) throw new RangeError(`merge: versions of two records (${a.id}, ${b.id})`);
  if (a.kind !== b.kind) throw new RangeError(`merge: record ${a.id} is a ${a.kind} in one version and a ${b.kind} in the other`);
  const w = winner(a, b, policies);
  const l = w === a ? b : a;
  let data: Record<string, unknown> | undefined;
  for (const f of policyOf(w, policies).monotone) {
    const wv = w.data?.[f];
    const m = monotoneMax(wv, l.data?.[f]);
    if (m !== wv) {
      data ??= { ...w.data };
      data[f] = m;
    }
  }
  return data ? { ...w, data } : w;
}

/**
 * A tombstone for `item` at timestamp `hlc` (from the clock's `receive(item's hlc)`): no payload but the
 * kind's monotone fields.
 */
export function tombstoneFor(item: SyncItem, hlc: string, policies: MergePolicies = DEFAULT_POLICIES): SyncItem {
  const kept: Record<string, unknown> = {};
  for (const f of policyOf(item, policies).monotone) {
    const x = item.data?.[f];
    if (finite(x)) kept[f] = x;
  }
  const t: SyncItem = { id: item.id, kind: item.kind, hlc, deleted: true };
  if (Object.keys(kept).length > 0) t.data = kept;
  return t;
}

/** Two versions that are the same version: equal content, key order aside. */
export const sameItem = (a: SyncItem, b: SyncItem): boolean => a === b || canonicalJson(a) === canonicalJson(b);

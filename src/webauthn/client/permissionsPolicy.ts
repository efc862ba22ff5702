// W3C Permissions Policy, for the two WebAuthn features only: the `Permissions-Policy` HTTP header
// (§5.2, a structured-field dictionary, RFC 8941, parsed by structured-headers) and whether an allowlist
// matches an origin (§"Matches"). Chromium exposes the result to the bridge (document.featurePolicy);
// Firefox 153 does not, so its background reads the header itself (adapters/documentPolicy.ts).
import { Token, parseDictionary } from 'structured-headers';
import type { PolicyFeature } from './validate.ts';

const FEATURES: readonly PolicyFeature[] = ['publickey-credentials-create', 'publickey-credentials-get'];

/** One feature's allowlist: every origin, or 'self' and/or a list of origins (empty: none). */
export type Allowlist = { all: true } | { all: false; self: boolean; origins: string[] };
/** A document's declared policy for the WebAuthn features; a feature it does not name keeps its default. */
export type DeclaredPolicy = Partial<Record<PolicyFeature, Allowlist>>;

/** A serialized origin, or a wildcard one (`https://*.example.com`, §"Matches" subdomain rule), else null. */
function originMember(s: string): string | null {
  const wildcard = s.includes('://*.');
  try {
    const url = new URL(wildcard ? s.replace('://*.', '://') : s);
    if (url.origin === 'null') return null;
    return wildcard ? url.origin.replace('://', '://*.') : url.origin;
  } catch {
    return null;
  }
}

/**
 * §5.2 "Process response policy": the header's dictionary, each member a policy directive (§5.3: an item or
 * inner list of `*`, `self`, or origin strings; anything else is ignored). A header that does not parse is
 * ignored whole, as the spec says (undefined).
 */
export function parsePermissionsPolicy(header: string): DeclaredPolicy | undefined {
  let dict: ReturnType<typeof parseDictionary>;
  try {
    dict = parseDictionary(header);
  } catch {
    return undefined;
  }
  const policy: DeclaredPolicy = {};
  for (const feature of FEATURES) {
    const value = dict.get(feature);
    if (!value) continue;
    const items = Array.isArray(value[0]) ? (value[0] as [unknown, unknown][]).map((i) => i[0]) : [value[0]];
    const list: Allowlist = { all: false, self: false, origins: [] };
    let all = false;
    for (const item of items) {
      if (item instanceof Token && item.toString() === '*') all = true;
      else if (item instanceof Token && item.toString() === 'self') list.self = true;
      else if (typeof item === 'string') {
        const o = originMember(item);
        if (o) list.origins.push(o);
      }
    }
    policy[feature] = all ? { all: true } : list;
  }
  return policy;
}

function matches(member: string, origin: string): boolean {
  if (!member.includes('://*.')) return member === origin;
  const [scheme, rest] = member.split('://*.') as [string, string];
  try {
    const o = new URL(origin);
    const m = new URL(`${scheme}://${rest}`);
    return o.protocol === m.protocol && o.port === m.port && o.hostname.endsWith('.' + m.hostname);
  } catch {
    return false;
  }
}

/**
 * §"Is feature enabled in document for origin?", the declared-policy half: `origin` may use `feature` in a
 * document of origin `self` with this declared policy, given that the document itself inherited it. A
 * document that declares nothing for the feature allows it: the features' default allowlist ('self', WebAuthn
 * L3 §5.9) applies where a frame inherits, to its <iframe allow> (the bridge's delegatesTo), not here.
 */
export function allows(policy: DeclaredPolicy | undefined, feature: PolicyFeature, origin: string, self: string): boolean {
  const list = policy?.[feature];
  if (!list) return true;
  if (list.all) return true;
  return (list.self && origin === self) || list.origins.some((m) => matches(m, origin));
}

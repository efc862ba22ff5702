// WebAuthn L3 §5.11 "Using Web Authentication across related origins": an RP ID the caller's origin is not under is
// accepted when the RP ID's own `https://{rpId}/.well-known/webauthn` lists that origin. This file is the pure part:
// which RP IDs may be asked about, what a fetched document must look like, and the §5.11.1 decision. The fetch is
// src/adapters/wellKnown.ts, the cache src/app/relatedOrigins.ts.
import * as v from 'valibot';
import { parse } from 'tldts';
import { WebAuthnError } from '../errors.ts';

/** §5.11: clients SHOULD support at most, and MUST support at least, five registrable origin labels. */
export const MAX_LABELS = 5;
/** The largest document read; a larger one is refused (Chromium 156: 200 KiB accepted, 300 KiB refused, measured). */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
/** How long the whole fetch may take, body included (Chromium 156 gives up after 10 s, measured). */
export const FETCH_TIMEOUT_MS = 10_000;

/** What the adapter hands over: the response as received, its body unread past MAX_DOCUMENT_BYTES. */
export interface FetchedDocument {
  status: number;
  contentType: string | null;
  /** The answer came from another origin than the RP ID's (a redirect to another host was followed). */
  redirected: boolean;
  body: Uint8Array;
  /** The body (or its declared length) passed the cap; `body` is then empty. */
  tooLarge: boolean;
}

const refused = (rpId: string, why: string) => new WebAuthnError('SecurityError', `The relying party ID "${rpId}" is not a registrable domain suffix of, nor equal to, the current domain, and ${why}`);

/** The well-known URL of an RP ID (§5.11.1 step 1). */
export const wellKnownUrl = (rpId: string) => `https://${rpId}/.well-known/webauthn`;

/**
 * Whether a related-origins fetch may be made for this RP ID at all: a host name exactly as the URL parser writes
 * it (lower case, ASCII, no trailing dot), not an IP address, and with a registrable domain (never a public suffix
 * or "localhost"; docs/design.md rule 2). Anything else is refused without a fetch, so a page cannot point the
 * background at an address of its choosing.
 */
export function mayAskRelated(rpId: string): boolean {
  if (rpId.length === 0 || rpId.length > 253 || rpId.split('.').includes('')) return false; // empty labels, trailing dot
  let host: string;
  try {
    host = new URL(`https://${rpId}/`).hostname;
  } catch {
    return false;
  }
  if (host !== rpId) return false;
  const p = parse(rpId, { allowPrivateDomains: true });
  return !p.isIp && p.domain !== null && p.publicSuffix !== rpId;
}

const WellKnown = v.object({ origins: v.array(v.string()) });

/**
 * §5.11.1 step 2: the fetched document, or SecurityError. The response must be a 200 from the RP ID's own origin
 * (a redirect within it is fine, as in Chromium; one to another host is not, where Chromium is looser), typed
 * application/json (parameters such as charset allowed), at most MAX_DOCUMENT_BYTES, UTF-8 JSON of the shape
 * {"origins": [string, ...]} (other members ignored).
 */
export function parseWellKnown(rpId: string, doc: FetchedDocument): string[] {
  if (doc.redirected) throw refused(rpId, `${wellKnownUrl(rpId)} redirects to another host.`);
  if (doc.status !== 200) throw refused(rpId, `${wellKnownUrl(rpId)} answered HTTP ${doc.status}.`);
  const essence = doc.contentType?.split(';')[0]!.trim().toLowerCase();
  if (essence !== 'application/json') throw refused(rpId, `${wellKnownUrl(rpId)} is not application/json (${doc.contentType ?? 'no type'}).`);
  if (doc.tooLarge || doc.body.length > MAX_DOCUMENT_BYTES) throw refused(rpId, `${wellKnownUrl(rpId)} is larger than ${MAX_DOCUMENT_BYTES} bytes.`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(doc.body));
  } catch {
    throw refused(rpId, `${wellKnownUrl(rpId)} is not JSON.`);
  }
  const r = v.safeParse(WellKnown, json);
  if (!r.success) throw refused(rpId, `${wellKnownUrl(rpId)} has no "origins" list of strings.`);
  return r.output.origins;
}

/**
 * The registrable origin label of a host (§5.11.1): the first label of its registrable domain ("example" for
 * www.example.co.uk), by the public suffix list; null where it has none (an IP address, a public suffix).
 */
export function registrableOriginLabel(host: string): string | null {
  const p = parse(host, { allowPrivateDomains: true });
  if (p.isIp || p.domain === null) return null;
  return p.domainWithoutSuffix || null;
}

/**
 * §5.11.1 steps 3–5: whether `origins` lists `callerOrigin`. Entries are read in order; once `maxLabels` distinct
 * labels have been seen, an entry with a further label is skipped, so a long list cannot widen the set of sites.
 * The match is same origin: scheme, host and port.
 */
export function listsOrigin(origins: readonly string[], callerOrigin: string, maxLabels = MAX_LABELS): boolean {
  const labelsSeen = new Set<string>();
  for (const item of origins) {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      continue;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') continue; // no effective domain (§5.11.1 step 4.2)
    const label = registrableOriginLabel(url.hostname);
    if (!label) continue;
    if (labelsSeen.size >= maxLabels && !labelsSeen.has(label)) continue;
    if (url.origin === callerOrigin) return true;
    if (labelsSeen.size < maxLabels) labelsSeen.add(label);
  }
  return false;
}

// WebAuthn L3 §5.1.3 steps 7–8 / §5.1.4.1 steps 7–8: the origin must be a secure https (or localhost)
// origin, and the RP ID must be the origin's effective domain or a registrable domain suffix of it
// (HTML §7.2 "is a registrable domain suffix of or is equal to"), never a public suffix.
// The public suffix list comes from tldts (ICANN and private sections, as browsers use it).
import { parse } from 'tldts';
import { WebAuthnError } from '../errors.ts';
import { mayAskRelated } from './relatedOrigins.ts';

export interface ParsedOrigin {
  scheme: 'https' | 'http';
  host: string;
  origin: string;
}

function isLocalhost(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/** Origins parsed lately (a page signs in again and again): parsing a URL is a tenth of a sign-in's own work. */
const parsedOrigins = new Map<string, Readonly<ParsedOrigin>>();
const PARSED_ORIGINS_MAX = 64;

/** Accepts only origins WebAuthn is available to: https, or http on localhost. */
export function parseCallerOrigin(origin: string): ParsedOrigin {
  const known = parsedOrigins.get(origin);
  if (known) return { ...known };
  const parsed = parseOrigin(origin);
  if (parsedOrigins.size >= PARSED_ORIGINS_MAX) parsedOrigins.clear();
  parsedOrigins.set(origin, Object.freeze({ ...parsed }));
  return parsed;
}

function parseOrigin(origin: string): ParsedOrigin {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new WebAuthnError('SecurityError', `The origin ${origin} is not valid.`);
  }
  const scheme = url.protocol.slice(0, -1);
  const host = url.hostname;
  if (scheme !== 'https' && !(scheme === 'http' && isLocalhost(host))) {
    throw new WebAuthnError('SecurityError', `Public-key credentials are only available to HTTPS origins or localhost, not ${url.origin}.`);
  }
  return { scheme, host, origin: url.origin };
}

function isIpAddress(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.startsWith('[');
}

/**
 * The SecurityError for an RP ID the origin is not under, which a related origins check (§5.11) may still accept:
 * `rpId` is one the background may fetch the well-known document of (relatedOrigins.ts mayAskRelated).
 */
export class ForeignRpIdError extends WebAuthnError {
  constructor(
    readonly rpId: string,
    host: string,
  ) {
    super('SecurityError', `The relying party ID "${rpId}" is not a registrable domain suffix of, nor equal to, the current domain "${host}".`);
  }
}

/**
 * Returns the RP ID to use: the requested one if valid for the origin, else the origin's effective domain.
 * `related` is an RP ID whose well-known document lists this origin (§5.11.1, checked by the caller): it is
 * accepted as it stands.
 */
export function resolveRpId(origin: ParsedOrigin, requested: string | undefined, related?: string): string {
  const host = origin.host;
  if (isIpAddress(host)) throw new WebAuthnError('SecurityError', `The effective domain ${host} is an IP address, which is not a valid RP ID.`);
  if (requested === undefined) return host;
  const rpId = requested;
  if (rpId === host) return rpId;
  if (rpId.length === 0 || rpId !== rpId.toLowerCase() || !host.endsWith('.' + rpId)) {
    if (related !== undefined && rpId === related && mayAskRelated(rpId)) return rpId;
    if (mayAskRelated(rpId)) throw new ForeignRpIdError(rpId, host);
    throw new WebAuthnError('SecurityError', `The relying party ID "${rpId}" is not a registrable domain suffix of, nor equal to, the current domain "${host}".`);
  }
  // A whole-label suffix: now it must not be a public suffix (it must be registrable or below).
  const parsed = parse(rpId, { allowPrivateDomains: true });
  if (parsed.isIp || parsed.publicSuffix === rpId || parsed.domain === null) {
    throw new WebAuthnError('SecurityError', `The relying party ID "${rpId}" is a public suffix.`);
  }
  return rpId;
}

/**
 * The proxy door: the browser has checked the RP ID already, related origins (§5.11) included, and its answer is
 * kept, except that a related origin is checked again by Keyport, which refuses what Chromium 156 accepts from a
 * document redirected to another host (docs/design.md rule 2: stricter, never looser). So both doors agree.
 */
export function browserCheckedRpId(origin: ParsedOrigin, requested: string | undefined, related?: string): string {
  const host = origin.host;
  const rpId = requested ?? host;
  if (rpId === host || host.endsWith('.' + rpId) || rpId === related || !mayAskRelated(rpId)) return rpId;
  throw new ForeignRpIdError(rpId, host);
}

/**
 * HTML §7.1.1 "same site" for two tuple origins: the same scheme and the same registrable domain (the host itself
 * where it has none: localhost, an IP address). Unparseable or opaque origins are never same site.
 */
export function isSameSite(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  try {
    const x = new URL(a);
    const y = new URL(b);
    if (x.origin === 'null' || y.origin === 'null' || x.protocol !== y.protocol) return false;
    const site = (host: string) => parse(host, { allowPrivateDomains: true }).domain ?? host;
    return site(x.hostname) === site(y.hostname);
  } catch {
    return false;
  }
}

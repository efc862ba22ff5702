// WebAuthn L3 §5.8.1 CollectedClientData and §5.8.1.1 its serialization: a fixed member order
// (type, challenge, origin, crossOrigin, then topOrigin) so that limited verifiers can match a prefix.
import { encode as b64u } from '../base64url.ts';

export interface CollectedClientData {
  type: 'webauthn.create' | 'webauthn.get';
  /** The challenge's bytes, or their canonical base64url (the JSON forms' text, which validate.ts checked). */
  challenge: Uint8Array | string;
  origin: string;
  crossOrigin: boolean;
  topOrigin?: string;
}

/** What CCDToString escapes: U+0022, U+005C and the C0 controls. */
// eslint-disable-next-line no-control-regex -- the C0 controls are what it looks for
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** §5.8.1.2 CCDToString: JSON string serialization. */
function ccdString(s: string): string {
  // Origins and base64url challenges never need escaping: the common case skips the per-character walk (a sign-in's
  // client data took about 20 µs that way, a tenth of the background's share; npm run bench).
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c < 0x20) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/**
 * UTF-8 bytes of the serialized client data. Serialized origins are ASCII (hosts in punycode), and so is base64url:
 * the common case copies char codes (TextEncoder is a call into the browser that cost a sign-in about 4 µs in
 * Chromium's service worker, measured); anything else goes to TextEncoder.
 */
function utf8(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return new TextEncoder().encode(s);
    out[i] = c;
  }
  return out;
}

export function serializeClientData(cd: CollectedClientData): Uint8Array {
  const challenge = typeof cd.challenge === 'string' ? cd.challenge : b64u(cd.challenge);
  let s = `{"type":${ccdString(cd.type)},"challenge":${ccdString(challenge)},"origin":${ccdString(cd.origin)},"crossOrigin":${cd.crossOrigin ? 'true' : 'false'}`;
  if (cd.crossOrigin && cd.topOrigin !== undefined) s += `,"topOrigin":${ccdString(cd.topOrigin)}`;
  return utf8(s + '}');
}

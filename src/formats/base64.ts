// RFC 4648 §4 base64 (standard alphabet, '=' padding), the encoding of PEM bodies (RFC 7468 §3) and of
// Bitwarden's EncString parts. Built on the strict base64url codec: the alphabets differ only in 62 and 63.
import { decode as decodeUrl, encode as encodeUrl } from '../webauthn/base64url.ts';

export function encodeBase64(bytes: Uint8Array): string {
  const s = encodeUrl(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return s + '='.repeat((4 - (s.length % 4)) % 4);
}

/** Strict: standard alphabet only, padding as RFC 4648 §3.2 requires it (or none when `padding` is 'optional'). */
export function decodeBase64(text: string, { padding = 'required' }: { padding?: 'required' | 'optional' } = {}): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`base64: expected string, got ${typeof text}`);
  if (/[-_]/.test(text)) throw new RangeError('base64: url-safe characters in standard base64');
  const m = /^([^=]*)(={0,2})$/.exec(text);
  if (!m) throw new RangeError('base64: misplaced padding');
  const body = m[1]!;
  const pad = m[2]!.length;
  if (pad > 0 || padding === 'required') {
    if ((body.length + pad) % 4 !== 0 || pad !== (4 - (body.length % 4)) % 4) throw new RangeError('base64: wrong padding (RFC 4648 §3.2)');
  }
  return decodeUrl(body.replace(/\+/g, '-').replace(/\//g, '_'));
}

/**
 * Base64 as KeePassXC reads its own attributes: url-safe or standard, padded or not
 * (keepassxc src/format/CxfWriter.cpp toBase64Url), never both alphabets in one value.
 */
export function decodeEitherBase64(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`base64: expected string, got ${typeof text}`);
  if (/[+/]/.test(text) && /[-_]/.test(text)) throw new RangeError('base64: mixes the standard and url-safe alphabets');
  const m = /^([^=]*)(={0,2})$/.exec(text);
  if (!m) throw new RangeError('base64: misplaced padding');
  const body = m[1]!;
  const pad = m[2]!.length;
  if (pad > 0 && pad !== (4 - (body.length % 4)) % 4) throw new RangeError('base64: wrong padding (RFC 4648 §3.2)');
  return decodeUrl(body.replace(/\+/g, '-').replace(/\//g, '_'));
}

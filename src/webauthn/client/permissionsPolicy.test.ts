// Permissions Policy for the WebAuthn features: the header as Firefox's background reads it, and allowlist matching.
import { describe, expect, it } from 'vitest';
import { allows, parsePermissionsPolicy } from './permissionsPolicy.ts';

const SELF = 'https://mail.example.test';
const GET = 'publickey-credentials-get';
const CREATE = 'publickey-credentials-create';

describe('Permissions-Policy header (§5.2, RFC 8941 dictionary)', () => {
  it('`=()` disables a feature even for the document itself; the other keeps its default', () => {
    const p = parsePermissionsPolicy('publickey-credentials-get=()');
    expect(allows(p, GET, SELF, SELF)).toBe(false);
    expect(allows(p, CREATE, SELF, SELF)).toBe(true);
  });
  it('both features off, among others, as a site that hosts untrusted content sends it', () => {
    const p = parsePermissionsPolicy('camera=(), publickey-credentials-get=(), publickey-credentials-create=(), geolocation=(self)');
    expect(allows(p, GET, SELF, SELF)).toBe(false);
    expect(allows(p, CREATE, SELF, SELF)).toBe(false);
  });
  it('`self`, `*` and origin strings; a bare token item as well as an inner list', () => {
    const p = parsePermissionsPolicy('publickey-credentials-get=(self "https://shop.example"), publickey-credentials-create=*');
    expect(allows(p, GET, SELF, SELF)).toBe(true);
    expect(allows(p, GET, 'https://shop.example', SELF)).toBe(true);
    expect(allows(p, GET, 'https://evil.example', SELF)).toBe(false);
    expect(allows(p, CREATE, 'https://evil.example', SELF)).toBe(true);
    expect(allows(parsePermissionsPolicy('publickey-credentials-get=self'), GET, SELF, SELF)).toBe(true);
  });
  it('a list without self: the document itself is not allowed', () => {
    expect(allows(parsePermissionsPolicy('publickey-credentials-get=("https://idp.example")'), GET, SELF, SELF)).toBe(false);
  });
  it('wildcard subdomains match subdomains only, with the same scheme', () => {
    const p = parsePermissionsPolicy('publickey-credentials-get=("https://*.example.test")');
    expect(allows(p, GET, 'https://a.example.test', SELF)).toBe(true);
    expect(allows(p, GET, 'https://example.test', SELF)).toBe(false);
    expect(allows(p, GET, 'http://a.example.test', SELF)).toBe(false);
    expect(allows(p, GET, 'https://a.example.test.evil', SELF)).toBe(false);
  });
  it('no header, or no directive for the feature: allowed here; the default allowlist is the <iframe allow> step', () => {
    expect(allows(undefined, GET, SELF, SELF)).toBe(true);
    expect(allows(undefined, GET, 'https://other.example', SELF)).toBe(true);
    expect(allows(parsePermissionsPolicy('camera=()'), GET, SELF, SELF)).toBe(true);
  });
  it('a header that does not parse is ignored whole (§5.2); unknown members are skipped', () => {
    expect(parsePermissionsPolicy('publickey-credentials-get=(), bad header!')).toBeUndefined();
    const p = parsePermissionsPolicy('publickey-credentials-get=(self 42 "not an origin" ?1)');
    expect(p?.[GET]).toEqual({ all: false, self: true, origins: [] });
  });
});

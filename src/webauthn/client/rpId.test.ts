import { describe, expect, it } from 'vitest';
import { WebAuthnError } from '../errors.ts';
import { parseCallerOrigin, resolveRpId } from './rpId.ts';

function expectWebAuthnError(fn: () => unknown, name: string) {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(WebAuthnError);
  expect((thrown as WebAuthnError).name).toBe(name);
}

const resolve = (origin: string, rpId: string | undefined) => resolveRpId(parseCallerOrigin(origin), rpId);

describe('parseCallerOrigin: WebAuthn needs a secure context (https, or http on localhost)', () => {
  it.each([
    ['https://example.com', 'https', 'example.com', 'https://example.com'],
    ['https://login.example.com:8443/path?q#f', 'https', 'login.example.com', 'https://login.example.com:8443'],
    ['https://EXAMPLE.com', 'https', 'example.com', 'https://example.com'],
    ['http://localhost', 'http', 'localhost', 'http://localhost'],
    ['http://localhost:3000', 'http', 'localhost', 'http://localhost:3000'],
    ['http://foo.localhost', 'http', 'foo.localhost', 'http://foo.localhost'],
  ])('accepts %s', (input, scheme, host, origin) => {
    expect(parseCallerOrigin(input)).toEqual({ scheme, host, origin });
  });

  it.each([
    ['http on a public host', 'http://example.com'],
    ['http on a host that merely starts with localhost', 'http://localhost.example.com'],
    ['file:', 'file:///etc/passwd'],
    ['data:', 'data:text/html,<p>hi</p>'],
    ['ftp:', 'ftp://example.com'],
    ['an opaque "null" origin', 'null'],
    ['not a URL', 'not a url'],
    ['the empty string', ''],
  ])('Spec: refuses %s with SecurityError', (_why, input) => {
    expectWebAuthnError(() => parseCallerOrigin(input), 'SecurityError');
  });
});

describe('resolveRpId: §5.1.3 step 8 / §5.1.4.1 step 8, HTML "is a registrable domain suffix of or is equal to"', () => {
  it('Spec: no rp.id means the effective domain', () => {
    expect(resolve('https://login.example.com', undefined)).toBe('login.example.com');
    expect(resolve('http://localhost:8080', undefined)).toBe('localhost');
  });

  it('Spec: an rp.id equal to the effective domain', () => {
    expect(resolve('https://login.example.com', 'login.example.com')).toBe('login.example.com');
    expect(resolve('http://localhost', 'localhost')).toBe('localhost');
  });

  it('Spec: a registrable domain suffix of the effective domain', () => {
    expect(resolve('https://login.example.com', 'example.com')).toBe('example.com');
    expect(resolve('https://a.b.login.example.com', 'login.example.com')).toBe('login.example.com');
    expect(resolve('https://www.example.co.uk', 'example.co.uk')).toBe('example.co.uk');
    expect(resolve('https://app.user.github.io', 'user.github.io')).toBe('user.github.io');
  });

  it('Spec: the suffix must be whole labels (evillogin.example.com cannot claim login.example.com)', () => {
    expectWebAuthnError(() => resolve('https://evillogin.example.com', 'login.example.com'), 'SecurityError');
    expectWebAuthnError(() => resolve('https://notexample.com', 'example.com'), 'SecurityError');
  });

  it.each([
    ['com', 'https://example.com'],
    ['co.uk', 'https://example.co.uk'],
    ['uk', 'https://example.co.uk'],
    ['github.io', 'https://user.github.io'],
  ])('Spec: refuses the public suffix %s (for %s)', (rpId, origin) => {
    expectWebAuthnError(() => resolve(origin, rpId), 'SecurityError');
  });

  it('Spec: refuses another site’s RP ID', () => {
    expectWebAuthnError(() => resolve('https://login.example.com', 'other.com'), 'SecurityError');
    expectWebAuthnError(() => resolve('https://example.com', 'login.example.com'), 'SecurityError');
    expectWebAuthnError(() => resolve('https://example.com', 'example.org'), 'SecurityError');
  });

  it('Spec: refuses an IP address origin (its effective domain is not a valid RP ID)', () => {
    expectWebAuthnError(() => resolve('https://192.168.0.1', undefined), 'SecurityError');
    expectWebAuthnError(() => resolve('https://192.168.0.1', '192.168.0.1'), 'SecurityError');
    expectWebAuthnError(() => resolve('https://[::1]', undefined), 'SecurityError');
    expectWebAuthnError(() => resolve('https://0x7f.1', undefined), 'SecurityError'); // URL parser makes this 127.0.0.1
  });

  it('refuses the empty string, a leading dot and a trailing dot', () => {
    expectWebAuthnError(() => resolve('https://login.example.com', ''), 'SecurityError');
    expectWebAuthnError(() => resolve('https://login.example.com', '.example.com'), 'SecurityError');
    expectWebAuthnError(() => resolve('https://login.example.com', 'example.com.'), 'SecurityError');
  });

  it('Deviation: an upper-case rp.id is refused rather than lower-cased (the hash would be of the given string)', () => {
    expectWebAuthnError(() => resolve('https://login.example.com', 'Example.com'), 'SecurityError');
    expectWebAuthnError(() => resolve('https://example.com', 'EXAMPLE.COM'), 'SecurityError');
  });
});

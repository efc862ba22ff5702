// The plain sign-in check (schema.ts plainRequest) against the schema it stands in for: it may accept only what the
// schema accepts, exactly as the schema would give it back; everything else is the schema's to decide.
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { RequestOptionsSchema, parseRequestOptions, plainRequest } from './schema.ts';
import { WebAuthnError } from '../errors.ts';

/** What Chromium 156 hands the proxy door for a sign-in that names its passkey (the override already taken out). */
const proxied = () => ({
  challenge: 'x5aFSHN9EVMHo4cMLEKvDoXN7IyFm7VHJpWVmKTiCtM',
  timeout: 60000,
  rpId: 'example.com',
  allowCredentials: [{ type: 'public-key', id: 'Y3JlZC1pZC0x', transports: ['internal', 'hybrid'] }],
  userVerification: 'preferred',
  hints: [],
  extensions: {},
});

/** A small deterministic generator, so that a failure names its case. */
function random(seed: number) {
  let x = seed;
  return () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

const ODD_VALUES: unknown[] = [
  undefined, null, 0, -1, 1.5, NaN, Infinity, -Infinity, '', 'a', 'A-_x', 'abc=', 'a+b/', 'é', 'x'.repeat(64 * 1024), 'x'.repeat(64 * 1024 + 1),
  [], [''], ['a', 1], [undefined], new Array(2), Array.from({ length: 65 }, () => 'usb'), {}, { a: 1 }, Object.create(null), true, false,
  [{ type: 'public-key', id: 'AAAA' }], [{ type: 'public-key', id: 'AAA' }], [{ type: 'public-key', id: 'AAAA', extra: 1 }], [{ type: 1, id: 'AAAA' }],
  [{ id: 'AAAA' }], [null], { prf: { eval: { first: 'AAAA' } } }, { prf: { eval: { first: 'no!' } } }, { appid: 'https://example.com' },
  { credProps: true }, { credProps: 'yes' }, { largeBlob: { read: 1 } },
];
const DESCRIPTOR_KEYS = ['type', 'id', 'transports', 'extra'];
const KEYS = ['challenge', 'timeout', 'rpId', 'allowCredentials', 'userVerification', 'hints', 'extensions', 'mediation', '__proto__'];

function mutate(next: () => number): unknown {
  const o: Record<string, unknown> = proxied();
  for (let n = 1 + Math.floor(next() * 3); n > 0; n--) {
    const key = KEYS[Math.floor(next() * KEYS.length)]!;
    const value = ODD_VALUES[Math.floor(next() * ODD_VALUES.length)];
    if (next() < 0.15) delete o[key];
    else if (key === 'allowCredentials' && next() < 0.5) o.allowCredentials = [{ ...proxied().allowCredentials[0], [DESCRIPTOR_KEYS[Math.floor(next() * DESCRIPTOR_KEYS.length)]!]: value }];
    else Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: true });
  }
  return o;
}

describe('a plain sign-in request', () => {
  it("takes the proxy door's ordinary requests as they stand, as the schema does", () => {
    const discoverable: Record<string, unknown> = proxied();
    delete discoverable.allowCredentials;
    for (const request of [proxied(), discoverable, { challenge: 'AAAA' }]) {
      expect(plainRequest(request)).toBe(request);
      expect(v.parse(RequestOptionsSchema, request)).toEqual(request);
    }
  });

  it('accepts only what the schema accepts, and exactly as the schema gives it back', () => {
    // Every odd value in every member and every descriptor member, then 2,000 random combinations.
    const cases: unknown[] = [];
    for (const value of ODD_VALUES) {
      for (const key of KEYS) cases.push(Object.defineProperty(proxied(), key, { value, enumerable: true, configurable: true, writable: true }));
      for (const key of DESCRIPTOR_KEYS) cases.push({ ...proxied(), allowCredentials: [{ ...proxied().allowCredentials[0], [key]: value }] });
    }
    const next = random(7);
    for (let i = 0; i < 2000; i++) cases.push(mutate(next));
    let plain = 0;
    let refused = 0;
    for (const [i, input] of cases.entries()) {
      const schema = v.safeParse(RequestOptionsSchema, input);
      if (!schema.success) refused++;
      const fast = plainRequest(input);
      if (fast === undefined) continue;
      plain++;
      expect({ i, accepted: schema.success }).toEqual({ i, accepted: true });
      expect(fast).toEqual(schema.output);
    }
    // Both kinds occur, so the comparison means something.
    expect(plain).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('leaves the refusal and its wording to the schema', () => {
    const bad = { ...proxied(), challenge: 'not base64url!' };
    expect(plainRequest(bad)).toBeUndefined();
    expect(() => parseRequestOptions(bad)).toThrow(new WebAuthnError('TypeError', 'PublicKeyCredentialRequestOptions: challenge: not base64url'));
    const holes = { ...proxied(), hints: new Array(1) };
    expect(plainRequest(holes)).toBeUndefined();
    expect(() => parseRequestOptions(holes)).toThrow(WebAuthnError);
  });
});

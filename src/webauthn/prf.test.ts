import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decode, encode } from './base64url.ts';
import { encodePrfOutputs, hmacSecret, prfSalt, prfSalts } from './prf.ts';

/** Both halves, as the client and the authenticator run them one after the other. */
const evaluatePrf = (secret: Uint8Array, values: { first: string; second?: string }) => encodePrfOutputs(hmacSecret(secret, prfSalts(values)));

const nodeSalt = (input: Uint8Array) =>
  Uint8Array.from(createHash('sha256').update(Buffer.from('WebAuthn PRF', 'utf8')).update(Buffer.of(0)).update(input).digest());
const nodeHmac = (secret: Uint8Array, salt: Uint8Array) => Uint8Array.from(createHmac('sha256', secret).update(salt).digest());

describe('WebAuthn L3 §10.1.4 prf extension', () => {
  it('Spec: salt = SHA-256(UTF8Encode("WebAuthn PRF") || 0x00 || input)', () => {
    for (const input of [new Uint8Array(0), Uint8Array.of(0), new TextEncoder().encode('my-app/key-1'), new Uint8Array(200).fill(0xab)]) {
      expect(prfSalt(input)).toEqual(nodeSalt(input));
    }
  });

  it('Spec: the salt of the empty input is SHA-256("WebAuthn PRF\\0")', () => {
    expect(Buffer.from(prfSalt(new Uint8Array(0))).toString('hex')).toBe(createHash('sha256').update('WebAuthn PRF\0').digest('hex'));
  });

  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
  const first = encode(new TextEncoder().encode('first input'));
  const second = encode(new TextEncoder().encode('second input'));

  it('evaluates first as HMAC-SHA-256(secret, salt(first)), as CTAP2 hmac-secret does', () => {
    const out = evaluatePrf(secret, { first });
    expect(out).toEqual({ first: encode(nodeHmac(secret, nodeSalt(decode(first)))) });
    expect('second' in out).toBe(false);
    expect(decode(out.first)).toHaveLength(32);
  });

  it('evaluates second independently when given', () => {
    const out = evaluatePrf(secret, { first, second });
    expect(out.first).toBe(encode(nodeHmac(secret, nodeSalt(decode(first)))));
    expect(out.second).toBe(encode(nodeHmac(secret, nodeSalt(decode(second)))));
    expect(out.first).not.toBe(out.second);
  });

  it('is deterministic per secret and differs across secrets', () => {
    expect(evaluatePrf(secret, { first })).toEqual(evaluatePrf(secret.slice(), { first }));
    const other = secret.slice();
    other[0]! ^= 1;
    expect(evaluatePrf(other, { first }).first).not.toBe(evaluatePrf(secret, { first }).first);
  });

  it('refuses inputs that are not base64url', () => {
    expect(() => evaluatePrf(secret, { first: 'a+b=' })).toThrow(RangeError);
  });
});

import { describe, expect, it, vi } from 'vitest';
import { decode, decodeAnyBase64, encode, encodeLoop, isBase64url } from './base64url.ts';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('RFC 4648 §10 test vectors (as base64url, §5, without padding)', () => {
  // §10 lists BASE64("foobar") = "Zm9vYmFy" etc.; base64url without padding drops the trailing '='.
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ];
  for (const [plain, b64u] of vectors) {
    it(`Spec: BASE64URL("${plain}") = "${b64u}"`, () => {
      expect(encode(ascii(plain))).toBe(b64u);
      expect(decode(b64u)).toEqual(ascii(plain));
    });
  }

  it('Spec: §5 uses "-" and "_" for values 62 and 63', () => {
    // 0xfb 0xff is "+/8=" in §4 base64.
    expect(encode(Uint8Array.of(0xfb, 0xff))).toBe('-_8');
    expect(decode('-_8')).toEqual(Uint8Array.of(0xfb, 0xff));
    expect(encode(Uint8Array.of(0xff, 0xff, 0xff))).toBe('____');
    expect(encode(Uint8Array.of(0xf8, 0x3e, 0x0f))).toBe('-D4P');
  });

  it('round-trips every byte value and every length 0..64', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decode(encode(all))).toEqual(all);
    for (let n = 0; n <= 64; n++) {
      const bytes = all.subarray(256 - n);
      const text = encode(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(text.length).toBe(Math.ceil((n * 4) / 3));
      expect(decode(text)).toEqual(bytes);
    }
  });

  it('agrees with Node’s base64url encoder', () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let n = 0; n <= bytes.length; n++) {
      const b = bytes.subarray(0, n);
      expect(encode(b)).toBe(Buffer.from(b).toString('base64url'));
    }
  });
});

describe("the engine's toBase64, where it has one", () => {
  it('is asked for base64url without padding, and its answer is the loop\'s on every length and byte', async () => {
    // Node 20 has no Uint8Array.prototype.toBase64 (browsers do): one is installed for a fresh copy of the module.
    const calls: unknown[] = [];
    const proto = Uint8Array.prototype as { toBase64?: (o: unknown) => string };
    proto.toBase64 = function (this: Uint8Array, o: unknown) {
      calls.push(o);
      return Buffer.from(this).toString('base64url');
    };
    try {
      vi.resetModules();
      const fresh = await import('./base64url.ts');
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
      for (let n = 0; n <= 256; n += 1) expect(fresh.encode(bytes.subarray(0, n))).toBe(encodeLoop(bytes.subarray(0, n)));
      expect(calls[0]).toEqual({ alphabet: 'base64url', omitPadding: true });
    } finally {
      delete proto.toBase64;
    }
  });
});

describe('strict decoding', () => {
  it.each([
    ['padding "="', 'Zg=='],
    ['single padding "="', 'Zm8='],
    ['standard alphabet "+"', '+_8'],
    ['standard alphabet "/"', '-/8'],
    ['whitespace', 'Zm9v Yg'],
    ['newline', 'Zm9v\nYg'],
    ['non-ASCII character', 'Zm9vé'],
    ['length % 4 == 1', 'Zm9vY'],
    ['length 1', 'Z'],
    ['non-zero trailing bits (1 byte)', 'Zh'],
    ['non-zero trailing bits (2 bytes)', 'Zm9'],
  ])('rejects %s (%j)', (_why, text) => {
    expect(() => decode(text)).toThrow(RangeError);
    expect(isBase64url(text)).toBe(false);
  });

  it('rejects a non-string with TypeError', () => {
    expect(() => decode(42 as unknown as string)).toThrow(TypeError);
    expect(isBase64url(42)).toBe(false);
    expect(isBase64url(undefined)).toBe(false);
  });

  it('accepts the canonical forms', () => {
    for (const s of ['', 'Zg', 'Zm8', 'Zm9v', '-_8', 'AAAA']) expect(isBase64url(s)).toBe(true);
  });

  it('agrees with decode() on every short string over the alphabet and its neighbours', () => {
    // Every string of up to 3 characters from a set that hits each trailing-bits case, padding and a stranger.
    const chars = ['A', 'B', 'Q', 'g', 'w', '_', '-', '=', '+', 'é'];
    const strings = [''];
    for (let n = 0; n < 3; n++) for (const s of strings.filter((x) => x.length === n)) for (const c of chars) strings.push(s + c);
    for (const base of ['', 'Zm9v']) {
      for (const s of strings) {
        const text = base + s;
        let decodes = true;
        try {
          decode(text);
        } catch {
          decodes = false;
        }
        expect(isBase64url(text), text).toBe(decodes);
      }
    }
  });
});

describe('decodeAnyBase64', () => {
  it('reads standard and url-safe base64, padded or not', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf, 0x01]);
    for (const text of ['+/+/AQ==', '+/+/AQ', '-_-_AQ', '-_-_AQ==']) expect(decodeAnyBase64(text)).toEqual(bytes);
  });
  it('refuses a mix of alphabets and stray characters', () => {
    expect(() => decodeAnyBase64('+_')).toThrow(RangeError);
    expect(() => decodeAnyBase64('AQ=x')).toThrow(RangeError);
  });
});

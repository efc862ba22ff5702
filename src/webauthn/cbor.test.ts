import { describe, expect, it } from 'vitest';
import { type CborValue, decode, decodeFirst, encode } from './cbor.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('RFC 8949 Appendix A: examples of encoded CBOR data items (supported subset)', () => {
  const vectors: [string, CborValue, string][] = [
    ['0', 0, '00'],
    ['1', 1, '01'],
    ['10', 10, '0a'],
    ['23', 23, '17'],
    ['24', 24, '1818'],
    ['25', 25, '1819'],
    ['100', 100, '1864'],
    ['1000', 1000, '1903e8'],
    ['1000000', 1000000, '1a000f4240'],
    ['1000000000000', 1000000000000, '1b000000e8d4a51000'],
    ['-1', -1, '20'],
    ['-10', -10, '29'],
    ['-100', -100, '3863'],
    ['-1000', -1000, '3903e7'],
    ['false', false, 'f4'],
    ['true', true, 'f5'],
    ['null', null, 'f6'],
    ["h''", new Uint8Array(0), '40'],
    ["h'01020304'", Uint8Array.of(1, 2, 3, 4), '4401020304'],
    ['""', '', '60'],
    ['"a"', 'a', '6161'],
    ['"IETF"', 'IETF', '6449455446'],
    ['"\\"\\\\"', '"\\', '62225c'],
    ['"\\u00fc"', '\u00fc', '62c3bc'],
    ['"\\u6c34"', '\u6c34', '63e6b0b4'],
    ['"\\ud800\\udd51"', '\ud800\udd51', '64f0908591'],
    ['[]', [], '80'],
    ['[1, 2, 3]', [1, 2, 3], '83010203'],
    ['[1, [2, 3], [4, 5]]', [1, [2, 3], [4, 5]], '8301820203820405'],
    [
      '[1, 2, ..., 25]',
      Array.from({ length: 25 }, (_, i) => i + 1),
      '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
    ],
    ['{}', new Map(), 'a0'],
    ['{1: 2, 3: 4}', new Map([[1, 2], [3, 4]]), 'a201020304'],
    ['{"a": 1, "b": [2, 3]}', new Map<string, CborValue>([['a', 1], ['b', [2, 3]]]), 'a26161016162820203'],
    ['["a", {"b": "c"}]', ['a', new Map([['b', 'c']])], '826161a161626163'],
    [
      '{"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}',
      new Map(['a', 'b', 'c', 'd', 'e'].map((k) => [k, k.toUpperCase()])),
      'a56161614161626142616361436164614461656145',
    ],
  ];

  for (const [diag, value, encoded] of vectors) {
    it(`Spec: ${diag} ⇄ 0x${encoded}`, () => {
      expect(toHex(encode(value))).toBe(encoded);
      expect(decode(hex(encoded))).toEqual(value);
    });
  }

  it('encodes a bigint like the equal number', () => {
    expect(toHex(encode(1000000000000n))).toBe('1b000000e8d4a51000');
  });

  it('decodes the largest safe integer and refuses 2^53', () => {
    expect(decode(hex('1b001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => decode(hex('1b0020000000000000'))).toThrow(RangeError);
  });
});

describe('CTAP2 §8 canonical CBOR: map key order (RFC 8949 §4.2.3 length-first)', () => {
  // RFC 8949 §4.2.3 orders 10, -1, 100, "z", "aa": shorter encoded key first, then bytewise.
  // Bytewise-only order (§4.2.1) would put 100 (0x1864) before -1 (0x20); CTAP2 does not.
  const canonical = 'a5 0a 00 20 01 1864 02 617a 03 626161 04';

  it('Spec: the encoder sorts keys shorter-encoding first, whatever the insertion order', () => {
    const m = new Map<number | string, CborValue>([['aa', 4], [100, 2], ['z', 3], [-1, 1], [10, 0]]);
    expect(toHex(encode(m))).toBe(canonical.replace(/\s/g, ''));
  });

  it('Spec: a COSE_Key map comes out as 1, 3, -1, -2, -3', () => {
    const m = new Map<number, CborValue>([[-3, 0], [-1, 0], [3, 0], [-2, 0], [1, 0]]);
    expect(toHex(encode(m))).toBe('a5' + '0100' + '0300' + '2000' + '2100' + '2200');
  });

  it('the decoder accepts canonical order', () => {
    const m = decode(hex(canonical)) as Map<number | string, CborValue>;
    expect([...m.keys()]).toEqual([10, -1, 100, 'z', 'aa']);
  });

  it.each([
    ['bytewise order instead of length-first (100 before -1)', 'a2 1864 00 20 00'],
    ['descending keys', 'a2 03 00 01 00'],
    ['text before a shorter int', 'a2 6161 00 01 00'],
    ['duplicate int keys', 'a2 01 00 01 01'],
    ['duplicate text keys', 'a2 6161 00 6161 01'],
  ])('rejects %s', (_why, bytes) => {
    expect(() => decode(hex(bytes))).toThrow(RangeError);
  });

  it('rejects map keys that are neither integers nor text', () => {
    expect(() => decode(hex('a1 4101 00'))).toThrow(TypeError);
    expect(() => decode(hex('a1 80 00'))).toThrow(TypeError);
  });
});

describe('strict decoding (CTAP2 canonical form)', () => {
  it.each([
    ['23 in one extra byte', '1817'],
    ['0 in one extra byte', '1800'],
    ['255 in two bytes', '1900ff'],
    ['65535 in four bytes', '1a0000ffff'],
    ['2^32-1 in eight bytes', '1b00000000ffffffff'],
    ['-1 in one extra byte', '3800'],
    ['byte string length 1 in one extra byte', '580100'],
    ['text length 1 in two bytes', '7900016161'],
    ['array length 0 in one extra byte', '9800'],
    ['map length 0 in one extra byte', 'b800'],
  ])('Spec: RFC 8949 §4.2.1 rejects a non-minimal head: %s', (_why, bytes) => {
    expect(() => decode(hex(bytes))).toThrow(/non-minimal/);
  });

  it.each([
    ['indefinite byte string', '5f42010243030405ff'],
    ['indefinite text string', '7f657374726561646d696e67ff'],
    ['indefinite array', '9fff'],
    ['indefinite map', 'bf61610161629f0203ffff'],
  ])('Spec: rejects %s (RFC 8949 Appendix A)', (_why, bytes) => {
    expect(() => decode(hex(bytes))).toThrow(/indefinite/);
  });

  it.each([
    ['half float 0.0', 'f90000'],
    ['single float 100000.0', 'fa47c35000'],
    ['double float 1.1', 'fb3ff199999999999a'],
    ['undefined', 'f7'],
    ['simple(16)', 'f0'],
    ['simple(255)', 'f8ff'],
  ])('Spec: rejects %s (RFC 8949 Appendix A)', (_why, bytes) => {
    expect(() => decode(hex(bytes))).toThrow(TypeError);
  });

  it.each([
    ['tag 0 date/time', 'c074323031332d30332d32315432303a30343a30305a'],
    ['tag 1 epoch', 'c11a514b67b0'],
    ['tag 32 URI', 'd82076687474703a2f2f7777772e6578616d706c652e636f6d'],
  ])('Spec: rejects %s (RFC 8949 Appendix A)', (_why, bytes) => {
    expect(() => decode(hex(bytes))).toThrow(/tags/);
  });

  it('rejects leftover bytes after the item', () => {
    expect(() => decode(hex('0000'))).toThrow(/leftover/);
    expect(() => decode(hex('a0ff'))).toThrow(/leftover/);
  });

  it.each([
    ['empty input', ''],
    ['truncated 2-byte head', '1901'],
    ['truncated byte string', '440102'],
    ['truncated array', '830102'],
    ['truncated map', 'a20102'],
  ])('rejects %s', (_why, bytes) => {
    expect(() => decode(hex(bytes))).toThrow(/end of input/);
  });

  it('rejects text that is not UTF-8', () => {
    expect(() => decode(hex('61ff'))).toThrow();
  });

  it('rejects nesting deeper than 16', () => {
    expect(decode(hex('81'.repeat(16) + '80'))).toBeInstanceOf(Array);
    expect(() => decode(hex('81'.repeat(100) + '80'))).toThrow(/deep/);
  });
});

describe('decodeFirst', () => {
  it('returns the first item and the number of bytes it took', () => {
    expect(decodeFirst(hex('83010203 ff ff'))).toEqual({ value: [1, 2, 3], length: 4 });
    expect(decodeFirst(hex('1903e8 00'))).toEqual({ value: 1000, length: 3 });
    expect(decodeFirst(hex('a0'))).toEqual({ value: new Map(), length: 1 });
  });

  it('still applies the strict rules to that first item', () => {
    expect(() => decodeFirst(hex('1817 00'))).toThrow(/non-minimal/);
  });
});

describe('encoder', () => {
  it.each([[1.5], [NaN], [Infinity], [2 ** 53]])('refuses the non-integer or unsafe number %s', (n) => {
    expect(() => encode(n)).toThrow(TypeError);
  });

  it('refuses unsupported values', () => {
    expect(() => encode(undefined as unknown as CborValue)).toThrow(TypeError);
    expect(() => encode({} as unknown as CborValue)).toThrow(TypeError);
  });

  it('round-trips nested structures', () => {
    const v: CborValue = new Map<number | string, CborValue>([
      [1, 'one'],
      [-7, Uint8Array.of(0, 255)],
      ['list', [true, false, null, -1000000, new Map([['x', 0]])]],
    ]);
    expect(decode(encode(v))).toEqual(v);
  });
});

// RFC 8949 CBOR, only the subset WebAuthn uses (CTAP2 canonical form, RFC 8949 §4.2.3 length-first map
// key order): unsigned/negative integers, byte and text strings, arrays, maps, false/true/null.
// The decoder is strict: indefinite lengths, non-minimal heads, unsorted or duplicate keys, floats,
// tags and leftover bytes are rejected with the rule named.

export type CborValue = number | bigint | string | Uint8Array | boolean | null | CborValue[] | CborMap;
export type CborMap = Map<number | string, CborValue>;

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

function head(major: number, n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cbor: length/value out of range: ${n}`);
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 0xff];
  if (n < 0x100000000) return [m | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  return [m | 27, hi >>> 24, (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff];
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function encodeInto(value: CborValue, out: number[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`cbor: only integers are supported, got ${value}`);
    if (value >= 0) out.push(...head(0, value));
    else out.push(...head(1, -1 - value));
  } else if (typeof value === 'bigint') {
    encodeInto(Number(value), out);
  } else if (typeof value === 'string') {
    const b = te.encode(value);
    out.push(...head(3, b.length));
    for (const x of b) out.push(x);
  } else if (value instanceof Uint8Array) {
    out.push(...head(2, value.length));
    for (const x of value) out.push(x);
  } else if (value === false) out.push(0xf4);
  else if (value === true) out.push(0xf5);
  else if (value === null) out.push(0xf6);
  else if (Array.isArray(value)) {
    out.push(...head(4, value.length));
    for (const v of value) encodeInto(v, out);
  } else if (value instanceof Map) {
    const entries = [...value.entries()].map(([k, v]) => {
      const kb: number[] = [];
      encodeInto(k, kb);
      return { kb: Uint8Array.from(kb), v };
    });
    entries.sort((x, y) => compareBytes(x.kb, y.kb));
    out.push(...head(5, entries.length));
    for (const e of entries) {
      for (const x of e.kb) out.push(x);
      encodeInto(e.v, out);
    }
  } else throw new TypeError(`cbor: unsupported value ${String(value)}`);
}

export function encode(value: CborValue): Uint8Array {
  const out: number[] = [];
  encodeInto(value, out);
  return Uint8Array.from(out);
}

class Reader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError('cbor: unexpected end of input');
    return this.bytes[this.pos++]!;
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new RangeError('cbor: unexpected end of input');
    const s = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

function readArg(r: Reader, info: number): number {
  if (info < 24) return info;
  let n: number;
  if (info === 24) {
    n = r.byte();
    if (n < 24) throw new RangeError('cbor: non-minimal integer encoding (RFC 8949 §4.2.1)');
  } else if (info === 25) {
    const b = r.take(2);
    n = (b[0]! << 8) | b[1]!;
    if (n < 0x100) throw new RangeError('cbor: non-minimal integer encoding (RFC 8949 §4.2.1)');
  } else if (info === 26) {
    const b = r.take(4);
    n = ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
    if (n < 0x10000) throw new RangeError('cbor: non-minimal integer encoding (RFC 8949 §4.2.1)');
  } else if (info === 27) {
    const b = r.take(8);
    const hi = ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
    const lo = ((b[4]! << 24) >>> 0) + ((b[5]! << 16) | (b[6]! << 8) | b[7]!);
    n = hi * 0x100000000 + lo;
    if (!Number.isSafeInteger(n)) throw new RangeError('cbor: integer beyond 2^53');
    if (n < 0x100000000) throw new RangeError('cbor: non-minimal integer encoding (RFC 8949 §4.2.1)');
  } else throw new RangeError('cbor: indefinite lengths are not allowed (CTAP2 canonical form)');
  return n;
}

function readValue(r: Reader, depth: number): CborValue {
  if (depth > 16) throw new RangeError('cbor: nesting too deep');
  const start = r.byte();
  const major = start >> 5;
  const info = start & 31;
  switch (major) {
    case 0:
      return readArg(r, info);
    case 1:
      return -1 - readArg(r, info);
    case 2:
      return r.take(readArg(r, info)).slice();
    case 3:
      return td.decode(r.take(readArg(r, info)));
    case 4: {
      const n = readArg(r, info);
      const arr: CborValue[] = [];
      for (let i = 0; i < n; i++) arr.push(readValue(r, depth + 1));
      return arr;
    }
    case 5: {
      const n = readArg(r, info);
      const map: CborMap = new Map();
      let prev: Uint8Array | undefined;
      for (let i = 0; i < n; i++) {
        const keyStart = r.pos;
        const key = readValue(r, depth + 1);
        if (typeof key !== 'number' && typeof key !== 'string') throw new TypeError('cbor: map keys must be integers or text');
        const kb = r.bytes.subarray(keyStart, r.pos);
        if (prev && compareBytes(prev, kb) >= 0) throw new RangeError('cbor: map keys not in canonical order or duplicated (CTAP2 §8)');
        prev = kb;
        map.set(key, readValue(r, depth + 1));
      }
      return map;
    }
    case 7:
      if (info === 20) return false;
      if (info === 21) return true;
      if (info === 22) return null;
      throw new TypeError(`cbor: unsupported simple/float value 0x${start.toString(16)}`);
    default:
      throw new TypeError('cbor: tags are not supported');
  }
}

/** Decodes one item; returns it with the number of bytes read (authenticator data carries CBOR followed by more). */
export function decodeFirst(bytes: Uint8Array): { value: CborValue; length: number } {
  const r = new Reader(bytes);
  const value = readValue(r, 0);
  return { value, length: r.pos };
}

export function decode(bytes: Uint8Array): CborValue {
  const { value, length } = decodeFirst(bytes);
  if (length !== bytes.length) throw new RangeError(`cbor: ${bytes.length - length} leftover bytes`);
  return value;
}

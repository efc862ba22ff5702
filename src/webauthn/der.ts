// ASN.1 DER (ITU-T X.690 §8 and §10): the one DER module, for what keys and signatures use: SEQUENCE, INTEGER,
// OCTET STRING, BIT STRING, OBJECT IDENTIFIER, NULL and context-specific tags [0]/[1]. PKCS#8 private keys (formats),
// SubjectPublicKeyInfo (cose.ts) and ECDSA signatures (authenticator/keys.ts) are read and written here. The reader is
// strict: single-byte tags, definite minimal lengths (X.690 §10.1), minimal INTEGERs (§8.3.2), no bytes past a
// structure's end. (@noble/curves' DER helper covers ECDSA signatures only, and refuses r or s out of range.)

export class DerError extends RangeError {
  override name = 'DerError';
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** [0] constructed, e.g. ECPrivateKey parameters (RFC 5915 §3), PKCS#8 attributes (RFC 5958 §2). */
  CTX0_CONS: 0xa0,
  /** [1] constructed, ECPrivateKey publicKey (RFC 5915 §3). */
  CTX1_CONS: 0xa1,
  /** [1] primitive (IMPLICIT BIT STRING), OneAsymmetricKey publicKey (RFC 5958 §2). */
  CTX1_PRIM: 0x81,
} as const;

export interface Tlv {
  tag: number;
  value: Uint8Array;
}

/** Reads consecutive TLVs from `bytes`; `what` names the structure in error messages. */
export class DerReader {
  private pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.pos];
  }

  read(): Tlv {
    const b = this.bytes;
    if (this.pos + 2 > b.length) throw new DerError(`${this.what}: truncated (a tag and length were expected)`);
    const tag = b[this.pos++]!;
    if ((tag & 0x1f) === 0x1f) throw new DerError(`${this.what}: multi-byte tags are not used here`);
    let len = b[this.pos++]!;
    if (len === 0x80) throw new DerError(`${this.what}: indefinite length is not DER (X.690 §10.1)`);
    if (len > 0x80) {
      const n = len & 0x7f;
      if (n > 4) throw new DerError(`${this.what}: length field of ${n} bytes is too large`);
      if (this.pos + n > b.length) throw new DerError(`${this.what}: truncated length`);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[this.pos++]!;
      // X.690 §10.1: the long form only when the short form cannot hold it, and no leading zero bytes.
      if (len < 0x80 || b[this.pos - n] === 0) throw new DerError(`${this.what}: non-minimal length encoding (X.690 §10.1)`);
    }
    if (this.pos + len > b.length) throw new DerError(`${this.what}: truncated (a value of ${len} bytes runs past the end)`);
    const value = b.subarray(this.pos, this.pos + len);
    this.pos += len;
    return { tag, value };
  }

  expect(tag: number, name: string): Uint8Array {
    if (this.done) throw new DerError(`${this.what}: truncated (${name} is missing)`);
    const t = this.read();
    if (t.tag !== tag) throw new DerError(`${this.what}: ${name} has tag 0x${t.tag.toString(16)}, expected 0x${tag.toString(16)}`);
    return t.value;
  }

  /** Reads an optional element when the next tag is `tag`. */
  optional(tag: number, name: string): Uint8Array | undefined {
    return this.peekTag() === tag ? this.expect(tag, name) : undefined;
  }

  end(): void {
    if (!this.done) throw new DerError(`${this.what}: ${this.bytes.length - this.pos} unexpected bytes after the end`);
  }
}

/** A non-negative INTEGER's magnitude, checked minimal (X.690 §8.3.2). */
export function readUnsigned(value: Uint8Array, name: string): Uint8Array {
  if (value.length === 0) throw new DerError(`${name}: empty INTEGER`);
  if (value[0]! & 0x80) throw new DerError(`${name}: negative INTEGER`);
  if (value.length > 1 && value[0] === 0 && !(value[1]! & 0x80)) throw new DerError(`${name}: non-minimal INTEGER (X.690 §8.3.2)`);
  return value[0] === 0 && value.length > 1 ? value.subarray(1) : value;
}

/** A small INTEGER (a version field) as a number. */
export function readSmallInt(value: Uint8Array, name: string): number {
  const m = readUnsigned(value, name);
  if (m.length > 4) throw new DerError(`${name}: INTEGER too large`);
  return m.reduce((n, x) => n * 256 + x, 0);
}

/** OBJECT IDENTIFIER in dotted form (X.690 §8.19). */
export function readOid(value: Uint8Array, name: string): string {
  if (value.length === 0) throw new DerError(`${name}: empty OBJECT IDENTIFIER`);
  const arcs: number[] = [];
  let n = 0;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    if (!started && b === 0x80) throw new DerError(`${name}: non-minimal OBJECT IDENTIFIER arc (X.690 §8.19.2)`);
    started = true;
    n = n * 128 + (b & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER) throw new DerError(`${name}: OBJECT IDENTIFIER arc too large`);
    if (!(b & 0x80)) {
      arcs.push(n);
      n = 0;
      started = false;
    } else if (i === value.length - 1) throw new DerError(`${name}: truncated OBJECT IDENTIFIER`);
  }
  const first = arcs.shift()!;
  const a = first < 40 ? 0 : first < 80 ? 1 : 2;
  return [a, first - 40 * a, ...arcs].join('.');
}

/** BIT STRING contents with no unused bits (X.690 §8.6.2), as keys use it. */
export function readBitStringBytes(value: Uint8Array, name: string): Uint8Array {
  if (value.length === 0 || value[0] !== 0) throw new DerError(`${name}: BIT STRING with unused bits`);
  return value.subarray(1);
}

// Writers, for the canonical forms Keyport emits.

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x & 0xff);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const len = parts.reduce((s, p) => s + p.length, 0);
  const head = [tag, ...lengthBytes(len)];
  const out = new Uint8Array(head.length + len);
  out.set(head);
  let o = head.length;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A non-negative INTEGER TLV for a big-endian magnitude (X.690 §8.3: minimal, a 0x00 before a high bit). */
export function unsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const body = magnitude.subarray(i);
  return body[0]! & 0x80 ? tlv(TAG.INTEGER, Uint8Array.of(0), body) : tlv(TAG.INTEGER, body);
}

/** X9.62 / RFC 3279 §2.2.3 Ecdsa-Sig-Value: DER SEQUENCE of r and s, which WebAuthn ES256 signatures use. */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
  if (sig.length !== 64) throw new RangeError(`ECDSA signature: 64 bytes expected, got ${sig.length}`);
  return tlv(TAG.SEQUENCE, unsignedInteger(sig.subarray(0, 32)), unsignedInteger(sig.subarray(32)));
}

/** OBJECT IDENTIFIER contents for a dotted string. */
export function oidBytes(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const push = (n: number) => {
    const chunk = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    out.push(...chunk);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return Uint8Array.from(out);
}

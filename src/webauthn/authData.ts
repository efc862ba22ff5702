// WebAuthn L3 §6.1 Authenticator Data, §6.5.1 attested credential data.
import { sha256 } from '@noble/hashes/sha2.js';
import { type CborMap, decodeFirst, encode } from './cbor.ts';

/** §6.1 flags, bit by bit. */
export const FLAG = {
  UP: 0x01, // bit 0: User Present
  UV: 0x04, // bit 2: User Verified
  BE: 0x08, // bit 3: Backup Eligibility
  BS: 0x10, // bit 4: Backup State
  AT: 0x40, // bit 6: Attested credential data included
  ED: 0x80, // bit 7: Extension data included
} as const;

export interface AttestedCredentialData {
  aaguid: Uint8Array; // 16 bytes
  credentialId: Uint8Array; // at most 1023 bytes (§6.5.1)
  credentialPublicKey: Uint8Array; // COSE_Key, CBOR-encoded
}

export interface AuthData {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attestedCredentialData?: AttestedCredentialData;
  extensions?: CborMap;
}

const rpIdHashes = new Map<string, Uint8Array>();
/**
 * §6.1 rpIdHash: SHA-256 of the RP ID's UTF-8 bytes, remembered for the few RP IDs a browser uses (a copy each
 * time: callers may write to it).
 */
export function rpIdHash(rpId: string): Uint8Array {
  let h = rpIdHashes.get(rpId);
  if (!h) {
    if (rpIdHashes.size >= 64) rpIdHashes.clear();
    rpIdHashes.set(rpId, (h = sha256(new TextEncoder().encode(rpId))));
  }
  return h.slice();
}

/** What assertion (§6.3.3 step 11) and packed attestation (§8.2) signatures sign: authenticatorData || clientDataHash. */
export function signedData(authData: Uint8Array, clientDataHash: Uint8Array): Uint8Array {
  if (clientDataHash.length !== 32) throw new RangeError(`clientDataHash must be 32 bytes, got ${clientDataHash.length}`);
  const out = new Uint8Array(authData.length + 32);
  out.set(authData);
  out.set(clientDataHash, authData.length);
  return out;
}

export function encodeAuthData(data: AuthData): Uint8Array {
  if (data.rpIdHash.length !== 32) throw new RangeError(`authData: rpIdHash must be 32 bytes, got ${data.rpIdHash.length}`);
  let flags = data.flags & ~(FLAG.AT | FLAG.ED);
  const parts: Uint8Array[] = [];
  const acd = data.attestedCredentialData;
  if (acd) {
    if (acd.aaguid.length !== 16) throw new RangeError('authData: aaguid must be 16 bytes');
    if (acd.credentialId.length > 1023) throw new RangeError('authData: credentialId longer than 1023 bytes');
    flags |= FLAG.AT;
    const len = Uint8Array.of(acd.credentialId.length >> 8, acd.credentialId.length & 0xff);
    parts.push(acd.aaguid, len, acd.credentialId, acd.credentialPublicKey);
  }
  if (data.extensions && data.extensions.size > 0) {
    flags |= FLAG.ED;
    parts.push(encode(data.extensions));
  }
  const c = data.signCount >>> 0;
  const head = Uint8Array.of(flags, c >>> 24, (c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff);
  const total = 32 + 5 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  out.set(data.rpIdHash, 0);
  out.set(head, 32);
  let o = 37;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function parseAuthData(bytes: Uint8Array): AuthData {
  if (bytes.length < 37) throw new RangeError(`authData: at least 37 bytes expected, got ${bytes.length}`);
  const rpIdHash = bytes.slice(0, 32);
  const flags = bytes[32]!;
  const signCount = new DataView(bytes.buffer, bytes.byteOffset + 33, 4).getUint32(0);
  let pos = 37;
  const out: AuthData = { rpIdHash, flags, signCount };
  if (flags & FLAG.AT) {
    if (bytes.length < pos + 18) throw new RangeError('authData: truncated attested credential data');
    const aaguid = bytes.slice(pos, pos + 16);
    const idLen = (bytes[pos + 16]! << 8) | bytes[pos + 17]!;
    pos += 18;
    if (idLen > 1023) throw new RangeError('authData: credentialId longer than 1023 bytes');
    if (bytes.length < pos + idLen) throw new RangeError('authData: truncated credentialId');
    const credentialId = bytes.slice(pos, pos + idLen);
    pos += idLen;
    const { length } = decodeFirst(bytes.subarray(pos));
    const credentialPublicKey = bytes.slice(pos, pos + length);
    pos += length;
    out.attestedCredentialData = { aaguid, credentialId, credentialPublicKey };
  }
  if (flags & FLAG.ED) {
    const { value, length } = decodeFirst(bytes.subarray(pos));
    if (!(value instanceof Map)) throw new TypeError('authData: extensions must be a map');
    out.extensions = value;
    pos += length;
  }
  if (pos !== bytes.length) throw new RangeError(`authData: ${bytes.length - pos} leftover bytes`);
  return out;
}

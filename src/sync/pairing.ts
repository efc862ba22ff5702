// Pairing a new browser (issue 3): the pure core. Two browsers agree on a key through the sync server by
// X25519 (RFC 7748 §6.1), and derive from the shared secret and the transcript (the code and both public keys)
// a short authentication string (SAS) that the person compares on both screens, and an AES-256-GCM key that
// seals the vault's details for the new browser. The HTTP side is src/adapters/pairingHttp.ts; the endpoints
// are in protocol.ts.
//
//   transcript = code (8 ASCII characters) || initiator's public key (32) || joiner's public key (32)
//   salt       = SHA-256("keyport/pairing/transcript/v1" || 0x00 || transcript)
//   SAS        = HKDF-SHA256(shared, salt, "keyport/pairing/sas/v1", 8) as a big-endian integer mod 10^6: 6 digits
//   key        = HKDF-SHA256(shared, salt, "keyport/pairing/key/v1", 32)
//   payload    = AES-256-GCM(key, vault key (32) || UTF-8 JSON {vaultId, token, serverUrl}, AAD "keyport/pairing/payload/v1 " || code)
//
//   commitment = SHA-256("keyport/pairing/commit/v1" || initiator's public key): sent before the key itself
//
// Message order (protocol.ts has the routes): the initiator publishes only its commitment; the joiner sends its
// public key B and receives the commitment; the initiator receives B and only then reveals its key A; the
// joiner checks A against the commitment (checkCommitment) before it derives the SAS. This is ZRTP's hash
// commitment (RFC 6189 §4.4.1.1); Bluetooth's numeric comparison commits before it reveals for the same reason.
//
// What the SAS buys: a server that swaps the public keys shares one secret with each browser, so each side's
// SAS comes from a different transcript and secret. The commitment keeps the server from choosing its keys to
// make the strings agree: it must hand the joiner a commitment (to the key it will reveal there) and the
// initiator a "joiner's key" before it learns A, and the initiator's SAS is a function of A. So the strings
// match by chance only, 10^-6 per attempt, and each attempt is a pairing the person sees fail. Revealing any
// other key to the joiner once A is known needs a second SHA-256 preimage. Without the commitment (the first
// version), the server knew A before it answered the join and B before it answered the initiator, and found
// matching strings by meeting in the middle in about 2 * 10^3 key agreements, under a second.
import { x25519 } from '@noble/curves/ed25519.js';
import { equalBytes } from '@noble/curves/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { abytes, clean, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import * as v from 'valibot';
import { importAeadKey, open, seal, TamperedError } from '../crypto/aead.ts';
import { decode as fromB64u, encode as b64u } from '../webauthn/base64url.ts';
import { PAIRING_COMMIT_LABEL, Token, VaultId } from './protocol.ts';

// ---- errors ----

export type PairingErrorKind =
  /** What the person typed is not a pairing code (before any network call). */
  | 'malformed-code'
  /** The server knows no pairing with this code: mistyped, or never issued. */
  | 'unknown-code'
  /** The code's 5 minutes ran out. */
  | 'expired'
  /** Another browser joined with this code already, or the pairing is complete. */
  | 'used'
  | 'rate-limited'
  | 'offline'
  /** The server answered something outside the protocol, or had a problem. */
  | 'server'
  | 'bad-address'
  /** A key or the sealed payload failed its check: the server or the network altered it, or the strings did not match. */
  | 'tampered'
  /** This pairing was cancelled on this browser. */
  | 'cancelled';

/** A pairing failure. The message is a sentence for the person; `kind` is for the program. */
export class PairingError extends Error {
  override name = 'PairingError';
  /** Seconds to wait, for 'rate-limited'. */
  readonly retryAfter?: number;
  constructor(
    readonly kind: PairingErrorKind,
    message: string,
    options: { cause?: unknown; retryAfter?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
  }
}

// ---- the code ----

/** Crockford base32 (no I, L, O, U), as the server draws codes (src/server/pairings.ts). */
const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{8}$/;

/** The code as shown: XXXX-XXXX. */
export function formatPairingCode(code: string): string {
  if (!CROCKFORD.test(code)) throw new RangeError(`code: 8 Crockford base32 characters expected, got "${code}"`);
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What the person typed, as the server's code: case, spaces and dashes are free; I/L read as 1 and O as 0 (Crockford). */
export function parsePairingCode(input: string): string {
  if (typeof input !== 'string') throw new TypeError(`input: string expected, got ${typeof input}`);
  const chars = input.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (chars.length !== 8) throw new PairingError('malformed-code', `A pairing code has 8 characters; this one has ${chars.length}.`);
  const bad = [...chars].find((c) => !/[0-9A-HJKMNP-TV-Z]/.test(c));
  if (bad !== undefined) throw new PairingError('malformed-code', `"${bad}" is not a character of a pairing code.`);
  return chars;
}

// ---- keys ----

export type PairingRole = 'initiator' | 'joiner';

export interface PairingKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** What both sides hash: the code as the server knows it and both public keys, the initiator's first. */
export interface PairingTranscript {
  code: string;
  initiatorPublicKey: Uint8Array;
  joinerPublicKey: Uint8Array;
}

/** What both browsers derive: the string the person compares, and the key that seals the payload. */
export interface PairingKeys {
  /** Six digits, shown as "123 456". */
  sas: string;
  /** 32 bytes for AES-256-GCM; wipe it after use. */
  key: Uint8Array;
}

/** An ephemeral X25519 key pair, for one pairing only. */
export function newPairingKeyPair(): PairingKeyPair {
  return x25519.keygen();
}

const SAS_DIGITS = 6;
const TRANSCRIPT_LABEL = 'keyport/pairing/transcript/v1';
const SAS_LABEL = 'keyport/pairing/sas/v1';
const KEY_LABEL = 'keyport/pairing/key/v1';
const PAYLOAD_AAD = 'keyport/pairing/payload/v1';

/** The HKDF salt: a hash of the transcript, every field of fixed length so no two transcripts share bytes. */
function transcriptSalt({ code, initiatorPublicKey, joinerPublicKey }: PairingTranscript): Uint8Array {
  if (!CROCKFORD.test(code)) throw new RangeError(`transcript.code: 8 Crockford base32 characters expected, got "${code}"`);
  abytes(initiatorPublicKey, 32, 'transcript.initiatorPublicKey');
  abytes(joinerPublicKey, 32, 'transcript.joinerPublicKey');
  return sha256(concatBytes(utf8ToBytes(TRANSCRIPT_LABEL), Uint8Array.of(0), utf8ToBytes(code), initiatorPublicKey, joinerPublicKey));
}

/** The short authentication string of a shared secret and its transcript (RFC 5869 HKDF, label "sas"). */
export function sasFor(sharedSecret: Uint8Array, transcript: PairingTranscript): string {
  abytes(sharedSecret, 32, 'sharedSecret');
  const salt = transcriptSalt(transcript);
  const bytes = hkdf(sha256, sharedSecret, salt, utf8ToBytes(SAS_LABEL), 8);
  // 64 bits mod 10^6: the bias is below 10^6 / 2^64, nothing a person could notice.
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  clean(bytes);
  const digits = (n % 10n ** BigInt(SAS_DIGITS)).toString().padStart(SAS_DIGITS, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/**
 * The SAS and the payload key, from this side's secret key and the transcript (the other side's public key is
 * the one of the other role). A key the server made up of low order is refused, not turned into a zero secret.
 */
export function pairingKeys(secretKey: Uint8Array, role: PairingRole, transcript: PairingTranscript): PairingKeys {
  abytes(secretKey, 32, 'secretKey');
  if (role !== 'initiator' && role !== 'joiner') throw new TypeError(`role: "initiator" or "joiner" expected, got ${String(role)}`);
  const salt = transcriptSalt(transcript);
  const theirs = role === 'initiator' ? transcript.joinerPublicKey : transcript.initiatorPublicKey;
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secretKey, theirs);
  } catch (e) {
    throw new PairingError('tampered', "The other browser's key is not a valid key: the sync server or the network altered it. Start again.", { cause: e });
  }
  try {
    const key = hkdf(sha256, shared, salt, utf8ToBytes(KEY_LABEL), 32);
    return { sas: sasFor(shared, transcript), key };
  } finally {
    clean(shared);
  }
}

// ---- the commitment ----

/** What the initiator publishes before it has seen the joiner's key: SHA-256(PAIRING_COMMIT_LABEL || publicKey). */
export function pairingCommitment(publicKey: Uint8Array): Uint8Array {
  abytes(publicKey, 32, 'publicKey');
  return sha256(concatBytes(utf8ToBytes(PAIRING_COMMIT_LABEL), publicKey));
}

/**
 * The joiner's check of the key the initiator revealed, before any SAS is derived from it: a key other than the
 * one committed to (the server chose it after it learned the real one) is PairingError 'tampered'.
 */
export function checkCommitment(commitment: Uint8Array, initiatorPublicKey: Uint8Array): void {
  abytes(commitment, 32, 'commitment');
  abytes(initiatorPublicKey, 32, 'initiatorPublicKey');
  if (!equalBytes(pairingCommitment(initiatorPublicKey), commitment)) {
    throw new PairingError('tampered', "The new browser's key is not the one it committed to: the sync server or the network altered it. Nothing was set up; start again.");
  }
}

// ---- the payload ----

/** What the approving browser hands the new one: where the vault lives and the key that opens it. */
export interface PairingPayload {
  vaultId: string;
  token: string;
  /** The raw vault key, 32 bytes; the receiver wipes it after use. */
  vaultKey: Uint8Array;
  /** The sync server holding the vault. */
  serverUrl: string;
}

const PayloadFields = v.object({ vaultId: VaultId, token: Token, serverUrl: v.pipe(v.string(), v.minLength(1), v.maxLength(2048)) });

const aadFor = (code: string) => {
  if (!CROCKFORD.test(code)) throw new RangeError(`code: 8 Crockford base32 characters expected, got "${code}"`);
  return `${PAYLOAD_AAD} ${code}`;
};

/**
 * Seals the payload under the pairing key, bound to the code: base64url of iv (12) || ciphertext || tag (16).
 * The plaintext is bytes, not JSON text, so the vault key in it can be wiped.
 */
export async function sealPayload(key: Uint8Array, code: string, payload: PairingPayload): Promise<string> {
  abytes(key, 32, 'key');
  const aad = aadFor(code);
  abytes(payload.vaultKey, 32, 'payload.vaultKey');
  const fields = v.safeParse(PayloadFields, { vaultId: payload.vaultId, token: payload.token, serverUrl: payload.serverUrl });
  if (!fields.success) throw new TypeError(`payload: ${fields.issues[0].path?.map((p) => p.key).join('.') ?? ''} ${fields.issues[0].message}`);
  const plaintext = concatBytes(payload.vaultKey, utf8ToBytes(JSON.stringify(fields.output)));
  try {
    const sealed = await seal(await importAeadKey(key), plaintext, aad);
    return b64u(concatBytes(sealed.iv, sealed.ct));
  } finally {
    clean(plaintext);
  }
}

/** Opens what sealPayload made. A wrong key (the strings did not match), a changed byte or another code: PairingError 'tampered'. */
export async function openPayload(key: Uint8Array, code: string, sealed: string): Promise<PairingPayload> {
  abytes(key, 32, 'key');
  const aad = aadFor(code);
  const refused = (why: string, cause?: unknown) =>
    new PairingError('tampered', `The vault details from the other browser could not be opened (${why}). The sync server or the network altered them, or the two strings did not match. Nothing was set up; start again.`, { cause });
  let bytes: Uint8Array;
  try {
    bytes = fromB64u(sealed);
  } catch (e) {
    throw refused('not base64url', e);
  }
  if (bytes.length < 12 + 16) throw refused('too short');
  let plaintext: Uint8Array;
  try {
    plaintext = await open(await importAeadKey(key), { iv: bytes.slice(0, 12), ct: bytes.slice(12) }, aad);
  } catch (e) {
    if (e instanceof TamperedError) throw refused('the authentication tag did not verify', e);
    throw e;
  }
  try {
    if (plaintext.length < 33) throw refused('too short');
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext.subarray(32)));
    } catch (e) {
      throw refused('not JSON', e);
    }
    const fields = v.safeParse(PayloadFields, json);
    if (!fields.success) throw refused(`${fields.issues[0].path?.map((p) => p.key).join('.') ?? 'payload'}: ${fields.issues[0].message}`);
    return { ...fields.output, vaultKey: plaintext.slice(0, 32) };
  } finally {
    clean(plaintext);
  }
}

// The one shape every import and export format speaks: a passkey as other managers carry it.
// Formats (cxf.ts, bitwarden.ts, keepassxc.ts) turn documents into these and back; the vault turns
// these into sealed records. Pure data: no browser API, no vault key.
import type { Alg } from '../webauthn/cose.ts';

export type FormatId = 'cxf' | 'bitwarden' | 'keepassxc';

export interface PortablePasskey {
  credentialId: Uint8Array;
  rpId: string;
  userHandle: Uint8Array;
  userName: string;
  userDisplayName: string;
  /** The private key as PKCS#8 (RFC 5208), checked: a supported algorithm and curve. */
  pkcs8: Uint8Array;
  alg: Alg;
  /** COSE_Key of the public key, derived from the private key (never trusted from the file). */
  publicKeyCose: Uint8Array;
  /** The PRF / hmac-secret credential secret (CXF fido2Extensions.hmacCredentials.credWithUV), when the file has one. */
  prfSecret?: Uint8Array;
  /**
   * WebAuthn L3 §10.1.5 large blob (CXF fido2Extensions.largeBlob, uncompressed): present when the passkey can hold
   * one, empty when it holds none yet. Only CXF carries it.
   */
  largeBlob?: Uint8Array;
  /** CTAP 2.1 credBlob (CXF fido2Extensions.credBlob). Only CXF carries it. */
  credBlob?: Uint8Array;
  createdAt?: number;
  lastUsedAt?: number;
  signCount?: number;
  /** False only for a server-side (non-discoverable) credential; absent means discoverable. */
  discoverable?: boolean;
  /** The item's title in the source manager, when it differs from the rpId. */
  title?: string;
}

/** One entry of a file that cannot become a passkey, and why, in a sentence a person understands. */
export interface InvalidEntry {
  /** Where in the file: "item 3", "account 1, item 'GitHub'", "entry 'example.com'". */
  where: string;
  reason: string;
}

export interface ParsedDocument {
  passkeys: PortablePasskey[];
  invalid: InvalidEntry[];
  /** Items or credentials of types Keyport does not use (passwords, notes, TOTP...), kept verbatim where the format can carry them back out. */
  preserved?: unknown;
}

/** Why a whole file was refused, for a UI that reacts differently (asks for a password, offers another format). */
export type FormatErrorCode =
  | 'not-this-format'
  | 'unsupported-version'
  | 'password-required'
  | 'wrong-password'
  | 'tampered'
  | 'too-large'
  | 'malformed'
  | 'cannot-export';

/** The whole file is unusable (not the format, wrong password, tampered): nothing in it is imported. */
export class FormatError extends Error {
  override name = 'FormatError';
  constructor(
    message: string,
    readonly code: FormatErrorCode = 'malformed',
  ) {
    super(message);
  }
}

/** Why a format leaves a passkey out of an export, for the person. */
export const formatLimit = (format: FormatId): string =>
  format === 'bitwarden' ? "Bitwarden's format holds only ECDSA P-256 (ES256) passkeys." : 'this format cannot hold them.';

// The authenticator's ports (WebAuthn L3 §6.3): what it stores, what it asks the person. makeCredential.ts and
// getAssertion.ts take these as a small deps object, so tests script the person (Consent) and the storage
// (CredentialStore) without any browser.
import type { Alg } from '../cose.ts';
import type { GeneratedKey } from './keys.ts';
import type { AuthenticatorProfile } from './profile.ts';

/** Keyport's AAGUID (§6.5.1), a fixed random value that names this authenticator model. */
export const KEYPORT_AAGUID = Uint8Array.from([0x6b, 0x70, 0x2d, 0x4b, 0x65, 0x79, 0x70, 0x6f, 0x72, 0x74, 0x41, 0x0d, 0x9e, 0x13, 0x5c, 0x27]);

/** What the ceremony needs of a passkey. The private key stays in the store; only `sign` uses it. */
export interface CredentialMeta {
  credentialId: string; // base64url
  rpId: string;
  userHandle: string; // base64url
  userName: string;
  userDisplayName: string;
  alg: Alg;
  discoverable: boolean;
  backedUp: boolean;
  createdAt: number;
  lastUsedAt?: number;
  /** The signature counter (§6.1.1). Keyport's passkeys are multi-device and answer 0; developer mode may count. */
  signCount?: number;
}

export interface NewCredential extends Omit<CredentialMeta, 'lastUsedAt'> {
  pkcs8: Uint8Array;
  publicKeyCose: Uint8Array;
  prfSecret: Uint8Array;
  /** §10.1.5: present when the passkey can hold a large blob (it was asked for at creation); empty: no blob yet. */
  largeBlob?: Uint8Array;
  /** CTAP 2.1 credBlob, at most CRED_BLOB_MAX_BYTES (webauthn/blobs.ts), fixed at creation. */
  credBlob?: Uint8Array;
}

/** What a site keeps with one passkey (webauthn/blobs.ts). */
export interface CredentialBlobs {
  largeBlob?: Uint8Array;
  credBlob?: Uint8Array;
}

export interface CredentialStore {
  /**
   * Passkeys for an RP ID, from memory (the vault is unlocked before a ceremony reaches the store). With `ids` (an
   * allowCredentials list), a store may return only those: a sign-in that names its passkey need not walk the vault.
   */
  list(rpId: string, ids?: readonly string[]): CredentialMeta[];
  add(credential: NewCredential): Promise<void>;
  sign(credentialId: string, data: Uint8Array): Promise<Uint8Array>;
  prfSecret(credentialId: string): Uint8Array;
  blobs(credentialId: string): CredentialBlobs;
  /** §10.1.5: stores a passkey's large blob (written at once, so it syncs); false when the passkey cannot hold one. */
  writeLargeBlob(credentialId: string, blob: Uint8Array): Promise<boolean>;
  touch(credentialId: string, at: number): void;
  /** Remembers a signature counter the ceremony answered with (developer mode), written like touch. */
  setSignCount(credentialId: string, count: number): void;
  generateKey(alg: Alg): Promise<GeneratedKey>;
}

export interface CreateRequestInfo {
  origin: string;
  rpId: string;
  rpName: string;
  userName: string;
  userDisplayName: string;
  userVerification: string;
}

export interface GetRequestInfo {
  origin: string;
  rpId: string;
  accounts: CredentialMeta[];
  userVerification: string;
}

/**
 * The person's answer. `uv` is true only when the master password was proven (§6.2.3 user verification). `up: false`:
 * no one was asked (a conditional create the person allowed beforehand, §5.1.3: requireUserPresence false).
 */
export type Decision<T = object> = ({ action: 'approve'; uv: boolean; up?: false } & T) | { action: 'fallback' };

/** The UI as a port (Bitwarden's fido2-user-interface idea): cancel rejects with NotAllowedError. */
export interface Consent {
  confirmCreate(info: CreateRequestInfo, signal: AbortSignal): Promise<Decision>;
  /** §6.3.2 step 3: the person acknowledges that a passkey the RP excludes is already here (cancel: NotAllowedError). */
  confirmExcluded(info: CreateRequestInfo, signal: AbortSignal): Promise<void>;
  pickCredential(info: GetRequestInfo, signal: AbortSignal): Promise<Decision<{ credentialId: string }>>;
}

export interface CeremonyDeps {
  store: CredentialStore;
  consent: Consent;
  now: () => number;
  /** Developer mode's authenticator; absent: KEYPORT_PROFILE. */
  profile?: AuthenticatorProfile;
}

export type Outcome<T> = { kind: 'credential'; credential: T } | { kind: 'fallback' };

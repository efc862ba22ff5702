// The authenticator Keyport claims to be (docs/design.md "Authenticator semantics"), and what developer mode may
// change of it: attestation, algorithm order, user verification, backup flags and the signature counter (§6.1).
import { FLAG } from '../authData.ts';
import type { Alg } from '../cose.ts';
import { notAllowed } from '../errors.ts';

/** How the authenticator answers the signature counter (§6.1.1 Signature Counter Considerations). */
export type SignCounterMode =
  /** Constant zero: "authenticators that do not implement a signature counter" (Keyport's multi-device passkeys). */
  | { mode: 'zero' }
  /** Per-credential counter, +1 for each assertion, kept in the store (registration answers 0). */
  | { mode: 'increment' }
  /** This value in every answer, a frozen counter (lets an RP's clone detection be tested). */
  | { mode: 'fixed'; value: number };

/** How the authenticator answers user verification (the UV flag, §6.1). */
export type UserVerificationMode =
  /** UV = 1 exactly when the person proved the master password for this ceremony (docs/design.md). */
  | 'person'
  /** UV = 1 always: an authenticator that verifies by itself. */
  | 'on'
  /** An authenticator without user verification: UV = 0, and a request that requires it fails (see checkCanVerify). */
  | 'off'
  /** Deviation on purpose: UP = 1, UV = 0 even when the RP required UV, so that the RP's rejection can be tested. */
  | 'up-only';

/**
 * The authenticator that developer mode (issue 6) makes Keyport claim to be. Absent from CeremonyDeps,
 * the ceremonies answer as KEYPORT_PROFILE: docs/design.md "Authenticator semantics".
 */
export interface AuthenticatorProfile {
  /** §8.7 none, or §8.2 packed self attestation (conveyed only when the RP asks for attestation: see create.ts). */
  attestation: 'none' | 'packed';
  /** The authenticator's preference order: the first of these that the RP lists wins. Absent: the RP's order. */
  algorithms?: readonly Alg[];
  userVerification: UserVerificationMode;
  /** BE (§6.1). Absent: 1. */
  backupEligible?: boolean;
  /**
   * BS (§6.1). Absent: the credential's backed-up state, and 0 when BE is forced to 0. Set explicitly, it is
   * answered as is, even 1 with BE = 0, which §6.1.3 Table "not allowed": a deliberate way to test an RP's check.
   */
  backupState?: boolean;
  counter: SignCounterMode;
}

/** Keyport's own answers, which an absent profile means. */
export const KEYPORT_PROFILE: AuthenticatorProfile = Object.freeze({ attestation: 'none', userVerification: 'person', counter: Object.freeze({ mode: 'zero' }) });

/**
 * §5.1.3 (for each authenticator: "userVerification is required and the authenticator is not capable of performing user
 * verification: continue") and §5.1.4.2 step 1 (likewise, "return false"): the client skips such an authenticator before
 * asking anyone. With no authenticator left, the algorithm ends in NotAllowedError when its timer expires; Keyport answers
 * that at once. (§5.1.3's list of exceptions also names ConstraintError for this case, and Chromium on Android answers
 * NotSupportedError: an RP should treat all three alike.)
 */
export function checkCanVerify(profile: AuthenticatorProfile, userVerification: string): void {
  if (profile.userVerification === 'off' && userVerification === 'required') {
    throw notAllowed('User verification was required, and this authenticator (developer mode: UV off) cannot perform it.');
  }
}

/** §6.3.2 / §6.3.3 "requireUserVerification": the UV flag to answer, or NotAllowedError when required UV did not happen. */
export function userVerified(profile: AuthenticatorProfile, userVerification: string, personVerified: boolean): boolean {
  switch (profile.userVerification) {
    case 'on':
      return true;
    case 'off':
    case 'up-only':
      return false;
    case 'person':
      if (userVerification === 'required' && !personVerified) throw notAllowed('User verification was required and could not be performed.');
      return personVerified;
  }
}

/** §6.1 flags UP, UV, BE, BS of an answer (AT and ED are set by encodeAuthData). */
export function authFlags(profile: AuthenticatorProfile, uv: boolean, backedUp: boolean, up = true): number {
  const be = profile.backupEligible ?? true;
  const bs = profile.backupState ?? (be && backedUp);
  return (up ? FLAG.UP : 0) | (uv ? FLAG.UV : 0) | (be ? FLAG.BE : 0) | (bs ? FLAG.BS : 0);
}

/**
 * §6.1.1: the signCount to answer. `stored` is the credential's counter for an assertion, undefined for a registration
 * (whose counter is the initial value). `remember` says whether the store must keep the answered value.
 */
export function signCountFor(counter: SignCounterMode, stored: number | undefined, registration: boolean): { signCount: number; remember: boolean } {
  switch (counter.mode) {
    case 'zero':
      return { signCount: 0, remember: false };
    case 'fixed':
      return { signCount: counter.value >>> 0, remember: false };
    case 'increment':
      // 32-bit unsigned (§6.1 signCount); it wraps to 0 after 2^32 - 1 as the field does.
      return { signCount: registration ? 0 : ((stored ?? 0) + 1) % 0x1_0000_0000, remember: true };
  }
}

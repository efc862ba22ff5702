// WebAuthn L3 §6.3.3 The authenticatorGetAssertion Operation. The client (client/get.ts) hands over a validated
// RP ID and the hash of the client data it serialized.
import { encodeAuthData, rpIdHash, signedData } from '../authData.ts';
import { notAllowed } from '../errors.ts';
import { hmacSecret, type PrfSalts, type PrfOutputs } from '../prf.ts';
import type { CeremonyDeps } from './model.ts';
import { KEYPORT_PROFILE, authFlags, checkCanVerify, signCountFor, userVerified } from './profile.ts';

export interface GetAssertionParams {
  clientDataHash: Uint8Array;
  /** The RP ID the client validated against the caller's origin. */
  rpId: string;
  /** allowCredentialDescriptorList's ids (public-key type only); empty: discoverable credentials. */
  allowCredentialIds: readonly string[];
  userVerification: string;
  /** hmac-secret (the prf extension, §10.1.4): salts for every credential, or for one by its id. */
  prf?: { salts?: PrfSalts; saltsByCredential?: Readonly<Record<string, PrfSalts>> };
  /**
   * §10.1.5 largeBlob: read the chosen passkey's blob, or write one (the client checked there is exactly one allowed
   * credential and the size: client/validate.ts).
   */
  largeBlob?: { read: true } | { write: Uint8Array };
  /** CTAP 2.1 §12.2 getCredBlob. */
  getCredBlob?: boolean;
  /** The caller's origin, shown by the account picker only. */
  origin: string;
}

export interface Assertion {
  kind: 'credential';
  credentialId: string;
  authData: Uint8Array;
  signature: Uint8Array;
  userHandle: string;
  prf?: { results?: PrfOutputs };
  /** §10.1.5: the blob read (absent: none), or whether the one written was stored. */
  largeBlob?: { blob?: Uint8Array } | { written: boolean };
  /** CTAP 2.1 §12.2: the passkey's credBlob, empty when it has none. */
  credBlob?: Uint8Array;
}

export async function getAssertion(p: GetAssertionParams, signal: AbortSignal, deps: CeremonyDeps): Promise<Assertion | { kind: 'fallback' }> {
  const profile = deps.profile ?? KEYPORT_PROFILE;
  checkCanVerify(profile, p.userVerification);

  // Steps 6–7: the credentials this RP may use here; none is the client's cue to offer other authenticators.
  const all = p.allowCredentialIds.length > 0 ? deps.store.list(p.rpId, p.allowCredentialIds) : deps.store.list(p.rpId);
  const candidates = p.allowCredentialIds.length > 0 ? all.filter((c) => p.allowCredentialIds.includes(c.credentialId)) : all.filter((c) => c.discoverable);
  if (candidates.length === 0) return { kind: 'fallback' };

  // Step 8: the person picks an account (and verifies when asked to).
  const decision = await deps.consent.pickCredential({ origin: p.origin, rpId: p.rpId, accounts: candidates, userVerification: p.userVerification }, signal);
  if (decision.action === 'fallback') return { kind: 'fallback' };
  const chosen = candidates.find((c) => c.credentialId === decision.credentialId);
  if (!chosen) throw notAllowed('The chosen credential is not one of those offered.');
  const uv = userVerified(profile, p.userVerification, decision.uv);

  // Step 9: the signature counter, incremented by a counting authenticator (§6.1.1).
  const counter = signCountFor(profile.counter, chosen.signCount, false);
  const authData = encodeAuthData({ rpIdHash: rpIdHash(p.rpId), flags: authFlags(profile, uv, chosen.backedUp), signCount: counter.signCount });
  // Step 11: sign authenticatorData || clientDataHash.
  const signature = await deps.store.sign(chosen.credentialId, signedData(authData, p.clientDataHash));
  deps.store.touch(chosen.credentialId, deps.now());
  if (counter.remember) deps.store.setSignCount(chosen.credentialId, counter.signCount);

  const assertion: Assertion = { kind: 'credential', credentialId: chosen.credentialId, authData, signature, userHandle: chosen.userHandle };
  if (p.prf) {
    const salts = p.prf.saltsByCredential?.[chosen.credentialId] ?? p.prf.salts;
    assertion.prf = salts ? { results: hmacSecret(deps.store.prfSecret(chosen.credentialId), salts) } : {};
  }
  if (p.getCredBlob) assertion.credBlob = deps.store.blobs(chosen.credentialId).credBlob ?? new Uint8Array();
  if (p.largeBlob && 'read' in p.largeBlob) {
    // An empty blob is no blob (Chromium 156 answers `{}` after writing an empty one, measured).
    const blob = deps.store.blobs(chosen.credentialId).largeBlob;
    assertion.largeBlob = blob?.length ? { blob } : {};
  } else if (p.largeBlob) {
    // After the assertion, as a CTAP client writes with the largeBlobKey it returned; a failed write is `written: false`.
    assertion.largeBlob = { written: await deps.store.writeLargeBlob(chosen.credentialId, p.largeBlob.write).catch(() => false) };
  }
  return assertion;
}

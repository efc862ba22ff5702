// WebAuthn L3 §5.1.3 Create a New Credential (the client's [[Create]]) and §6.3.2 authenticatorMakeCredential.
import { importSigner } from '../crypto/credentialKeys.ts';
import { encode as b64u, decode as fromB64u } from './base64url.ts';
import { type CborMap, type CborValue, encode as cbor } from './cbor.ts';
import { ALG, type Alg, SUPPORTED_ALGS, encodeCoseKey, spki } from './cose.ts';
import { encodeAuthData } from './authData.ts';
import { serializeClientData } from './clientData.ts';
import { WebAuthnError, notAllowed } from './errors.ts';
import { type ValidatedCreate, validateCreate } from './client.ts';
import { evaluatePrf } from './prf.ts';
import {
  type AuthenticatorProfile,
  type CeremonyDeps,
  KEYPORT_AAGUID,
  KEYPORT_PROFILE,
  type Outcome,
  authFlags,
  checkCanVerify,
  rpIdHash,
  signCountFor,
  signedData,
  userVerified,
} from './authenticator.ts';
import type { Caller, ClientExtensionOutputsJSON, CreationOptionsJSON, RegistrationResponseJSON } from './types.ts';

export interface CreateContext {
  caller: Caller;
  /** The frame's permissions policy allows publickey-credentials-create (asked only for cross-origin frames). */
  framePermitted: boolean;
  signal: AbortSignal;
  /** BS (§6.1): whether the new passkey is backed up from the start (sync on). */
  backedUp: boolean;
}

/**
 * §5.1.3 step 10: the algorithms requested, or ES256 and RS256 when the list is empty. §6.3.2 step 2 takes "the first
 * item in credTypesAndPubKeyAlgs that is supported", the RP's order; with `preference` (developer mode), the
 * authenticator's order decides instead: the first of its algorithms that the RP lists.
 */
export function chooseAlgorithm(params: { type: string; alg: number }[], preference?: readonly Alg[]): Alg {
  const publicKeyParams = params.filter((p) => p.type === 'public-key');
  if (params.length > 0 && publicKeyParams.length === 0) {
    throw new WebAuthnError('NotSupportedError', 'None of the requested pubKeyCredParams has a supported credential type.');
  }
  const wanted: number[] = params.length === 0 ? [ALG.ES256, ALG.RS256] : publicKeyParams.map((p) => p.alg);
  const alg = preference ? preference.find((a) => wanted.includes(a)) : wanted.find((a) => SUPPORTED_ALGS.includes(a));
  // §6.3.2 step 2: the authenticator answers NotSupportedError, which the client (like Chromium) reports as NotAllowedError.
  if (alg === undefined) throw notAllowed('None of the requested algorithms is supported by this authenticator.');
  return alg as Alg;
}

/** §5.4.7: the conveyance preferences under which the client passes the authenticator's statement on. */
const CONVEYED = ['indirect', 'direct', 'enterprise'];

/**
 * The attestation statement format the RP receives.
 * - §5.1.3: `attestation` "none" (or absent, or an unknown value, which §5.4.7 says to ignore) makes the client send
 *   attestationFormats ["none"], and constructCredentialAlg then replaces any statement by "none" unless it is self
 *   attestation with an all-zero AAGUID. Keyport keeps its own AAGUID, so "none" conveyance always gives "none" (as
 *   Chromium does: its AttestationObject::IsSelfAttestation also requires the zero AAGUID). An RP that wants to see
 *   packed self attestation asks for "direct".
 * - "direct" and "enterprise" convey the statement unaltered; "indirect" allows the client to replace it, and Keyport
 *   does not. Keyport has no enterprise attestation (enterpriseAttestationPossible is false), so "enterprise" is "direct".
 * - §6.3.2 (attestationFormat): the first of the RP's attestationFormats that the authenticator supports ("packed" and
 *   "none" in developer mode's packed profile), else the authenticator's own preference, "packed".
 */
export function attestationFormat(profile: AuthenticatorProfile, options: Pick<CreationOptionsJSON, 'attestation' | 'attestationFormats'>): 'none' | 'packed' {
  if (profile.attestation === 'none' || !CONVEYED.includes(options.attestation ?? 'none')) return 'none';
  const first = (options.attestationFormats ?? []).find((f): f is 'packed' | 'none' => f === 'packed' || f === 'none');
  return first ?? 'packed';
}

/**
 * §8.2 "packed", signing procedure for self attestation: sig over authenticatorData || clientDataHash with the credential
 * private key, alg the credential's algorithm, and no x5c (§6.5.3 Self Attestation).
 */
async function selfAttestation(alg: Alg, pkcs8: Uint8Array, authData: Uint8Array, clientDataJSON: Uint8Array): Promise<CborMap> {
  const sig = await (await importSigner(alg, pkcs8))(signedData(authData, clientDataJSON));
  return new Map<string, CborValue>([
    ['alg', alg],
    ['sig', sig],
  ]);
}

/** §5.1.3 from the start: validates the request (client.ts), then creates. */
export async function createCredential(input: unknown, ctx: CreateContext, deps: CeremonyDeps): Promise<Outcome<RegistrationResponseJSON>> {
  return createValidated(validateCreate(input, ctx.caller, ctx.framePermitted), ctx, deps);
}

/** §5.1.3 from step 9, and §6.3.2, for a request validateCreate() accepted. */
export async function createValidated(request: ValidatedCreate, ctx: Pick<CreateContext, 'signal' | 'backedUp'>, deps: CeremonyDeps): Promise<Outcome<RegistrationResponseJSON>> {
  const { options, caller, origin, rpId } = request;
  const profile = deps.profile ?? KEYPORT_PROFILE;
  const alg = chooseAlgorithm(options.pubKeyCredParams, profile.algorithms);
  const userVerification = options.authenticatorSelection?.userVerification ?? 'preferred';
  checkCanVerify(profile, userVerification);

  const info = { origin: origin.origin, rpId, rpName: options.rp.name, userName: options.user.name, userDisplayName: options.user.displayName, userVerification };
  // §6.3.2 step 3: a credential already here that the RP excludes. The person is asked first (InvalidStateError
  // only with their consent, NotAllowedError without), so a page cannot silently probe which ids exist here.
  const existing = deps.store.list(rpId);
  const excluded = (options.excludeCredentials ?? []).some((d) => d.type === 'public-key' && existing.some((c) => c.credentialId === d.id));
  if (excluded) {
    await deps.consent.confirmExcluded(info, ctx.signal);
    throw new WebAuthnError('InvalidStateError', 'The authenticator already holds a credential excluded by the relying party.');
  }

  const decision = await deps.consent.confirmCreate(info, ctx.signal);
  if (decision.action === 'fallback') return { kind: 'fallback' };
  const uv = userVerified(profile, userVerification, decision.uv);

  const key = await deps.store.generateKey(alg);
  const credentialId = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const publicKeyCose = cbor(encodeCoseKey(key.publicKey));
  const prfSecret = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const counter = signCountFor(profile.counter, undefined, true);
  const authData = encodeAuthData({
    rpIdHash: rpIdHash(rpId),
    flags: authFlags(profile, uv, ctx.backedUp),
    signCount: counter.signCount,
    attestedCredentialData: { aaguid: KEYPORT_AAGUID, credentialId, credentialPublicKey: publicKeyCose },
  });
  const clientDataJSON = serializeClientData({
    type: 'webauthn.create',
    challenge: fromB64u(options.challenge),
    origin: origin.origin,
    crossOrigin: !caller.sameOriginWithAncestors,
    topOrigin: caller.topOrigin,
  });
  // §6.5.4 Generating an Attestation Object: fmt, attStmt, authData.
  const fmt = attestationFormat(profile, options);
  const attStmt = fmt === 'packed' ? await selfAttestation(alg, key.pkcs8, authData, clientDataJSON) : new Map();
  const attestationObject = cbor(new Map<string, CborValue>([['fmt', fmt], ['attStmt', attStmt], ['authData', authData]]));

  const extensionResults: ClientExtensionOutputsJSON = {};
  const ext = options.extensions ?? {};
  if (ext.credProps === true) extensionResults.credProps = { rk: true }; // §10.1.3: Keyport's passkeys are discoverable
  if (ext.prf) {
    extensionResults.prf = { enabled: true };
    if (ext.prf.eval) extensionResults.prf.results = evaluatePrf(prfSecret, ext.prf.eval);
  }

  const id = b64u(credentialId);
  await deps.store.add({
    credentialId: id,
    rpId,
    userHandle: options.user.id,
    userName: options.user.name,
    userDisplayName: options.user.displayName,
    alg,
    discoverable: true,
    backedUp: ctx.backedUp,
    createdAt: deps.now(),
    ...(counter.remember ? { signCount: counter.signCount } : {}),
    pkcs8: key.pkcs8,
    publicKeyCose,
    prfSecret,
  });
  key.pkcs8.fill(0);

  return {
    kind: 'credential',
    credential: {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: extensionResults,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        authenticatorData: b64u(authData),
        transports: ['hybrid', 'internal'],
        publicKey: b64u(spki(key.publicKey)),
        publicKeyAlgorithm: alg,
      },
    },
  };
}

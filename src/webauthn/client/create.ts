// WebAuthn L3 §5.1.3 Create a New Credential: the client's [[Create]] from step 9 on, for a request that
// validate.ts accepted. It serializes the client data, hands the authenticator (authenticator/makeCredential.ts)
// only its hash and the validated RP ID, and turns the authenticator's answer into the response JSON.
import { sha256 } from '@noble/hashes/sha2.js';
import { encode as b64u, decode as fromB64u } from '../base64url.ts';
import { ALG, type Alg, spki } from '../cose.ts';
import { serializeClientData } from './clientData.ts';
import { WebAuthnError } from '../errors.ts';
import { type ValidatedCreate, validateCreate } from './validate.ts';
import { encodePrfOutputs, prfSalts } from '../prf.ts';
import type { CeremonyDeps, Outcome } from '../authenticator/model.ts';
import type { AuthenticatorProfile } from '../authenticator/profile.ts';
import { makeCredential, selectAlgorithm, selectAttestationFormat } from '../authenticator/makeCredential.ts';
import type { Caller, ClientExtensionOutputsJSON, CreationOptionsJSON, RegistrationResponseJSON } from '../types.ts';

export interface CreateContext {
  caller: Caller;
  /** The frame's permissions policy allows publickey-credentials-create (asked only for cross-origin frames). */
  framePermitted: boolean;
  signal: AbortSignal;
  /** BS (§6.1): whether the new passkey is backed up from the start (sync on). */
  backedUp: boolean;
}

/**
 * §5.1.3 step 10: credTypesAndPubKeyAlgs, the public-key algorithms requested, or ES256 and RS256 when the list is
 * empty; a non-empty list without a supported credential type is NotSupportedError.
 */
export function credTypesAndPubKeyAlgs(params: readonly { type: string; alg: number }[]): number[] {
  const publicKeyParams = params.filter((p) => p.type === 'public-key');
  if (params.length > 0 && publicKeyParams.length === 0) {
    throw new WebAuthnError('NotSupportedError', 'None of the requested pubKeyCredParams has a supported credential type.');
  }
  return params.length === 0 ? [ALG.ES256, ALG.RS256] : publicKeyParams.map((p) => p.alg);
}

/** The algorithm a request ends with: the client's list (step 10), then the authenticator's choice (§6.3.2 step 2). */
export function chooseAlgorithm(params: readonly { type: string; alg: number }[], preference?: readonly Alg[]): Alg {
  return selectAlgorithm(credTypesAndPubKeyAlgs(params), preference);
}

/** §5.4.7: the conveyance preferences under which the client passes the authenticator's statement on. */
const CONVEYED = ['indirect', 'direct', 'enterprise'];

/**
 * §5.1.3 attestationFormats as the client hands them to the authenticator. `attestation` "none" (or absent, or an
 * unknown value, which §5.4.7 says to ignore) makes them ["none"], and constructCredentialAlg would replace any
 * statement by "none" unless it is self attestation with an all-zero AAGUID; Keyport keeps its own AAGUID, so "none"
 * conveyance always gives "none" (as Chromium does: its AttestationObject::IsSelfAttestation also requires the zero
 * AAGUID). "direct" and "enterprise" convey the statement unaltered; "indirect" allows the client to replace it, and
 * Keyport does not. Keyport has no enterprise attestation, so "enterprise" is "direct".
 */
export function clientAttestationFormats(options: Pick<CreationOptionsJSON, 'attestation' | 'attestationFormats'>): string[] {
  return CONVEYED.includes(options.attestation ?? 'none') ? (options.attestationFormats ?? []) : ['none'];
}

/** The statement format the RP receives: the client's list, then the authenticator's choice (§6.3.2). */
export function attestationFormat(profile: AuthenticatorProfile, options: Pick<CreationOptionsJSON, 'attestation' | 'attestationFormats'>): 'none' | 'packed' {
  return selectAttestationFormat(profile, clientAttestationFormats(options));
}

/**
 * §5.1.3 step 20, which authenticators a request may use, decided before anyone is asked: Keyport is a platform
 * authenticator. `authenticatorAttachment: 'cross-platform'` is for the browser's own authenticators (security keys,
 * phones): 'browser', as when the person chooses "another device or security key". Chromium 156's own platform
 * authenticator is not offered for it either; the browser waits for a security key (measured). Keyport stores
 * large blobs, so §10.1.5 `support: 'required'` is met.
 */
export function authenticatorFor(options: Pick<CreationOptionsJSON, 'authenticatorSelection'>): 'keyport' | 'browser' {
  return options.authenticatorSelection?.authenticatorAttachment === 'cross-platform' ? 'browser' : 'keyport';
}

/** §5.1.3 from the start: validates the request (validate.ts), then creates. */
export async function createCredential(input: unknown, ctx: CreateContext, deps: CeremonyDeps): Promise<Outcome<RegistrationResponseJSON>> {
  return createValidated(validateCreate(input, ctx.caller, ctx.framePermitted), ctx, deps);
}

/** §5.1.3 from step 9 for a request validateCreate() accepted. */
export async function createValidated(request: ValidatedCreate, ctx: Pick<CreateContext, 'signal' | 'backedUp'>, deps: CeremonyDeps): Promise<Outcome<RegistrationResponseJSON>> {
  const { options, caller, origin, rpId } = request;
  if (authenticatorFor(options) === 'browser') return { kind: 'fallback' };
  const algorithms = credTypesAndPubKeyAlgs(options.pubKeyCredParams);
  const ext = options.extensions ?? {};
  // Steps 11–14: the client data and its hash, which is all of it the authenticator sees.
  const clientDataJSON = serializeClientData({
    type: 'webauthn.create',
    challenge: options.challenge,
    origin: origin.origin,
    crossOrigin: !caller.sameOriginWithAncestors,
    topOrigin: caller.topOrigin,
  });
  const made = await makeCredential(
    {
      clientDataHash: sha256(clientDataJSON),
      rpId,
      rpName: options.rp.name,
      user: options.user,
      algorithms,
      excludeCredentialIds: (options.excludeCredentials ?? []).filter((d) => d.type === 'public-key').map((d) => d.id),
      userVerification: options.authenticatorSelection?.userVerification ?? 'preferred',
      attestationFormats: clientAttestationFormats(options),
      ...(ext.prf ? { prf: ext.prf.eval ? { salts: prfSalts(ext.prf.eval) } : {} } : {}),
      // §10.1.5 registration: any `support` value (an unknown one too) asks for a passkey that holds a large blob,
      // as Chromium 156 treats it (measured: `{}` and 'bogus' both give `supported: true`).
      ...(ext.largeBlob ? { largeBlob: true } : {}),
      ...(ext.credBlob !== undefined ? { credBlob: fromB64u(ext.credBlob) } : {}),
      backedUp: ctx.backedUp,
      origin: origin.origin,
    },
    ctx.signal,
    deps,
  );
  if (made.kind === 'fallback') return made;

  // §9 client extension outputs.
  const extensionResults: ClientExtensionOutputsJSON = {};
  if (made.credBlob !== undefined) extensionResults.credBlob = made.credBlob;
  if (made.largeBlob) extensionResults.largeBlob = made.largeBlob;
  if (ext.credProps === true) extensionResults.credProps = { rk: true }; // §10.1.3: Keyport's passkeys are discoverable
  if (made.prf) extensionResults.prf = made.prf.results ? { enabled: true, results: encodePrfOutputs(made.prf.results) } : { enabled: true };

  const id = b64u(made.credentialId);
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
        attestationObject: b64u(made.attestationObject),
        authenticatorData: b64u(made.authData),
        transports: ['hybrid', 'internal'],
        publicKey: b64u(spki(made.publicKey)),
        publicKeyAlgorithm: made.alg,
      },
    },
  };
}

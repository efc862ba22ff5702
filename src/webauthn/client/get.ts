// WebAuthn L3 §5.1.4 Use an Existing Credential: the client's [[DiscoverFromExternalSource]] from step 9 on, for a
// request that validate.ts accepted. It serializes the client data and hands the authenticator
// (authenticator/getAssertion.ts) only its hash and the validated RP ID.
import { sha256 } from '@noble/hashes/sha2.js';
import { encode as b64u, decode as fromB64u } from '../base64url.ts';
import { serializeClientData } from './clientData.ts';
import { type ValidatedGet, validateGet } from './validate.ts';
import { type PrfSalts, encodePrfOutputs, prfSalts } from '../prf.ts';
import type { CeremonyDeps, Outcome } from '../authenticator/model.ts';
import { getAssertion as authenticatorGetAssertion } from '../authenticator/getAssertion.ts';
import type { AuthenticationResponseJSON, Caller, ClientExtensionOutputsJSON } from '../types.ts';

export interface GetContext {
  caller: Caller;
  framePermitted: boolean;
  signal: AbortSignal;
}

/** §5.1.4.1 from the start: validates the request (validate.ts), then gets. */
export async function getAssertion(input: unknown, ctx: GetContext, deps: CeremonyDeps): Promise<Outcome<AuthenticationResponseJSON>> {
  return getValidated(validateGet(input, ctx.caller, ctx.framePermitted), ctx, deps);
}

/** §5.1.4.1 from step 9 for a request validateGet() accepted. */
export async function getValidated(request: ValidatedGet, ctx: Pick<GetContext, 'signal'>, deps: CeremonyDeps): Promise<Outcome<AuthenticationResponseJSON>> {
  const { options, caller, origin, rpId } = request;
  const prf = options.extensions?.prf;
  const clientDataJSON = serializeClientData({
    type: 'webauthn.get',
    challenge: options.challenge,
    origin: origin.origin,
    crossOrigin: !caller.sameOriginWithAncestors,
    topOrigin: caller.topOrigin,
  });
  // §10.1.4 client extension processing: the PRF inputs become hmac-secret salts (validate.ts checked the ids).
  let prfInput: { salts?: PrfSalts; saltsByCredential?: Record<string, PrfSalts> } | undefined;
  if (prf) {
    prfInput = {};
    if (prf.eval) prfInput.salts = prfSalts(prf.eval);
    if (prf.evalByCredential) prfInput.saltsByCredential = Object.fromEntries(Object.entries(prf.evalByCredential).map(([id, values]) => [id, prfSalts(values)]));
  }
  // §10.1.5 authentication: `read: false` asks nothing; `write` has exactly one allowed credential (validate.ts).
  const largeBlob = options.extensions?.largeBlob;
  const largeBlobInput = largeBlob?.write !== undefined ? { write: fromB64u(largeBlob.write) } : largeBlob?.read === true ? { read: true as const } : undefined;
  const assertion = await authenticatorGetAssertion(
    {
      clientDataHash: sha256(clientDataJSON),
      rpId,
      allowCredentialIds: (options.allowCredentials ?? []).filter((d) => d.type === 'public-key').map((d) => d.id),
      userVerification: options.userVerification ?? 'preferred',
      ...(prfInput ? { prf: prfInput } : {}),
      ...(largeBlobInput ? { largeBlob: largeBlobInput } : {}),
      ...(options.extensions?.getCredBlob === true ? { getCredBlob: true } : {}),
      origin: origin.origin,
    },
    ctx.signal,
    deps,
  );
  if (assertion.kind === 'fallback') return assertion;

  // §9 client extension outputs.
  const extensionResults: ClientExtensionOutputsJSON = {};
  if (assertion.credBlob) extensionResults.getCredBlob = b64u(assertion.credBlob);
  if (assertion.largeBlob) {
    extensionResults.largeBlob = 'written' in assertion.largeBlob ? { written: assertion.largeBlob.written } : assertion.largeBlob.blob ? { blob: b64u(assertion.largeBlob.blob) } : {};
  }
  if (assertion.prf) extensionResults.prf = assertion.prf.results ? { results: encodePrfOutputs(assertion.prf.results) } : {};

  return {
    kind: 'credential',
    credential: {
      id: assertion.credentialId,
      rawId: assertion.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: extensionResults,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(assertion.authData),
        signature: b64u(assertion.signature),
        userHandle: assertion.userHandle,
      },
    },
  };
}

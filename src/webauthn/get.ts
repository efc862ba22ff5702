// WebAuthn L3 §5.1.4 Use an Existing Credential (the client's [[DiscoverFromExternalSource]]) and
// §6.3.3 authenticatorGetAssertion.
import { encode as b64u, decode as fromB64u, isBase64url } from './base64url.ts';
import { encodeAuthData } from './authData.ts';
import { serializeClientData } from './clientData.ts';
import { WebAuthnError, notAllowed } from './errors.ts';
import { type ValidatedGet, validateGet } from './client.ts';
import { evaluatePrf } from './prf.ts';
import { type CeremonyDeps, KEYPORT_PROFILE, type Outcome, authFlags, checkCanVerify, rpIdHash, signCountFor, signedData, userVerified } from './authenticator.ts';
import type { AuthenticationResponseJSON, Caller, ClientExtensionOutputsJSON } from './types.ts';

export interface GetContext {
  caller: Caller;
  framePermitted: boolean;
  signal: AbortSignal;
}

/** §5.1.4.1 from the start: validates the request (client.ts), then gets. */
export async function getAssertion(input: unknown, ctx: GetContext, deps: CeremonyDeps): Promise<Outcome<AuthenticationResponseJSON>> {
  return getValidated(validateGet(input, ctx.caller, ctx.framePermitted), ctx, deps);
}

/** §5.1.4.1 from step 9, and §6.3.3, for a request validateGet() accepted. */
export async function getValidated(request: ValidatedGet, ctx: Pick<GetContext, 'signal'>, deps: CeremonyDeps): Promise<Outcome<AuthenticationResponseJSON>> {
  const { options, caller, origin, rpId } = request;
  const allow = (options.allowCredentials ?? []).filter((d) => d.type === 'public-key');
  const prf = options.extensions?.prf;

  const profile = deps.profile ?? KEYPORT_PROFILE;
  const userVerification = options.userVerification ?? 'preferred';
  checkCanVerify(profile, userVerification);

  // §6.3.3 step 6–7: the credentials this RP may use here.
  const all = deps.store.list(rpId);
  const candidates = allow.length > 0 ? all.filter((c) => allow.some((d) => d.id === c.credentialId)) : all.filter((c) => c.discoverable);
  if (candidates.length === 0) return { kind: 'fallback' };

  const decision = await deps.consent.pickCredential({ origin: origin.origin, rpId, accounts: candidates, userVerification }, ctx.signal);
  if (decision.action === 'fallback') return { kind: 'fallback' };
  const chosen = candidates.find((c) => c.credentialId === decision.credentialId);
  if (!chosen) throw notAllowed('The chosen credential is not one of those offered.');
  const uv = userVerified(profile, userVerification, decision.uv);

  // §6.3.3 step 9: the signature counter, incremented by a counting authenticator (§6.1.1).
  const counter = signCountFor(profile.counter, chosen.signCount, false);
  const authData = encodeAuthData({ rpIdHash: rpIdHash(rpId), flags: authFlags(profile, uv, chosen.backedUp), signCount: counter.signCount });
  const clientDataJSON = serializeClientData({
    type: 'webauthn.get',
    challenge: fromB64u(options.challenge),
    origin: origin.origin,
    crossOrigin: !caller.sameOriginWithAncestors,
    topOrigin: caller.topOrigin,
  });
  // §6.3.3 step 11: sign authenticatorData || hash(clientDataJSON).
  const signature = await deps.store.sign(chosen.credentialId, signedData(authData, clientDataJSON));
  deps.store.touch(chosen.credentialId, deps.now());
  if (counter.remember) deps.store.setSignCount(chosen.credentialId, counter.signCount);

  const extensionResults: ClientExtensionOutputsJSON = {};
  const values = prf?.evalByCredential?.[chosen.credentialId] ?? prf?.eval;
  if (prf) extensionResults.prf = values ? { results: evaluatePrf(deps.store.prfSecret(chosen.credentialId), values) } : {};

  return {
    kind: 'credential',
    credential: {
      id: chosen.credentialId,
      rawId: chosen.credentialId,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: extensionResults,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: chosen.userHandle,
      },
    },
  };
}

// WebAuthn L3 §5.1.3 Create a New Credential (the client's [[Create]]) and §6.3.2 authenticatorMakeCredential.
import { encode as b64u, decode as fromB64u } from './base64url.ts';
import { type CborValue, encode as cbor } from './cbor.ts';
import { ALG, type Alg, SUPPORTED_ALGS, encodeCoseKey, spki } from './cose.ts';
import { encodeAuthData } from './authData.ts';
import { serializeClientData } from './clientData.ts';
import { WebAuthnError, notAllowed } from './errors.ts';
import { callerScope, checkFramePolicy } from './client.ts';
import { parseCreationOptions } from './schema.ts';
import { evaluatePrf } from './prf.ts';
import { KEYPORT_AAGUID, authFlags, rpIdHash, type CeremonyDeps, type Outcome } from './authenticator.ts';
import type { Caller, ClientExtensionOutputsJSON, RegistrationResponseJSON } from './types.ts';

export interface CreateContext {
  caller: Caller;
  /** The frame's permissions policy allows publickey-credentials-create (asked only for cross-origin frames). */
  framePermitted: boolean;
  signal: AbortSignal;
  /** BS (§6.1): whether the new passkey is backed up from the start (sync on). */
  backedUp: boolean;
}

/** §5.1.3 step 10: the algorithms requested, or ES256 and RS256 when the list is empty. */
export function chooseAlgorithm(params: { type: string; alg: number }[]): Alg {
  const publicKeyParams = params.filter((p) => p.type === 'public-key');
  if (params.length > 0 && publicKeyParams.length === 0) {
    throw new WebAuthnError('NotSupportedError', 'None of the requested pubKeyCredParams has a supported credential type.');
  }
  const wanted = params.length === 0 ? [ALG.ES256, ALG.RS256] : publicKeyParams.map((p) => p.alg);
  const alg = wanted.find((a) => SUPPORTED_ALGS.includes(a));
  // §6.3.2 step 2: the authenticator answers NotSupportedError, which the client (like Chromium) reports as NotAllowedError.
  if (alg === undefined) throw notAllowed('None of the requested algorithms is supported by this authenticator.');
  return alg as Alg;
}

export async function createCredential(input: unknown, ctx: CreateContext, deps: CeremonyDeps): Promise<Outcome<RegistrationResponseJSON>> {
  const options = parseCreationOptions(input);
  const { caller } = ctx;
  checkFramePolicy(caller, ctx.framePermitted, 'publickey-credentials-create');
  const userId = fromB64u(options.user.id);
  // §5.4.3: user.id is at most 64 bytes. An empty one is accepted: Chromium 156 and Firefox 153 both
  // pass it to the authenticator (measured by tests/e2e/differential.test.mjs).
  if (userId.length > 64) throw new WebAuthnError('TypeError', `user.id must be at most 64 bytes, got ${userId.length}.`);
  const { origin, rpId } = callerScope(caller, options.rp.id);
  const alg = chooseAlgorithm(options.pubKeyCredParams);
  const userVerification = options.authenticatorSelection?.userVerification ?? 'preferred';

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
  if (userVerification === 'required' && !decision.uv) throw notAllowed('User verification was required and could not be performed.');

  const key = await deps.store.generateKey(alg);
  const credentialId = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const publicKeyCose = cbor(encodeCoseKey(key.publicKey));
  const prfSecret = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const authData = encodeAuthData({
    rpIdHash: rpIdHash(rpId),
    flags: authFlags(decision.uv, ctx.backedUp),
    signCount: 0,
    attestedCredentialData: { aaguid: KEYPORT_AAGUID, credentialId, credentialPublicKey: publicKeyCose },
  });
  // §6.5.4 "none" attestation: fmt, attStmt, authData.
  const attestationObject = cbor(new Map<string, CborValue>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
  const clientDataJSON = serializeClientData({
    type: 'webauthn.create',
    challenge: fromB64u(options.challenge),
    origin: origin.origin,
    crossOrigin: !caller.sameOriginWithAncestors,
    topOrigin: caller.topOrigin,
  });

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

// WebAuthn L3 §6.3.2 The authenticatorMakeCredential Operation. The client (client/create.ts) hands over a
// validated RP ID and the hash of the client data it serialized; the authenticator never sees the page's options
// object, the origin (except as text for the consent window) or the client data itself.
import { type CborMap, type CborValue, encode as cbor } from '../cbor.ts';
import { SUPPORTED_ALGS, type Alg, type PublicKey, encodeCoseKey } from '../cose.ts';
import { encodeAuthData, rpIdHash, signedData } from '../authData.ts';
import { encode as b64u } from '../base64url.ts';
import { WebAuthnError, notAllowed } from '../errors.ts';
import { hmacSecret, type PrfSalts, type PrfOutputs } from '../prf.ts';
import { CRED_BLOB_MAX_BYTES } from '../blobs.ts';
import { importSigner } from './keys.ts';
import { KEYPORT_AAGUID, type CeremonyDeps, type CreateRequestInfo } from './model.ts';
import { type AuthenticatorProfile, KEYPORT_PROFILE, authFlags, checkCanVerify, signCountFor, userVerified } from './profile.ts';

export interface MakeCredentialParams {
  /** SHA-256 of the serialized client data (§5.8.1). */
  clientDataHash: Uint8Array;
  /** The RP ID the client validated against the caller's origin. */
  rpId: string;
  rpName: string;
  user: { id: string; name: string; displayName: string };
  /** credTypesAndPubKeyAlgs: the RP's list, or the client's default (§5.1.3 step 10). */
  algorithms: readonly number[];
  excludeCredentialIds: readonly string[];
  /** 'required', 'preferred' or 'discouraged' (§5.4.6). */
  userVerification: string;
  /** The formats the client accepts, most preferred first (["none"] when the RP conveys none: §5.1.3). */
  attestationFormats: readonly string[];
  /** hmac-secret (the prf extension, §10.1.4): make a secret, and evaluate it at once when salts are given. */
  prf?: { salts?: PrfSalts };
  /** §10.1.5 largeBlob was asked for (any `support`): the passkey gets room for a large blob. */
  largeBlob?: boolean;
  /** CTAP 2.1 §12.2 credBlob: kept when it is at most CRED_BLOB_MAX_BYTES. */
  credBlob?: Uint8Array;
  /** BS (§6.1): whether the new passkey is backed up from the start (sync on). */
  backedUp: boolean;
  /** The caller's origin, shown by the consent window only. */
  origin: string;
}

export interface MadeCredential {
  kind: 'credential';
  credentialId: Uint8Array;
  alg: Alg;
  publicKey: PublicKey;
  authData: Uint8Array;
  attestationObject: Uint8Array;
  prf?: { enabled: true; results?: PrfOutputs };
  /** §10.1.5: the passkey can hold a large blob (when it was asked for). */
  largeBlob?: { supported: boolean };
  /** CTAP 2.1 §12.2: whether the credBlob was kept (when one was given). */
  credBlob?: boolean;
}

/**
 * §6.3.2 step 2 "the first item in credTypesAndPubKeyAlgs that is supported", the RP's order; with `preference`
 * (developer mode), the authenticator's order decides instead: the first of its algorithms that the RP lists.
 */
export function selectAlgorithm(algorithms: readonly number[], preference?: readonly Alg[]): Alg {
  const alg = preference ? preference.find((a) => algorithms.includes(a)) : algorithms.find((a) => SUPPORTED_ALGS.includes(a));
  // The authenticator answers NotSupportedError, which the client (like Chromium) reports as NotAllowedError.
  if (alg === undefined) throw notAllowed('None of the requested algorithms is supported by this authenticator.');
  return alg as Alg;
}

/**
 * §6.3.2 attestationFormat: the first of the client's attestationFormats that this authenticator supports ("packed"
 * and "none" in developer mode's packed profile), else its own preference ("packed"); Keyport's own profile
 * supports "none" only.
 */
export function selectAttestationFormat(profile: AuthenticatorProfile, formats: readonly string[]): 'none' | 'packed' {
  if (profile.attestation === 'none') return 'none';
  return formats.find((f): f is 'packed' | 'none' => f === 'packed' || f === 'none') ?? 'packed';
}

/** §8.2 "packed" self attestation: sig over authenticatorData || clientDataHash with the new private key, no x5c. */
async function selfAttestation(alg: Alg, pkcs8: Uint8Array, authData: Uint8Array, clientDataHash: Uint8Array): Promise<CborMap> {
  const sig = await (await importSigner(alg, pkcs8))(signedData(authData, clientDataHash));
  return new Map<string, CborValue>([
    ['alg', alg],
    ['sig', sig],
  ]);
}

export async function makeCredential(p: MakeCredentialParams, signal: AbortSignal, deps: CeremonyDeps): Promise<MadeCredential | { kind: 'fallback' }> {
  const profile = deps.profile ?? KEYPORT_PROFILE;
  const alg = selectAlgorithm(p.algorithms, profile.algorithms);
  checkCanVerify(profile, p.userVerification);

  const info: CreateRequestInfo = { origin: p.origin, rpId: p.rpId, rpName: p.rpName, userName: p.user.name, userDisplayName: p.user.displayName, userVerification: p.userVerification };
  // Step 3: a credential already here that the RP excludes. The person is asked first (InvalidStateError only
  // with their consent, NotAllowedError without), so a page cannot silently probe which ids exist here.
  const existing = deps.store.list(p.rpId);
  if (p.excludeCredentialIds.some((id) => existing.some((c) => c.credentialId === id))) {
    await deps.consent.confirmExcluded(info, signal);
    throw new WebAuthnError('InvalidStateError', 'The authenticator already holds a credential excluded by the relying party.');
  }

  // Step 6: the authorization gesture, and user verification when asked for.
  const decision = await deps.consent.confirmCreate(info, signal);
  if (decision.action === 'fallback') return { kind: 'fallback' };
  // Without a gesture (a conditional create) neither UP nor UV (§5.1.3: both requirements false).
  const up = decision.up !== false;
  const uv = up && userVerified(profile, p.userVerification, decision.uv);

  // Steps 7–9: a new key pair, credential id and (hmac-secret) credential secret.
  const key = await deps.store.generateKey(alg);
  const credentialId = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const publicKeyCose = cbor(encodeCoseKey(key.publicKey));
  const prfSecret = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const counter = signCountFor(profile.counter, undefined, true);
  // CTAP 2.1 §12.2: a credBlob longer than maxCredBlobLength is not stored, and the credential is still made.
  const credBlob = p.credBlob && p.credBlob.length <= CRED_BLOB_MAX_BYTES ? p.credBlob.slice() : undefined;
  const authData = encodeAuthData({
    rpIdHash: rpIdHash(p.rpId),
    flags: authFlags(profile, uv, p.backedUp, up),
    signCount: counter.signCount,
    attestedCredentialData: { aaguid: KEYPORT_AAGUID, credentialId, credentialPublicKey: publicKeyCose },
  });
  // Step 13 and §6.5.4: the attestation object.
  const fmt = selectAttestationFormat(profile, p.attestationFormats);
  const attStmt = fmt === 'packed' ? await selfAttestation(alg, key.pkcs8, authData, p.clientDataHash) : new Map();
  const attestationObject = cbor(new Map<string, CborValue>([['fmt', fmt], ['attStmt', attStmt], ['authData', authData]]));

  await deps.store.add({
    credentialId: b64u(credentialId),
    rpId: p.rpId,
    userHandle: p.user.id,
    userName: p.user.name,
    userDisplayName: p.user.displayName,
    alg,
    discoverable: true,
    backedUp: p.backedUp,
    createdAt: deps.now(),
    ...(counter.remember ? { signCount: counter.signCount } : {}),
    pkcs8: key.pkcs8,
    publicKeyCose,
    prfSecret,
    ...(p.largeBlob ? { largeBlob: new Uint8Array() } : {}),
    ...(credBlob ? { credBlob } : {}),
  });
  key.pkcs8.fill(0);

  const made: MadeCredential = { kind: 'credential', credentialId, alg, publicKey: key.publicKey, authData, attestationObject };
  if (p.prf) made.prf = p.prf.salts ? { enabled: true, results: hmacSecret(prfSecret, p.prf.salts) } : { enabled: true };
  if (p.largeBlob) made.largeBlob = { supported: true };
  if (p.credBlob) made.credBlob = credBlob !== undefined;
  return made;
}

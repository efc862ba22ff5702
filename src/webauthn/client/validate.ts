// The client steps that create and get share (WebAuthn L3 §5.1.3 and §5.1.4.1), in one place for every door
// and feature (docs/design.md rule 8, "validate, then show"): the options' shape, the frame's permissions policy,
// the caller's origin and the RP ID. Consent, autofill, developer mode and the inspector read only the
// request this returns; nothing before it may open a window or name the requested RP ID.
// On the proxy door the browser has already run these steps (docs/design.md "Proxy"): the origin and RP ID it
// hands over are taken as checked, except a related origin (§5.11), which Keyport checks again as on the page-script
// door (rpId.ts browserCheckedRpId): an RP ID the origin is not under is checked against its well-known document
// (withRelatedOrigins below).
import * as v from 'valibot';
import { WebAuthnError, notAllowed } from '../errors.ts';
import { isBase64url } from '../base64url.ts';
import { ForeignRpIdError, type ParsedOrigin, browserCheckedRpId, isSameSite, parseCallerOrigin, resolveRpId } from './rpId.ts';
import { parseCreationOptions, parseRequestOptions } from './schema.ts';
import { decode as fromB64u } from '../base64url.ts';
import { LARGE_BLOB_MAX_BYTES, base64urlBytes } from '../blobs.ts';
import type { Caller, CreationOptionsJSON, RequestOptionsJSON } from '../types.ts';

interface Validated {
  caller: Caller;
  origin: ParsedOrigin;
  /** The RP ID in effect: checked against the origin (shim door) or by the browser (proxy door). */
  rpId: string;
}
export interface ValidatedCreate extends Validated {
  kind: 'create';
  options: CreationOptionsJSON;
}
export interface ValidatedGet extends Validated {
  kind: 'get';
  options: RequestOptionsJSON;
}
export type ValidatedRequest = ValidatedCreate | ValidatedGet;

/** §5.1.3 step 6 / §5.4.4: the lifetime timer; browsers clamp to a sensible range. Chromium: 10 s .. 10 min, default 5 min. */
export function effectiveTimeout(timeout: number | undefined): number {
  if (timeout === undefined) return 300_000;
  return Math.min(Math.max(timeout, 10_000), 600_000);
}

export type PolicyFeature = 'publickey-credentials-create' | 'publickey-credentials-get';

/**
 * §5.1.3 step 2 / §5.1.4.1 step 2, and the document's own Permissions-Policy (docs/design.md rule 2): the feature
 * must be enabled in the calling document. `framePermitted` is what the browser or the bridge found for this
 * document (header, inherited policy and the embedder's allow attribute); it is honoured for same-origin
 * documents too, which the spec's step leaves to the policy's default allowlist ('self') but a header can
 * turn off (Chromium refuses such a document with NotAllowedError, measured).
 */
export function checkFramePolicy(caller: Caller, framePermitted: boolean, feature: PolicyFeature): void {
  if (caller.door === 'shim' && !framePermitted) {
    throw notAllowed(`The "${feature}" feature is not enabled in this document.`);
  }
}

/**
 * §5.1.3 step 7 / §5.1.4.1 step 7: an opaque origin (a sandboxed document or frame, a data: document) is
 * refused with NotAllowedError, never read as the origin its URL would have (docs/design.md rule 1). Then
 * steps 7–8: a secure origin, and the RP ID it asked for or its effective domain.
 */
export function callerScope(caller: Caller, requestedRpId: string | undefined, related?: string): { origin: ParsedOrigin; rpId: string } {
  if (caller.origin === 'null' || caller.origin === '') throw notAllowed('The document has an opaque origin.');
  const origin = parseCallerOrigin(caller.origin);
  const rpId = caller.door === 'shim' ? resolveRpId(origin, requestedRpId, related) : browserCheckedRpId(origin, requestedRpId, related);
  return { origin, rpId };
}

/** §5.1.3 steps 1–8 for create(): a TypeError, NotAllowedError or SecurityError before anything is shown. */
export function validateCreate(input: unknown, caller: Caller, framePermitted: boolean, related?: string): ValidatedCreate {
  const options = parseCreationOptions(input);
  checkFramePolicy(caller, framePermitted, 'publickey-credentials-create');
  // §5.1.3 step 2: a cross-origin frame creates only with the person's transient activation. Chromium 156 asks it
  // of a frame that is cross-site with the top page ("A user activation is required to create a credential in a
  // cross-origin iframe"), and lets a same-site one create without (both measured); Keyport does as it does.
  if (caller.door === 'shim' && !caller.sameOriginWithAncestors && !isSameSite(caller.origin, caller.topOrigin) && !caller.transientActivation) {
    throw notAllowed('A user activation is required to create a credential in a cross-origin iframe.');
  }
  // §5.4.3: user.id is at most 64 bytes. An empty one is accepted: Chromium 156 and Firefox 153 both
  // pass it to the authenticator (measured by tests/e2e/differential.test.mjs).
  const userId = fromB64u(options.user.id).length;
  if (userId > 64) throw new WebAuthnError('TypeError', `user.id must be at most 64 bytes, got ${userId}.`);
  // Chromium refuses these in the renderer, before the browser checks the RP ID (an extension error wins).
  checkCreateExtensions(options);
  return { kind: 'create', options, caller, ...callerScope(caller, options.rp.id, related) };
}

/** §5.1.4.1 steps 1–8 and the client extension checks (§10.1): the same errors, before anything is shown. */
export function validateGet(input: unknown, caller: Caller, framePermitted: boolean, related?: string): ValidatedGet {
  const options = parseRequestOptions(input);
  checkFramePolicy(caller, framePermitted, 'publickey-credentials-get');
  checkGetExtensions(options); // before the RP ID, as in create()
  const scope = callerScope(caller, options.rpId, related);
  // credProps is a registration extension: Chromium 156 refuses `credProps: true` in get() with
  // NotSupportedError and ignores `false` (Firefox 153 refuses both; tests/e2e/differential.test.mjs).
  if (options.extensions?.credProps === true) throw new WebAuthnError('NotSupportedError', "The 'credProps' extension is only valid when creating a credential.");
  // §10.1.4 client extension processing (authentication): evalByCredential names allowed credentials only.
  const prf = options.extensions?.prf;
  if (prf?.evalByCredential && Object.keys(prf.evalByCredential).length > 0) {
    const allow = (options.allowCredentials ?? []).filter((d) => d.type === 'public-key');
    if (allow.length === 0) throw new WebAuthnError('NotSupportedError', 'prf.evalByCredential needs allowCredentials.');
    for (const key of Object.keys(prf.evalByCredential)) {
      if (key === '' || !isBase64url(key) || !allow.some((d) => d.id === key)) {
        throw new WebAuthnError('SyntaxError', `prf.evalByCredential key "${key}" is not the id of an allowed credential.`);
      }
    }
  }
  return { kind: 'get', options, caller, ...scope };
}

const notSupported = (why: string) => new WebAuthnError('NotSupportedError', why);

/** The registration extension inputs the client refuses (§9.1: an extension's client processing may return an error). */
function checkCreateExtensions(options: CreationOptionsJSON): void {
  const ext = options.extensions;
  // §10.1.1 appid is an authentication extension: Chromium 156 refuses it in create() whatever its value (empty,
  // "null", a URL) with NotSupportedError (measured).
  if (ext?.appid !== undefined) throw notSupported("The 'appid' extension is only valid when requesting an assertion.");
  // §10.1.5 largeBlob, registration client processing step 1: read or write present → NotSupportedError.
  if (ext?.largeBlob?.read !== undefined) throw notSupported("The 'largeBlob' extension's 'read' parameter is only valid when requesting an assertion.");
  if (ext?.largeBlob?.write !== undefined) throw notSupported("The 'largeBlob' extension's 'write' parameter is only valid when requesting an assertion.");
}

/** The authentication extension inputs the client refuses. */
function checkGetExtensions(options: RequestOptionsJSON): void {
  const largeBlob = options.extensions?.largeBlob;
  if (!largeBlob) return;
  // §10.1.5 largeBlob, authentication client processing: step 1, support present; step 2, read and write both
  // present; and write needs exactly one allowed credential (Chromium 156 refuses none or two with
  // NotSupportedError, measured), since a blob is written for one known credential.
  if (largeBlob.support !== undefined) throw notSupported("The 'largeBlob' extension's 'support' parameter is only valid when creating a credential.");
  if (largeBlob.read !== undefined && largeBlob.write !== undefined) throw notSupported("Only one of the 'largeBlob' extension's 'read' and 'write' parameters is allowed.");
  if (largeBlob.write !== undefined && (options.allowCredentials ?? []).length !== 1) {
    throw notSupported("The 'largeBlob' extension's 'write' parameter needs exactly one credential in allowCredentials.");
  }
  // A blob over LARGE_BLOB_MAX_BYTES: NotSupportedError before anyone is asked, as Chromium 156 (measured), so
  // nothing is written and nothing changes.
  if (largeBlob.write !== undefined && base64urlBytes(largeBlob.write.length) > LARGE_BLOB_MAX_BYTES) {
    throw notSupported(`The 'largeBlob' extension's 'write' parameter is larger than ${LARGE_BLOB_MAX_BYTES} bytes.`);
  }
}

export function validateRequest(kind: 'create' | 'get', input: unknown, caller: Caller, framePermitted: boolean, related?: string): ValidatedRequest {
  return kind === 'create' ? validateCreate(input, caller, framePermitted, related) : validateGet(input, caller, framePermitted, related);
}

/**
 * §5.11.1, the related origins validation procedure: whether `https://{rpId}/.well-known/webauthn` lists
 * `callerOrigin` (app/relatedOrigins.ts; a failed fetch or a bad document is a SecurityError).
 */
export type RelatedOriginCheck = (callerOrigin: string, rpId: string) => Promise<boolean>;

/**
 * §5.1.3 step 8 / §5.1.4.1 step 8 / §5.1.10.1 with related origins: runs `validate`; if the only fault is an RP ID
 * the origin is not under (ForeignRpIdError), asks `related` whether that RP ID lists the origin, and validates
 * again with that RP ID granted. Any other error, or no listing, is the original SecurityError.
 */
export async function withRelatedOrigins<T>(validate: (related?: string) => T, caller: Caller, related: RelatedOriginCheck | undefined): Promise<T> {
  try {
    return validate();
  } catch (e) {
    if (!(e instanceof ForeignRpIdError) || !related) throw e;
    // A document that cannot be had is a SecurityError too (§5.11.1 step 2), whatever failed.
    const listed = await related(caller.origin, e.rpId).catch((f: unknown) => {
      throw f instanceof WebAuthnError && f.name === 'SecurityError' ? f : e;
    });
    if (!listed) throw e;
    return validate(e.rpId);
  }
}

/**
 * Immediate mediation (Chromium's `uiMode: 'immediate'`, from the WebAuthn immediate-mediation proposal): a sign-in
 * that either shows the client's own passkeys at once or fails at once. Chromium 156 refuses one that names
 * credentials, and one made without transient activation, with these NotAllowedErrors (measured); the caller's
 * activation is the bridge's reading, in the isolated world, which the page cannot forge.
 */
export function checkImmediate(request: ValidatedRequest): void {
  if (request.kind !== 'get') throw new WebAuthnError('NotSupportedError', 'Immediate mediation is for get() only.');
  if ((request.options.allowCredentials ?? []).length > 0) throw notAllowed('An allowCredentials is not allowed with immediate mediation.');
  if (!request.caller.transientActivation) throw notAllowed('A user activation is required to request immediate credentials.');
}

// ---- Signals (WebAuthn L3 §5.1.10): a site tells the client what it knows of its passkeys ----

export type SignalKind = 'unknownCredential' | 'allAcceptedCredentials' | 'currentUserDetails';
interface SignalScope {
  /** The caller's origin, which the popup names as the site that asked. */
  origin: string;
  /** Checked against the origin as a ceremony's is (rpId.ts resolveRpId). */
  rpId: string;
}
export type ValidatedSignal =
  | (SignalScope & { kind: 'unknownCredential'; credentialId: string })
  | (SignalScope & { kind: 'allAcceptedCredentials'; userId: string; allAcceptedCredentialIds: string[] })
  | (SignalScope & { kind: 'currentUserDetails'; userId: string; name: string; displayName: string });

// The dictionaries after WebIDL conversion (the shim's convertSignalOptions): strings only. The bounds are far above
// what a site sends, and keep one message from holding the background up.
const Text = v.pipe(v.string(), v.maxLength(65_536));
const SIGNAL_SCHEMAS = {
  unknownCredential: v.object({ rpId: Text, credentialId: Text }),
  allAcceptedCredentials: v.object({ rpId: Text, userId: Text, allAcceptedCredentialIds: v.pipe(v.array(Text), v.maxLength(10_000)) }),
  currentUserDetails: v.object({ rpId: Text, userId: Text, name: Text, displayName: Text }),
} as const;

function base64urlMember(value: string, member: string, method: string): void {
  // Chromium 156 refuses padding and the standard alphabet here, accepts "" (measured; tests/e2e/signals.test.mjs).
  if (!isBase64url(value)) throw new WebAuthnError('TypeError', `Failed to execute '${method}' on 'PublicKeyCredential': Invalid base64url string for ${member}.`);
}

/**
 * §5.1.10: the signal methods' checks, in the spec's order. Every base64url member must decode (TypeError); then
 * the asynchronous RP ID validation (§5.1.10.1): the RP ID must be the caller's effective domain or a registrable
 * suffix of it (SecurityError, the same check as a ceremony's on the page-script door), or one whose well-known
 * document lists the origin (`related`, via withRelatedOrigins). An opaque origin has no effective domain: SecurityError.
 */
export function validateSignal(kind: SignalKind, input: unknown, caller: Caller, related?: string): ValidatedSignal {
  const method = `signal${kind[0]!.toUpperCase()}${kind.slice(1)}`;
  const parsed = v.safeParse(SIGNAL_SCHEMAS[kind], input);
  if (!parsed.success) throw new WebAuthnError('TypeError', `Failed to execute '${method}' on 'PublicKeyCredential': ${parsed.issues[0].message}`);
  const o = parsed.output;
  if ('credentialId' in o) base64urlMember(o.credentialId, 'credentialId', method);
  if ('userId' in o) base64urlMember(o.userId, 'userId', method);
  if ('allAcceptedCredentialIds' in o) for (const id of o.allAcceptedCredentialIds) base64urlMember(id, 'allAcceptedCredentialIds', method);
  if (caller.origin === 'null' || caller.origin === '') throw new WebAuthnError('SecurityError', 'The document has an opaque origin.');
  const origin = parseCallerOrigin(caller.origin);
  const rpId = resolveRpId(origin, o.rpId, related);
  return { ...o, kind, origin: origin.origin, rpId } as ValidatedSignal;
}

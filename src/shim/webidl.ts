// WebIDL conversion (WebIDL §3.2) of the WebAuthn L3 dictionaries (§5.4, §5.5, §9) into their JSON
// forms, exactly as the browser converts them: BufferSource views give their own bytes (not the whole
// buffer), DOMString members go through ToString, unsigned long through ToNumber modulo 2^32, missing
// required members and wrong types throw TypeError. Runs in the page realm: no extension API here.
import { encode as b64u } from '../webauthn/base64url.ts';
import { LARGE_BLOB_MAX_BYTES } from '../webauthn/blobs.ts';
import type { AuthenticationExtensionsClientInputsJSON, CreationOptionsJSON, PublicKeyCredentialDescriptorJSON, RequestOptionsJSON } from '../webauthn/types.ts';

type Dict = Record<string, unknown>;

function fail(where: string, what: string): never {
  throw new TypeError(`Failed to read the '${where}' property: ${what}`);
}

/** WebIDL §3.2.20 dictionary: undefined/null is an empty dictionary, other non-objects are a TypeError. */
function dict(value: unknown, where: string): Dict {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' && typeof value !== 'function') fail(where, 'The provided value is not of type dictionary.');
  return value as Dict;
}

function required(d: Dict, key: string, where: string): unknown {
  const v = d[key];
  if (v === undefined) fail(key, `Required member is undefined (in ${where}).`);
  return v;
}

/** WebIDL §3.2.10 DOMString: ToString, which throws for a Symbol. */
function str(value: unknown, where: string): string {
  if (typeof value === 'symbol') fail(where, 'Cannot convert a Symbol value to a string.');
  return String(value);
}

function toNumber(value: unknown, where: string): number {
  if (typeof value === 'symbol' || typeof value === 'bigint') fail(where, `Cannot convert a ${typeof value} value to a number.`);
  return Number(value);
}

/** WebIDL §3.2.4.9 unsigned long (no [EnforceRange]): NaN and infinities become 0, then modulo 2^32. */
function unsignedLong(value: unknown, where: string): number {
  const n = toNumber(value, where);
  if (!Number.isFinite(n)) return 0;
  return Math.trunc(n) >>> 0;
}

/** WebIDL long: modulo 2^32, then signed. */
function long(value: unknown, where: string): number {
  const n = toNumber(value, where);
  if (!Number.isFinite(n)) return 0;
  return Math.trunc(n) | 0;
}

/**
 * Whether a view's buffer is a SharedArrayBuffer. Checked by brand, not with instanceof: without
 * cross-origin isolation the global SharedArrayBuffer is absent, yet a shared WebAssembly.Memory still
 * hands the page one (Chromium and Firefox both refuse it as a BufferSource with a TypeError).
 */
function isShared(buffer: ArrayBufferLike): boolean {
  return Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

/** WebIDL BufferSource: an ArrayBuffer or a view on one (not a SharedArrayBuffer); a view gives only its bytes. */
export function bufferSource(value: unknown, where: string): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value) && !isShared(value.buffer)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
  }
  // Objects from another realm (an iframe's Uint8Array) are still buffers.
  const tag = Object.prototype.toString.call(value);
  if (tag === '[object ArrayBuffer]') return new Uint8Array((value as ArrayBuffer).slice(0));
  fail(where, "The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
}

/** WebIDL §3.2.27 sequence<T>: any object with @@iterator. */
function sequence<T>(value: unknown, where: string, item: (v: unknown, where: string) => T): T[] {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) fail(where, 'The provided value cannot be converted to a sequence.');
  const iter = (value as { [Symbol.iterator]?: unknown })[Symbol.iterator];
  if (typeof iter !== 'function') fail(where, 'The object must have a callable @@iterator property.');
  const out: T[] = [];
  for (const v of value as Iterable<unknown>) out.push(item(v, where));
  return out;
}

function descriptor(value: unknown, where: string): PublicKeyCredentialDescriptorJSON {
  const d = dict(value, where);
  const id = bufferSource(required(d, 'id', 'PublicKeyCredentialDescriptor'), 'id');
  const transports = d.transports === undefined ? undefined : sequence(d.transports, 'transports', str);
  const type = str(required(d, 'type', 'PublicKeyCredentialDescriptor'), 'type');
  const out: PublicKeyCredentialDescriptorJSON = { id: b64u(id), type };
  if (transports) out.transports = transports;
  return out;
}

function prfValues(value: unknown, where: string): { first: string; second?: string } {
  const d = dict(value, where);
  const first = bufferSource(required(d, 'first', 'AuthenticationExtensionsPRFValues'), 'first');
  const out: { first: string; second?: string } = { first: b64u(first) };
  if (d.second !== undefined) out.second = b64u(bufferSource(d.second, 'second'));
  return out;
}

/** §9 AuthenticationExtensionsClientInputs: members Keyport implements are converted, unknown ones dropped as WebIDL does. */
function extensions(value: unknown): AuthenticationExtensionsClientInputsJSON | undefined {
  if (value === undefined) return undefined;
  const d = dict(value, 'extensions');
  const out: AuthenticationExtensionsClientInputsJSON = {};
  // Members in lexicographic order, as WebIDL reads them. appid is a USVString (null is "null"): the client
  // refuses it in create() and must see it, whatever its value.
  if (d.appid !== undefined) out.appid = str(d.appid, 'appid');
  if (d.credBlob !== undefined) out.credBlob = b64u(bufferSource(d.credBlob, 'credBlob'));
  if (d.credProps !== undefined) out.credProps = Boolean(d.credProps);
  if (d.getCredBlob !== undefined) out.getCredBlob = Boolean(d.getCredBlob);
  if (d.largeBlob !== undefined) {
    // §10.1.5 AuthenticationExtensionsLargeBlobInputs: support is a DOMString (an unknown value is ignored later).
    const l = dict(d.largeBlob, 'largeBlob');
    const largeBlob: NonNullable<AuthenticationExtensionsClientInputsJSON['largeBlob']> = {};
    if (l.read !== undefined) largeBlob.read = Boolean(l.read);
    if (l.support !== undefined) largeBlob.support = str(l.support, 'support');
    if (l.write !== undefined) {
      // A blob over the limit is refused whatever its size (client/validate.ts): one byte past the limit says so,
      // and a page's megabytes never cross the bridge.
      const write = bufferSource(l.write, 'write');
      largeBlob.write = b64u(write.length > LARGE_BLOB_MAX_BYTES ? write.subarray(0, LARGE_BLOB_MAX_BYTES + 1) : write);
    }
    out.largeBlob = largeBlob;
  }
  if (d.prf !== undefined) {
    const p = dict(d.prf, 'prf');
    const prf: NonNullable<AuthenticationExtensionsClientInputsJSON['prf']> = {};
    if (p.eval !== undefined) prf.eval = prfValues(p.eval, 'eval');
    if (p.evalByCredential !== undefined) {
      const r = dict(p.evalByCredential, 'evalByCredential');
      const m: Record<string, { first: string; second?: string }> = {};
      for (const k of Object.keys(r)) m[k] = prfValues(r[k], 'evalByCredential');
      prf.evalByCredential = m;
    }
    out.prf = prf;
  }
  return out;
}

const USER_VERIFICATION = ['required', 'preferred', 'discouraged'];
const RESIDENT_KEY = ['required', 'preferred', 'discouraged'];
const ATTACHMENT = ['platform', 'cross-platform'];
const ATTESTATION = ['none', 'indirect', 'direct', 'enterprise'];

export function convertCreationOptions(value: unknown): CreationOptionsJSON {
  const o = dict(value, 'publicKey');
  // Members in lexicographic order, as WebIDL reads them.
  const attestationRaw = o.attestation === undefined ? 'none' : str(o.attestation, 'attestation');
  const attestationFormats = o.attestationFormats === undefined ? [] : sequence(o.attestationFormats, 'attestationFormats', str);
  let authenticatorSelection: CreationOptionsJSON['authenticatorSelection'];
  if (o.authenticatorSelection !== undefined) {
    const s = dict(o.authenticatorSelection, 'authenticatorSelection');
    const attachment = s.authenticatorAttachment === undefined ? undefined : str(s.authenticatorAttachment, 'authenticatorAttachment');
    const requireResidentKey = s.requireResidentKey === undefined ? false : Boolean(s.requireResidentKey);
    const residentKey = s.residentKey === undefined ? undefined : str(s.residentKey, 'residentKey');
    const uv = s.userVerification === undefined ? 'preferred' : str(s.userVerification, 'userVerification');
    authenticatorSelection = { requireResidentKey, userVerification: USER_VERIFICATION.includes(uv) ? uv : 'preferred' };
    if (attachment !== undefined && ATTACHMENT.includes(attachment)) authenticatorSelection.authenticatorAttachment = attachment;
    if (residentKey !== undefined && RESIDENT_KEY.includes(residentKey)) authenticatorSelection.residentKey = residentKey;
  }
  const challenge = bufferSource(required(o, 'challenge', 'PublicKeyCredentialCreationOptions'), 'challenge');
  const excludeCredentials = o.excludeCredentials === undefined ? [] : sequence(o.excludeCredentials, 'excludeCredentials', descriptor);
  const ext = extensions(o.extensions);
  const hints = o.hints === undefined ? [] : sequence(o.hints, 'hints', str);
  const params = sequence(required(o, 'pubKeyCredParams', 'PublicKeyCredentialCreationOptions'), 'pubKeyCredParams', (v, w) => {
    const p = dict(v, w);
    const alg = long(required(p, 'alg', 'PublicKeyCredentialParameters'), 'alg');
    const type = str(required(p, 'type', 'PublicKeyCredentialParameters'), 'type');
    return { alg, type };
  });
  const rpDict = dict(required(o, 'rp', 'PublicKeyCredentialCreationOptions'), 'rp');
  const rpId = rpDict.id === undefined ? undefined : str(rpDict.id, 'id');
  const rpName = str(required(rpDict, 'name', 'PublicKeyCredentialRpEntity'), 'name');
  const timeout = o.timeout === undefined ? undefined : unsignedLong(o.timeout, 'timeout');
  const userDict = dict(required(o, 'user', 'PublicKeyCredentialCreationOptions'), 'user');
  const userName = str(required(userDict, 'name', 'PublicKeyCredentialUserEntity'), 'name');
  const displayName = str(required(userDict, 'displayName', 'PublicKeyCredentialUserEntity'), 'displayName');
  const userId = bufferSource(required(userDict, 'id', 'PublicKeyCredentialUserEntity'), 'id');

  const out: CreationOptionsJSON = {
    rp: rpId === undefined ? { name: rpName } : { id: rpId, name: rpName },
    user: { id: b64u(userId), name: userName, displayName },
    challenge: b64u(challenge),
    pubKeyCredParams: params,
    excludeCredentials,
    hints,
    attestation: ATTESTATION.includes(attestationRaw) ? attestationRaw : 'none',
    attestationFormats,
  };
  if (timeout !== undefined) out.timeout = timeout;
  if (authenticatorSelection) out.authenticatorSelection = authenticatorSelection;
  if (ext) out.extensions = ext;
  return out;
}

export function convertRequestOptions(value: unknown): RequestOptionsJSON {
  const o = dict(value, 'publicKey');
  const allowCredentials = o.allowCredentials === undefined ? [] : sequence(o.allowCredentials, 'allowCredentials', descriptor);
  const challenge = bufferSource(required(o, 'challenge', 'PublicKeyCredentialRequestOptions'), 'challenge');
  const ext = extensions(o.extensions);
  const hints = o.hints === undefined ? [] : sequence(o.hints, 'hints', str);
  const rpId = o.rpId === undefined ? undefined : str(o.rpId, 'rpId');
  const timeout = o.timeout === undefined ? undefined : unsignedLong(o.timeout, 'timeout');
  const uvRaw = o.userVerification === undefined ? 'preferred' : str(o.userVerification, 'userVerification');
  const out: RequestOptionsJSON = { challenge: b64u(challenge), allowCredentials, hints, userVerification: USER_VERIFICATION.includes(uvRaw) ? uvRaw : 'preferred' };
  if (rpId !== undefined) out.rpId = rpId;
  if (timeout !== undefined) out.timeout = timeout;
  if (ext) out.extensions = ext;
  return out;
}

const MEDIATION = ['silent', 'optional', 'conditional', 'required'];
/** CredentialUiModeRequirement as Chromium 156 has it (measured: other values are a TypeError). */
const UI_MODE = ['immediate', 'passive'];

/**
 * CredentialCreationOptions / CredentialRequestOptions (Credential Management §2.3): mediation is an enum, signal an
 * AbortSignal; a request also has uiMode (Chromium's immediate mediation), read last as the members are in code-unit order.
 */
export function convertCredentialOptions(value: unknown, kind: 'create' | 'get'): { mediation: string; signal?: AbortSignal; publicKey: unknown; other: boolean; uiMode?: string } {
  const o = dict(value, 'options');
  // Members in code-unit order, each checked as it is read (WebIDL §3.2.17), as Chromium 156 reads them (measured).
  const others = [o.digital, o.federated, o.identity];
  const mediationRaw = o.mediation;
  const mediation = mediationRaw === undefined ? 'optional' : str(mediationRaw, 'mediation');
  if (!MEDIATION.includes(mediation)) throw new TypeError(`Failed to read the 'mediation' property: The provided value '${mediation}' is not a valid enum value of type CredentialMediationRequirement.`);
  others.push(o.otp, o.password);
  const other = others.some((x) => x !== undefined);
  const publicKey = o.publicKey;
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal) && Object.prototype.toString.call(signal) !== '[object AbortSignal]') {
    throw new TypeError("Failed to read the 'signal' property: Failed to convert value to 'AbortSignal'.");
  }
  const uiModeRaw = kind === 'get' ? o.uiMode : undefined;
  const uiMode = uiModeRaw !== undefined ? str(uiModeRaw, 'uiMode') : undefined;
  if (uiMode !== undefined && !UI_MODE.includes(uiMode)) throw new TypeError(`Failed to read the 'uiMode' property: The provided value '${uiMode}' is not a valid enum value of type CredentialUiModeRequirement.`);
  return { mediation, signal: signal as AbortSignal | undefined, publicKey, other, ...(uiMode !== undefined ? { uiMode } : {}) };
}

/** The signal methods' dictionaries (WebAuthn L3 §5.1.10), by the method's kind. */
const SIGNAL_MEMBERS = {
  unknownCredential: { dictionary: 'UnknownCredentialOptions', members: ['credentialId', 'rpId'] },
  allAcceptedCredentials: { dictionary: 'AllAcceptedCredentialsOptions', members: ['allAcceptedCredentialIds', 'rpId', 'userId'] },
  currentUserDetails: { dictionary: 'CurrentUserDetailsOptions', members: ['displayName', 'name', 'rpId', 'userId'] },
} as const;

/**
 * UnknownCredentialOptions, AllAcceptedCredentialsOptions or CurrentUserDetailsOptions: every member required, a
 * DOMString (Base64URLString is one) or a sequence of them, read in lexicographic order as WebIDL reads a
 * dictionary. Whether the strings are base64url is the background's check (client/validate.ts validateSignal).
 */
export function convertSignalOptions(kind: keyof typeof SIGNAL_MEMBERS, value: unknown): Record<string, string | string[]> {
  const { dictionary, members } = SIGNAL_MEMBERS[kind];
  const d = dict(value, dictionary);
  const out: Record<string, string | string[]> = {};
  for (const m of members) {
    const raw = required(d, m, dictionary);
    out[m] = m === 'allAcceptedCredentialIds' ? sequence(raw, m, str) : str(raw, m);
  }
  return out;
}

// The ceremony inspector (issue 6): one create or get, decoded into a JSON record a developer can read and copy.
// It decodes what crossed the page boundary (WebAuthn L3 §5.8.1 client data, §6.1 authenticator data, §6.5.4
// attestation object, §6.5.1.1 COSE key) and runs the relying party's checks that need no server state (§7.1, §7.2).
// Nothing here throws on malformed input: a part that cannot be decoded carries a `problem` instead.
// Only public data comes in (the page's options and the answer it received, a stored public key), and a COSE key that
// carries private parameters has them reported, never shown.
import { bytesToHex } from '@noble/hashes/utils.js';
import { decode as fromB64u, encode as b64u } from '../webauthn/base64url.ts';
import { type CborValue, decode as cborDecode } from '../webauthn/cbor.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import { FLAG, parseAuthData, rpIdHash, signedData } from '../webauthn/authData.ts';
import { ALG, type PublicKey, decodeCoseKey, spki } from '../webauthn/cose.ts';
import { verifySignature } from './verify.ts';

export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };

export interface CeremonyInput {
  kind: 'create' | 'get';
  origin: string;
  /** The options as the page sent them, in their JSON form (§5.1.8 / §5.1.10). */
  options: unknown;
  answer: { credential: unknown } | { error: { name: string; message: string } } | { fallback: true };
  startedAt: number;
  durationMs: number;
  /** The RP ID the request was validated for (webauthn/client/validate.ts): never a guess from the options (docs/design.md rule 8). */
  rpId: string;
  /** The credential's stored COSE public key (base64url or bytes), to check an assertion's signature. */
  publicKeyCose?: string | Uint8Array;
}

/** One relying-party style check: what was expected and what came. */
export interface Check {
  name: string;
  ok: boolean;
  expected?: JSONValue;
  got?: JSONValue;
}

export type Problem = { problem: string };
type Part<T> = T | Problem;

export interface ClientDataView {
  type: JSONValue;
  challenge: JSONValue;
  origin: JSONValue;
  crossOrigin: JSONValue;
  topOrigin?: JSONValue;
  /** Members beyond those of §5.8.1 (clients may add more, like the spec's test vectors' extraData). */
  other: { [key: string]: JSONValue };
  checks: Check[];
}

export interface CoseKeyView {
  kty: JSONValue;
  ktyName?: string;
  alg: JSONValue;
  algName?: string;
  crv?: JSONValue;
  crvName?: string;
  x?: JSONValue;
  y?: JSONValue;
  n?: JSONValue;
  e?: JSONValue;
  /** Labels not named above; their values are not shown, as some (d, p, q...) are private key parameters. */
  otherLabels: (number | string)[];
  problem?: string;
}

export interface AuthDataView {
  rpIdHash: string; // hex
  flags: { byte: string; UP: boolean; UV: boolean; BE: boolean; BS: boolean; AT: boolean; ED: boolean };
  signCount: number;
  attestedCredentialData?: { aaguid: string; credentialId: string; credentialPublicKey: Part<CoseKeyView> };
  extensions?: JSONValue;
  checks: Check[];
  /** Set when the bytes after the 37-byte header could not be decoded. */
  problem?: string;
}

export interface AttestationView {
  fmt: JSONValue;
  attStmt: { alg?: JSONValue; algName?: string; sig?: { b64u: string; hex: string }; x5c?: JSONValue; other: { [key: string]: JSONValue } };
  /** §6.5.3: "none", "self" (packed without x5c), "certificate" (a chain, not evaluated here) or "other". */
  attestationType: 'none' | 'self' | 'certificate' | 'other';
  checks: Check[];
}

export interface SignatureView {
  b64u: string;
  hex: string;
  /** Whether it verifies with the stored public key; null when no key was given or the key is not usable. */
  verified: boolean | null;
  problem?: string;
}

export interface CredentialView {
  id: JSONValue;
  rawId: JSONValue;
  type: JSONValue;
  authenticatorAttachment: JSONValue;
  clientData: Part<ClientDataView>;
  authenticatorData: Part<AuthDataView>;
  attestationObject?: Part<AttestationView>;
  publicKey?: JSONValue;
  publicKeyAlgorithm?: JSONValue;
  transports?: JSONValue;
  signature?: Part<SignatureView>;
  userHandle?: JSONValue;
  checks: Check[];
}

export interface CeremonyRecord {
  kind: 'create' | 'get';
  origin: string;
  rpId: string | null;
  /** Milliseconds since the epoch, and as ISO 8601; null when not a valid time. */
  startedAt: number | null;
  startedAtISO: string | null;
  durationMs: number | null;
  options: JSONValue;
  result: 'credential' | 'error' | 'fallback' | 'unknown';
  error?: { name: JSONValue; message: JSONValue };
  credential?: Part<CredentialView>;
  extensions: { inputs: JSONValue; outputs: JSONValue };
}

// Names from the IANA COSE registries (RFC 9053, RFC 8230, RFC 8812, and the fully-specified ESP256 and Ed25519) for the
// values WebAuthn meets.
const KTY: Record<number, string> = { 1: 'OKP', 2: 'EC2', 3: 'RSA', 4: 'Symmetric' };
const ALG_NAMES: Record<number, string> = {
  [-7]: 'ES256',
  [-8]: 'EdDSA',
  [-9]: 'ESP256',
  [-19]: 'Ed25519',
  [-35]: 'ES384',
  [-36]: 'ES512',
  [-37]: 'PS256',
  [-38]: 'PS384',
  [-39]: 'PS512',
  [-47]: 'ES256K',
  [-257]: 'RS256',
  [-258]: 'RS384',
  [-259]: 'RS512',
  [-65535]: 'RS1',
};
const CRV: Record<number, string> = { 1: 'P-256', 2: 'P-384', 3: 'P-521', 4: 'X25519', 5: 'X448', 6: 'Ed25519', 7: 'Ed448', 8: 'secp256k1' };

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const nameOf = (table: Record<number, string>, value: unknown): string | undefined => (typeof value === 'number' ? table[value] : undefined);

/** Any value as JSON: bytes as base64url, maps as objects, cycles and depth cut, nothing that JSON.stringify refuses. */
export function toJSONValue(value: unknown, depth = 0, seen = new Set<object>()): JSONValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value + 0 : String(value); // + 0: JSON has no -0
  if (typeof value === 'bigint') return value.toString();
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return null;
  if (value instanceof Uint8Array) return b64u(value);
  if (depth > 32) return '[nested too deep]';
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => toJSONValue(v, depth + 1, seen));
    const entries: [unknown, unknown][] = value instanceof Map ? [...value.entries()] : Object.entries(value);
    const out: { [key: string]: JSONValue } = {};
    for (const [k, v] of entries) {
      if (v === undefined || typeof v === 'function') continue;
      // defineProperty, not assignment: a member named "__proto__" stays a member.
      Object.defineProperty(out, String(k), { value: toJSONValue(v, depth + 1, seen), enumerable: true, writable: true, configurable: true });
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function check(name: string, expected: JSONValue, got: JSONValue): Check {
  return { name, ok: JSON.stringify(expected) === JSON.stringify(got), expected, got };
}

function bytesOf(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new TypeError(`${what} is ${value === undefined ? 'missing' : `not a base64url string (${typeof value})`}`);
  try {
    return fromB64u(value);
  } catch (e) {
    throw new TypeError(`${what} is not base64url: ${message(e)}`);
  }
}

function part<T>(decode: () => T): Part<T> {
  try {
    return decode();
  } catch (e) {
    return { problem: message(e) };
  }
}

const hasProblem = (x: unknown): x is Problem => isRecord(x) && typeof x.problem === 'string' && Object.keys(x).length === 1;

function uuid(bytes: Uint8Array): string {
  const h = bytesToHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** §5.8.1: the client data, with the relying party's checks of §7.1 and §7.2 (type, challenge, origin). */
function clientDataView(raw: Uint8Array, input: CeremonyInput, options: Record<string, unknown>): ClientDataView {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  const cd: unknown = JSON.parse(text);
  if (!isRecord(cd)) throw new TypeError('clientDataJSON is not a JSON object');
  const { type, challenge, origin, crossOrigin, topOrigin, ...rest } = cd;
  const checks = [check('type', input.kind === 'create' ? 'webauthn.create' : 'webauthn.get', toJSONValue(type))];
  if (typeof options.challenge === 'string') checks.push(check('challenge is the options’ challenge', options.challenge, toJSONValue(challenge)));
  checks.push(check('origin is the caller’s', input.origin, toJSONValue(origin)));
  if (crossOrigin !== undefined && typeof crossOrigin !== 'boolean') checks.push(check('crossOrigin is a boolean', 'boolean', typeof crossOrigin));
  if (topOrigin !== undefined) checks.push(check('topOrigin only with crossOrigin', true, crossOrigin === true));
  return {
    type: toJSONValue(type),
    challenge: toJSONValue(challenge),
    origin: toJSONValue(origin),
    crossOrigin: toJSONValue(crossOrigin),
    ...(topOrigin !== undefined ? { topOrigin: toJSONValue(topOrigin) } : {}),
    other: toJSONValue(rest) as { [key: string]: JSONValue },
    checks,
  };
}

/** §6.5.1.1 / RFC 9052 §7: a COSE_Key by name. Private parameters are never shown: only their labels, with a problem. */
export function coseKeyView(bytes: Uint8Array): CoseKeyView {
  const map = cborDecode(bytes);
  if (!(map instanceof Map)) throw new TypeError('the COSE key is not a CBOR map');
  const kty = map.get(1);
  const alg = map.get(3);
  const view: CoseKeyView = { kty: toJSONValue(kty), alg: toJSONValue(alg), otherLabels: [] };
  const ktyName = nameOf(KTY, kty);
  const algName = nameOf(ALG_NAMES, alg);
  if (ktyName) view.ktyName = ktyName;
  if (algName) view.algName = algName;
  // Public parameters per key type (RFC 9053 §7.1 EC2, §7.2 OKP; RFC 8230 §4 RSA); the private ones are d (-4) of EC2
  // and OKP, d to the CRT values (-3 .. -12) of RSA, and k (-1) of a symmetric key (RFC 9053 §7.3).
  const named: Record<number, keyof CoseKeyView> = kty === 3 ? { [-1]: 'n', [-2]: 'e' } : kty === 2 ? { [-1]: 'crv', [-2]: 'x', [-3]: 'y' } : kty === 1 ? { [-1]: 'crv', [-2]: 'x' } : {};
  const privateLabels = kty === 3 ? [-3, -4, -5, -6, -7, -8, -9, -10, -11, -12] : kty === 2 || kty === 1 ? [-4] : kty === 4 ? [-1] : [];
  for (const [label, value] of map) {
    if (label === 1 || label === 3) continue;
    const field = typeof label === 'number' ? named[label] : undefined;
    if (field) (view as unknown as Record<string, JSONValue>)[field] = toJSONValue(value);
    else view.otherLabels.push(label);
  }
  const crvName = nameOf(CRV, map.get(-1));
  if (view.crv !== undefined && crvName) view.crvName = crvName;
  const secret = view.otherLabels.filter((l) => typeof l === 'number' && privateLabels.includes(l));
  if (secret.length > 0) view.problem = `the key carries private key parameters (labels ${secret.join(', ')}); they are not shown`;
  return view;
}

/** §6.1: the 37-byte header always (when there are 37 bytes), then attested credential data and extensions. */
function authDataView(raw: Uint8Array, input: CeremonyInput, rpId: string | null, options: Record<string, unknown>): AuthDataView {
  if (raw.length < 37) throw new RangeError(`authenticator data has ${raw.length} bytes, at least 37 expected`);
  const flags = raw[32]!;
  const view: AuthDataView = {
    rpIdHash: bytesToHex(raw.subarray(0, 32)),
    flags: {
      byte: `0x${flags.toString(16).padStart(2, '0')}`,
      UP: !!(flags & FLAG.UP),
      UV: !!(flags & FLAG.UV),
      BE: !!(flags & FLAG.BE),
      BS: !!(flags & FLAG.BS),
      AT: !!(flags & FLAG.AT),
      ED: !!(flags & FLAG.ED),
    },
    signCount: new DataView(raw.buffer, raw.byteOffset + 33, 4).getUint32(0),
    checks: [],
  };
  if (rpId !== null) view.checks.push(check(`rpIdHash is SHA-256("${rpId}")`, bytesToHex(rpIdHash(rpId)), view.rpIdHash));
  view.checks.push(check('UP (user present)', true, view.flags.UP));
  const uv = input.kind === 'create' ? (isRecord(options.authenticatorSelection) ? options.authenticatorSelection.userVerification : undefined) : options.userVerification;
  if (uv === 'required') view.checks.push(check('UV, as userVerification is "required"', true, view.flags.UV));
  // §6.1.3 Credential Backup State: BE = 0 with BS = 1 "is not allowed".
  if (view.flags.BS) view.checks.push(check('BS only with BE (§6.1.3)', true, view.flags.BE));
  view.checks.push(check(input.kind === 'create' ? 'AT (attested credential data) in a registration' : 'no AT in an assertion', input.kind === 'create', view.flags.AT));
  try {
    const parsed = parseAuthData(raw);
    const acd = parsed.attestedCredentialData;
    if (acd) {
      view.attestedCredentialData = {
        aaguid: uuid(acd.aaguid),
        credentialId: b64u(acd.credentialId),
        credentialPublicKey: part(() => coseKeyView(acd.credentialPublicKey)),
      };
    }
    if (parsed.extensions) view.extensions = toJSONValue(parsed.extensions);
  } catch (e) {
    view.problem = message(e);
  }
  return view;
}

/** §6.5.4 attestation object; for packed self attestation, §8.2's verification procedure with the credential key. */
async function attestationView(raw: Uint8Array, response: Record<string, unknown>, clientDataJSON: Uint8Array | undefined): Promise<AttestationView> {
  const obj = cborDecode(raw);
  if (!(obj instanceof Map)) throw new TypeError('the attestation object is not a CBOR map');
  const fmt = obj.get('fmt');
  const attStmt = obj.get('attStmt');
  const authData = obj.get('authData');
  if (!(attStmt instanceof Map)) throw new TypeError('attStmt is not a CBOR map');
  const { alg, sig, x5c, ...other } = Object.fromEntries(attStmt) as Record<string, CborValue>;
  const view: AttestationView = {
    fmt: toJSONValue(fmt),
    attStmt: { other: toJSONValue(other) as { [key: string]: JSONValue } },
    attestationType: fmt === 'none' ? 'none' : 'other',
    checks: [],
  };
  if (alg !== undefined) view.attStmt.alg = toJSONValue(alg);
  const algName = nameOf(ALG_NAMES, alg);
  if (algName) view.attStmt.algName = algName;
  if (sig instanceof Uint8Array) view.attStmt.sig = { b64u: b64u(sig), hex: bytesToHex(sig) };
  if (x5c !== undefined) view.attStmt.x5c = toJSONValue(x5c);

  if (authData instanceof Uint8Array) {
    view.checks.push(check('authData is the response’s authenticatorData', typeof response.authenticatorData === 'string' ? response.authenticatorData : null, b64u(authData)));
  } else {
    view.checks.push(check('authData is a byte string', true, false));
  }
  if (fmt === 'none') view.checks.push(check('attStmt of "none" is empty (§8.7)', 0, attStmt.size));
  if (fmt === 'packed' && x5c !== undefined) view.attestationType = 'certificate'; // Basic or AttCA: the chain needs trust roots
  if (fmt === 'packed' && x5c === undefined && authData instanceof Uint8Array) {
    view.attestationType = 'self';
    view.checks.push(...(await selfAttestationChecks(authData, alg, sig, clientDataJSON)));
  }
  return view;
}

/** §8.2 verification procedure, "If x5c is not present, self attestation is in use". */
async function selfAttestationChecks(authData: Uint8Array, alg: CborValue | undefined, sig: CborValue | undefined, clientDataJSON: Uint8Array | undefined): Promise<Check[]> {
  let key: PublicKey;
  try {
    const acd = parseAuthData(authData).attestedCredentialData;
    if (!acd) throw new TypeError('there is no attested credential data');
    key = decodeCoseKey(acd.credentialPublicKey);
  } catch (e) {
    return [{ name: 'the credential public key can check the self attestation', ok: false, got: message(e) }];
  }
  const checks = [check('alg is the credential key’s (§8.2)', key.alg, toJSONValue(alg))];
  if (!(sig instanceof Uint8Array) || !clientDataJSON) return [...checks, { name: 'sig and client data present', ok: false }];
  let ok: boolean;
  try {
    ok = await verifySignature(key, signedData(authData, sha256(clientDataJSON)), sig);
  } catch {
    ok = false; // not a well-formed signature
  }
  return [...checks, { name: 'sig verifies with the credential public key (§8.2 self attestation)', ok }];
}


/** §7.2: the assertion signature over authenticatorData || SHA-256(clientDataJSON), checked with the stored public key. */
async function signatureView(sig: Uint8Array, authData: Uint8Array | undefined, clientDataJSON: Uint8Array | undefined, publicKeyCose: CeremonyInput['publicKeyCose']): Promise<SignatureView> {
  const view: SignatureView = { b64u: b64u(sig), hex: bytesToHex(sig), verified: null };
  if (publicKeyCose === undefined) return { ...view, problem: 'no stored public key was given, so the signature was not checked' };
  if (!authData || !clientDataJSON) return { ...view, problem: 'the signed data could not be decoded' };
  try {
    const key = decodeCoseKey(typeof publicKeyCose === 'string' ? fromB64u(publicKeyCose) : publicKeyCose);
    try {
      view.verified = await verifySignature(key, signedData(authData, sha256(clientDataJSON)), sig);
    } catch (e) {
      view.verified = false;
      view.problem = `malformed signature: ${message(e)}`;
    }
  } catch (e) {
    view.problem = `the stored public key is not usable: ${message(e)}`;
  }
  return view;
}

async function credentialView(credential: unknown, input: CeremonyInput, rpId: string | null, options: Record<string, unknown>): Promise<CredentialView> {
  if (!isRecord(credential)) throw new TypeError('the credential is not an object');
  const response = isRecord(credential.response) ? credential.response : {};
  const view: CredentialView = {
    id: toJSONValue(credential.id),
    rawId: toJSONValue(credential.rawId),
    type: toJSONValue(credential.type),
    authenticatorAttachment: toJSONValue(credential.authenticatorAttachment),
    clientData: { problem: 'not decoded' },
    authenticatorData: { problem: 'not decoded' },
    checks: [check('rawId is id', toJSONValue(credential.id), toJSONValue(credential.rawId)), check('type', 'public-key', toJSONValue(credential.type))],
  };
  if (!isRecord(credential.response)) view.checks.push(check('response is an object', true, false));

  const clientDataJSON = part(() => bytesOf(response.clientDataJSON, 'response.clientDataJSON'));
  const cdBytes = clientDataJSON instanceof Uint8Array ? clientDataJSON : undefined;
  view.clientData = cdBytes ? part(() => clientDataView(cdBytes, input, options)) : (clientDataJSON as Problem);

  const authData = part(() => bytesOf(response.authenticatorData, 'response.authenticatorData'));
  const adBytes = authData instanceof Uint8Array ? authData : undefined;
  view.authenticatorData = adBytes ? part(() => authDataView(adBytes, input, rpId, options)) : (authData as Problem);

  if (input.kind === 'create') {
    const raw = part(() => bytesOf(response.attestationObject, 'response.attestationObject'));
    view.attestationObject = raw instanceof Uint8Array ? await attestationView(raw, response, cdBytes).catch((e: unknown) => ({ problem: message(e) })) : raw;
    view.publicKey = toJSONValue(response.publicKey);
    view.publicKeyAlgorithm = toJSONValue(response.publicKeyAlgorithm);
    view.transports = toJSONValue(response.transports);
    const acd = adBytes ? part(() => parseAuthData(adBytes).attestedCredentialData) : undefined;
    if (acd && !hasProblem(acd)) {
      view.checks.push(check('attested credential id is rawId', toJSONValue(credential.rawId), b64u(acd.credentialId)));
      const attested = part(() => decodeCoseKey(acd.credentialPublicKey));
      if (!hasProblem(attested)) {
        view.checks.push(check('publicKey is the attested key’s SPKI (§5.2.1.1)', b64u(spki(attested)), toJSONValue(response.publicKey)));
        view.checks.push(check('publicKeyAlgorithm is the attested key’s', attested.alg, toJSONValue(response.publicKeyAlgorithm)));
        const params = Array.isArray(options.pubKeyCredParams) ? options.pubKeyCredParams : undefined;
        if (params) {
          // §5.1.3 step 10: an empty list means ES256 and RS256.
          const offered = params.length === 0 ? [ALG.ES256, ALG.RS256] : params.filter((p) => isRecord(p) && p.type === 'public-key').map((p) => (p as { alg: unknown }).alg);
          view.checks.push({ name: 'the algorithm is one the RP offered', ok: offered.includes(attested.alg), expected: toJSONValue(offered), got: attested.alg });
        }
      }
    }
  } else {
    const raw = part(() => bytesOf(response.signature, 'response.signature'));
    view.signature = raw instanceof Uint8Array ? await signatureView(raw, adBytes, cdBytes, input.publicKeyCose) : raw;
    view.userHandle = toJSONValue(response.userHandle);
    const allow = Array.isArray(options.allowCredentials) ? options.allowCredentials.filter(isRecord) : [];
    if (allow.length > 0) view.checks.push({ name: 'the credential is one of allowCredentials', ok: allow.some((d) => d.id === credential.id), got: toJSONValue(credential.id) });
    // §7.2: a user not identified before the ceremony (no allowCredentials) is identified by response.userHandle.
    else view.checks.push(check('userHandle present (discoverable credential)', true, typeof response.userHandle === 'string' && response.userHandle.length > 0));
  }
  return view;
}

/** Decodes one ceremony for the inspector. Never throws; the record is JSON-serialisable. */
export async function inspectCeremony(input: CeremonyInput): Promise<CeremonyRecord> {
  const options = isRecord(input.options) ? input.options : {};
  const rpId = typeof input.rpId === 'string' ? input.rpId : null;
  const finite = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n + 0 : null);
  const startedAt = finite(input.startedAt);
  const startedAtISO = startedAt !== null && Math.abs(startedAt) <= 8.64e15 ? new Date(startedAt).toISOString() : null; // ECMA-262 §21.4.1.1 time range
  const record: CeremonyRecord = {
    kind: input.kind,
    origin: String(input.origin),
    rpId,
    startedAt,
    startedAtISO,
    durationMs: finite(input.durationMs),
    options: toJSONValue(input.options),
    result: 'unknown',
    extensions: { inputs: toJSONValue(options.extensions ?? null), outputs: null },
  };
  const answer: unknown = input.answer;
  if (isRecord(answer) && 'credential' in answer) {
    record.result = 'credential';
    if (isRecord(answer.credential)) record.extensions.outputs = toJSONValue(answer.credential.clientExtensionResults ?? null);
    record.credential = await credentialView(answer.credential, input, rpId, options).catch((e: unknown) => ({ problem: message(e) }));
  } else if (isRecord(answer) && 'error' in answer) {
    record.result = 'error';
    const error = isRecord(answer.error) ? answer.error : {};
    record.error = { name: toJSONValue(error.name ?? null), message: toJSONValue(error.message ?? null) };
  } else if (isRecord(answer) && answer.fallback === true) {
    record.result = 'fallback';
  }
  return record;
}

// Schemas for the JSON forms that arrive from the bridge or the proxy (rule 6: every input is validated).
// The page-facing WebIDL conversion happens in the shim (or the browser); this is the background's own
// guard, so a message that does not fit is refused whole with a TypeError and changes nothing.
import * as v from 'valibot';
import { isBase64url } from '../base64url.ts';
import { WebAuthnError } from '../errors.ts';
import type { CreationOptionsJSON, RequestOptionsJSON } from '../types.ts';

const MAX_TEXT = 64 * 1024;
const MAX_LIST = 1024;
/** hints, transports, attestationFormats: a few enum strings each. */
const MAX_SHORT_LIST = 64;
const text = v.pipe(v.string(), v.maxLength(MAX_TEXT));
const b64u = v.pipe(v.string(), v.maxLength(MAX_TEXT), v.check((s: string) => isBase64url(s), 'not base64url'));
const descriptor = v.looseObject({ type: text, id: b64u, transports: v.optional(v.pipe(v.array(text), v.maxLength(MAX_SHORT_LIST))) });
const prfValues = v.looseObject({ first: b64u, second: v.optional(b64u) });
const extensions = v.optional(
  v.looseObject({
    appid: v.optional(text),
    credBlob: v.optional(b64u),
    credProps: v.optional(v.boolean()),
    getCredBlob: v.optional(v.boolean()),
    largeBlob: v.optional(v.looseObject({ support: v.optional(text), read: v.optional(v.boolean()), write: v.optional(b64u) })),
    prf: v.optional(v.looseObject({ eval: v.optional(prfValues), evalByCredential: v.optional(v.record(v.pipe(v.string(), v.maxLength(MAX_TEXT)), prfValues)) })),
  }),
);
const timeout = v.optional(v.pipe(v.number(), v.minValue(0)));

export const CreationOptionsSchema = v.looseObject({
  rp: v.looseObject({ id: v.optional(text), name: text }),
  user: v.looseObject({ id: b64u, name: text, displayName: text }),
  challenge: b64u,
  pubKeyCredParams: v.pipe(v.array(v.looseObject({ type: text, alg: v.pipe(v.number(), v.integer()) })), v.maxLength(MAX_LIST)),
  timeout,
  excludeCredentials: v.optional(v.pipe(v.array(descriptor), v.maxLength(MAX_LIST))),
  authenticatorSelection: v.optional(
    v.looseObject({ authenticatorAttachment: v.optional(text), residentKey: v.optional(text), requireResidentKey: v.optional(v.boolean()), userVerification: v.optional(text) }),
  ),
  hints: v.optional(v.pipe(v.array(text), v.maxLength(MAX_SHORT_LIST))),
  attestation: v.optional(text),
  attestationFormats: v.optional(v.pipe(v.array(text), v.maxLength(MAX_SHORT_LIST))),
  extensions,
});

export const RequestOptionsSchema = v.looseObject({
  challenge: b64u,
  timeout,
  rpId: v.optional(text),
  allowCredentials: v.optional(v.pipe(v.array(descriptor), v.maxLength(MAX_LIST))),
  userVerification: v.optional(text),
  hints: v.optional(v.pipe(v.array(text), v.maxLength(MAX_SHORT_LIST))),
  extensions,
});

function check<T>(schema: v.GenericSchema, input: unknown, what: string): T {
  const r = v.safeParse(schema, input);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join('.') ?? '';
    throw new WebAuthnError('TypeError', `${what}: ${path || 'value'}: ${issue.message}`);
  }
  return r.output as T;
}

export const parseCreationOptions = (input: unknown) => check<CreationOptionsJSON>(CreationOptionsSchema, input, 'PublicKeyCredentialCreationOptions');
export const parseRequestOptions = (input: unknown) => plainRequest(input) ?? check<RequestOptionsJSON>(RequestOptionsSchema, input, 'PublicKeyCredentialRequestOptions');

// ---- A plain sign-in, checked without the schema walk ----
// What the browser hands the proxy door for an ordinary sign-in (and what the shim sends for one): only the members
// below, each in the simple form RequestOptionsSchema accepts. Checked by hand, by the schema's own rules: valibot's
// generic walk cost a sign-in made after a second of idle 37–46 µs in Chromium's service worker (timestamps in the worker
// over the bench's cold sign-ins). Whatever this does not recognize (another member, an
// extension input, an `undefined`, a value the schema might refuse) goes to the schema, which decides and words the
// error; so this may only ever accept less. schema.test.ts checks both agree.

const PLAIN_REQUEST_KEYS = new Set(['challenge', 'timeout', 'rpId', 'allowCredentials', 'userVerification', 'hints', 'extensions']);
const PLAIN_DESCRIPTOR_KEYS = new Set(['type', 'id', 'transports']);

const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;
const isText = (x: unknown): x is string => typeof x === 'string' && x.length <= MAX_TEXT;
const isB64u = (x: unknown): boolean => isText(x) && isBase64url(x);
const onlyKeys = (o: Record<string, unknown>, keys: ReadonlySet<string>): boolean => {
  for (const k in o) if (!keys.has(k) || o[k] === undefined) return false;
  return true;
};
/** Every index from 0 to length, as the schema walks them (a hole is an `undefined`, which `every` would skip). */
const isList = (x: unknown, max: number, item: (y: unknown) => boolean): boolean => {
  if (!Array.isArray(x) || x.length > max) return false;
  for (let i = 0; i < x.length; i++) if (!item(x[i])) return false;
  return true;
};
const isPlainDescriptor = (d: unknown): boolean =>
  isPlainObject(d) && onlyKeys(d, PLAIN_DESCRIPTOR_KEYS) && isText(d.type) && isB64u(d.id) && (d.transports === undefined || isList(d.transports, MAX_SHORT_LIST, isText));

/** The request itself, typed, when it is a plain sign-in the schema accepts as it stands; else undefined (ask the schema). */
export function plainRequest(input: unknown): RequestOptionsJSON | undefined {
  if (!isPlainObject(input) || !onlyKeys(input, PLAIN_REQUEST_KEYS) || !isB64u(input.challenge)) return undefined;
  const { timeout, rpId, allowCredentials, userVerification, hints, extensions } = input;
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout >= 0)) return undefined;
  if ((rpId !== undefined && !isText(rpId)) || (userVerification !== undefined && !isText(userVerification))) return undefined;
  if (hints !== undefined && !isList(hints, MAX_SHORT_LIST, isText)) return undefined;
  if (allowCredentials !== undefined && !isList(allowCredentials, MAX_LIST, isPlainDescriptor)) return undefined;
  if (extensions !== undefined && !(isPlainObject(extensions) && Object.keys(extensions).length === 0)) return undefined;
  return input as unknown as RequestOptionsJSON;
}

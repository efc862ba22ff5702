// Schemas for the JSON forms that arrive from the bridge or the proxy (rule 6: every input is validated).
// The page-facing WebIDL conversion happens in the shim (or the browser); this is the background's own
// guard, so a message that does not fit is refused whole with a TypeError and changes nothing.
import * as v from 'valibot';
import { isBase64url } from '../base64url.ts';
import { WebAuthnError } from '../errors.ts';
import type { CreationOptionsJSON, RequestOptionsJSON } from '../types.ts';

const MAX_TEXT = 64 * 1024;
const MAX_LIST = 1024;
const text = v.pipe(v.string(), v.maxLength(MAX_TEXT));
const b64u = v.pipe(v.string(), v.maxLength(MAX_TEXT), v.check((s: string) => isBase64url(s), 'not base64url'));
const descriptor = v.looseObject({ type: text, id: b64u, transports: v.optional(v.pipe(v.array(text), v.maxLength(64))) });
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
  hints: v.optional(v.pipe(v.array(text), v.maxLength(64))),
  attestation: v.optional(text),
  attestationFormats: v.optional(v.pipe(v.array(text), v.maxLength(64))),
  extensions,
});

export const RequestOptionsSchema = v.looseObject({
  challenge: b64u,
  timeout,
  rpId: v.optional(text),
  allowCredentials: v.optional(v.pipe(v.array(descriptor), v.maxLength(MAX_LIST))),
  userVerification: v.optional(text),
  hints: v.optional(v.pipe(v.array(text), v.maxLength(64))),
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
export const parseRequestOptions = (input: unknown) => check<RequestOptionsJSON>(RequestOptionsSchema, input, 'PublicKeyCredentialRequestOptions');

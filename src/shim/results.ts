// Page-realm PublicKeyCredential objects built from the JSON form, indistinguishable in shape from the
// browser's own: real prototypes (instanceof works), no own properties, the prototype accessors answer
// for them. The accessors are wrapped only on the first result (docs/design.md rule 7: no work on pages that
// never call WebAuthn); for the browser's own objects they defer to the original accessor.
import { decode as fromB64u } from '../webauthn/base64url.ts';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../webauthn/types.ts';

type AnyJSON = RegistrationResponseJSON | AuthenticationResponseJSON;
const data = new WeakMap<object, Record<string, unknown>>();
const patched = new WeakSet<object>();

const buf = (s: string): ArrayBuffer => fromB64u(s).buffer as ArrayBuffer;

function wrapAccessors(proto: object | undefined, names: string[]): void {
  if (!proto || patched.has(proto)) return;
  patched.add(proto);
  for (const name of names) {
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    if (!desc) {
      // A member this browser lacks (e.g. an older getPublicKey): provide it for our objects only.
      Object.defineProperty(proto, name, {
        configurable: true,
        writable: true,
        enumerable: true,
        value: {
          [name](this: object) {
            const d = data.get(this);
            if (!d) throw new TypeError('Illegal invocation');
            return (d[name] as () => unknown)();
          },
        }[name],
      });
      continue;
    }
    if (desc.get) {
      const original = desc.get;
      Object.defineProperty(proto, name, {
        ...desc,
        get: {
          [name](this: object) {
            const d = data.get(this);
            return d ? d[name] : original.call(this);
          },
        }[name],
      });
    } else if (typeof desc.value === 'function') {
      const original = desc.value as (...a: unknown[]) => unknown;
      Object.defineProperty(proto, name, {
        ...desc,
        value: {
          [name](this: object, ...args: unknown[]) {
            const d = data.get(this);
            return d ? (d[name] as (...a: unknown[]) => unknown)(...args) : original.apply(this, args);
          },
        }[name],
      });
    }
  }
}

function patchPrototypes(w: typeof globalThis): void {
  const g = w as unknown as Record<string, { prototype: object } | undefined>;
  wrapAccessors(g.Credential?.prototype, ['id', 'type']);
  wrapAccessors(g.PublicKeyCredential?.prototype, ['rawId', 'response', 'authenticatorAttachment', 'getClientExtensionResults', 'toJSON']);
  wrapAccessors(g.AuthenticatorResponse?.prototype, ['clientDataJSON']);
  wrapAccessors(g.AuthenticatorAttestationResponse?.prototype, ['attestationObject', 'getTransports', 'getAuthenticatorData', 'getPublicKey', 'getPublicKeyAlgorithm']);
  wrapAccessors(g.AuthenticatorAssertionResponse?.prototype, ['authenticatorData', 'signature', 'userHandle']);
}

/** §5.1 PublicKeyCredential's toJSON() result: a fresh copy each call. */
function jsonCopy(json: AnyJSON): AnyJSON {
  return JSON.parse(JSON.stringify(json));
}

export function buildCredential(w: typeof globalThis, json: AnyJSON, kind: 'create' | 'get'): object {
  patchPrototypes(w);
  const g = w as unknown as Record<string, { prototype: object }>;
  const r = json.response as Record<string, unknown>;
  let response: object;
  if (kind === 'create') {
    const reg = json as RegistrationResponseJSON;
    response = Object.create(g.AuthenticatorAttestationResponse!.prototype);
    const clientDataJSON = buf(reg.response.clientDataJSON);
    const attestationObject = buf(reg.response.attestationObject);
    data.set(response, {
      clientDataJSON,
      attestationObject,
      getTransports: () => [...reg.response.transports],
      getAuthenticatorData: () => buf(reg.response.authenticatorData),
      getPublicKey: () => buf(reg.response.publicKey),
      getPublicKeyAlgorithm: () => reg.response.publicKeyAlgorithm,
    });
  } else {
    response = Object.create(g.AuthenticatorAssertionResponse!.prototype);
    data.set(response, {
      clientDataJSON: buf(r.clientDataJSON as string),
      authenticatorData: buf(r.authenticatorData as string),
      signature: buf(r.signature as string),
      userHandle: r.userHandle === undefined ? null : buf(r.userHandle as string),
    });
  }
  const credential = Object.create(g.PublicKeyCredential!.prototype);
  const results = json.clientExtensionResults;
  data.set(credential, {
    id: json.id,
    type: 'public-key',
    rawId: buf(json.rawId),
    response,
    authenticatorAttachment: json.authenticatorAttachment,
    getClientExtensionResults: () => {
      const out = JSON.parse(JSON.stringify(results));
      // The JSON form's base64url members are ArrayBuffers here (§5.1 toJSON() is the inverse).
      if (typeof out.getCredBlob === 'string') out.getCredBlob = buf(out.getCredBlob);
      if (typeof out.largeBlob?.blob === 'string') out.largeBlob.blob = buf(out.largeBlob.blob);
      const prf = out.prf?.results;
      if (prf) {
        prf.first = buf(prf.first);
        if (prf.second !== undefined) prf.second = buf(prf.second);
      }
      return out;
    },
    toJSON: () => jsonCopy(json),
  });
  return credential;
}

// The JSON forms of WebAuthn L3 (§5.1.8 PublicKeyCredentialCreationOptionsJSON, §5.1.10
// PublicKeyCredentialRequestOptionsJSON, §5.1 RegistrationResponseJSON / AuthenticationResponseJSON).
// Everything that crosses a message boundary (page ⇄ bridge ⇄ background, proxy ⇄ background) uses these.

export type Base64URLString = string;

export interface PublicKeyCredentialDescriptorJSON {
  type: string;
  id: Base64URLString;
  transports?: string[];
}

export interface AuthenticationExtensionsClientInputsJSON {
  /** §10.1.1: authentication only (the legacy U2F AppID); refused in create(). */
  appid?: string;
  /** CTAP 2.1 credBlob (create) and getCredBlob (get), as Chromium exposes them. */
  credBlob?: Base64URLString;
  credProps?: boolean;
  getCredBlob?: boolean;
  /** §10.1.5: `support` at create; `read` or `write` at get. */
  largeBlob?: { support?: string; read?: boolean; write?: Base64URLString };
  prf?: {
    eval?: { first: Base64URLString; second?: Base64URLString };
    evalByCredential?: Record<string, { first: Base64URLString; second?: Base64URLString }>;
  };
  [unknown: string]: unknown;
}

export interface CreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: Base64URLString; name: string; displayName: string };
  challenge: Base64URLString;
  pubKeyCredParams: { type: string; alg: number }[];
  timeout?: number;
  excludeCredentials?: PublicKeyCredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: string;
    residentKey?: string;
    requireResidentKey?: boolean;
    userVerification?: string;
  };
  hints?: string[];
  attestation?: string;
  attestationFormats?: string[];
  extensions?: AuthenticationExtensionsClientInputsJSON;
}

export interface RequestOptionsJSON {
  challenge: Base64URLString;
  timeout?: number;
  rpId?: string;
  allowCredentials?: PublicKeyCredentialDescriptorJSON[];
  userVerification?: string;
  hints?: string[];
  extensions?: AuthenticationExtensionsClientInputsJSON;
}

export interface ClientExtensionOutputsJSON {
  credBlob?: boolean;
  credProps?: { rk: boolean };
  getCredBlob?: Base64URLString;
  largeBlob?: { supported?: boolean; blob?: Base64URLString; written?: boolean };
  prf?: { enabled?: boolean; results?: { first: Base64URLString; second?: Base64URLString } };
}

/** §5.1 PublicKeyCredential's toJSON(): the members both ceremonies share. */
interface PublicKeyCredentialJSON {
  id: Base64URLString;
  rawId: Base64URLString;
  type: 'public-key';
  authenticatorAttachment: 'platform' | 'cross-platform';
  clientExtensionResults: ClientExtensionOutputsJSON;
}

export interface RegistrationResponseJSON extends PublicKeyCredentialJSON {
  response: {
    clientDataJSON: Base64URLString;
    attestationObject: Base64URLString;
    authenticatorData: Base64URLString;
    transports: string[];
    publicKey: Base64URLString;
    publicKeyAlgorithm: number;
  };
}

export interface AuthenticationResponseJSON extends PublicKeyCredentialJSON {
  response: {
    clientDataJSON: Base64URLString;
    authenticatorData: Base64URLString;
    signature: Base64URLString;
    userHandle?: Base64URLString;
  };
}

/** Where the request came from, as the browser (never the page) tells it. */
export interface Caller {
  origin: string;
  /** False for a frame whose ancestors are not all same-origin with it (§5.1.3 sameOriginWithAncestors). */
  sameOriginWithAncestors: boolean;
  topOrigin?: string;
  /** Which front door carried the request: the browser has already run the client checks on the proxy. */
  door: 'proxy' | 'shim';
  /** The calling document had transient user activation (the shim door; the browser checks it on the proxy). */
  transientActivation?: boolean;
}

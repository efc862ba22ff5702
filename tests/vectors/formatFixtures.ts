// Shared by the formats' tests (not imported by the app): passkeys as Keyport makes them, and typed access
// to the independent generator of foreign documents in tests/support/foreign.mjs.
import { generateCredentialKey } from '../../src/webauthn/authenticator/keys.ts';
import { encode as cborEncode } from '../../src/webauthn/cbor.ts';
import { ALG, type Alg, encodeCoseKey } from '../../src/webauthn/cose.ts';
import type { PortablePasskey } from '../../src/formats/types.ts';

let counter = 0;

/** A passkey as Keyport's own authenticator would have made it. */
export async function keyportPasskey(alg: Alg = ALG.ES256, over: Partial<PortablePasskey> = {}): Promise<PortablePasskey> {
  const key = await generateCredentialKey(alg);
  const n = ++counter;
  return {
    credentialId: globalThis.crypto.getRandomValues(new Uint8Array(n % 2 ? 16 : 32)),
    rpId: `site${n}.example.com`,
    userHandle: globalThis.crypto.getRandomValues(new Uint8Array(16)),
    userName: `user${n}@mail.example`,
    userDisplayName: `User Number ${n}`,
    pkcs8: key.pkcs8,
    alg: key.alg,
    publicKeyCose: cborEncode(encodeCoseKey(key.publicKey)),
    createdAt: 1_700_000_000_000 + n * 1000,
    ...over,
  };
}

export interface ForeignPasskey {
  alg: 'ES256' | 'EdDSA' | 'RS256';
  coseAlg: number;
  rpId: string;
  userName: string;
  userDisplayName: string;
  credentialId: Uint8Array;
  credentialIdB64: string;
  userHandle: Uint8Array;
  userHandleB64: string;
  pkcs8: Uint8Array;
  publicJwk: JsonWebKey;
  spki: Uint8Array;
  cosePublicKey: Uint8Array;
  prfSecret?: Uint8Array;
  createdAt: number;
}

export interface Foreign {
  makeForeignPasskey(o: {
    alg?: ForeignPasskey['alg'];
    rpId: string;
    userName: string;
    userDisplayName?: string;
    credentialIdLength?: number;
    credentialId?: Uint8Array;
    userHandle?: Uint8Array;
    prf?: boolean;
    createdAt?: number;
  }): Promise<ForeignPasskey>;
  verifyForeign(p: ForeignPasskey, data: Uint8Array, signature: Uint8Array): boolean;
  cxfDocument(p: ForeignPasskey[], o?: { withOtherCredentials?: boolean; exporterRpId?: string; exporterDisplayName?: string; now?: number }): string;
  bitwardenJson(p: ForeignPasskey[], o?: { withOtherItems?: boolean }): string;
  bitwardenEncryptedJson(
    p: ForeignPasskey[],
    password: string,
    o?: { kdf?: 'argon2id' | 'pbkdf2'; iterations?: number; memory?: number; parallelism?: number; withOtherItems?: boolean },
  ): Promise<string>;
  keepassxcPasskeyFile(p: ForeignPasskey): string;
  keepassxcXml(p: ForeignPasskey[], o?: { withOtherEntries?: boolean; standardBase64Ids?: boolean }): string;
  pem(pkcs8: Uint8Array): string;
}

/** tests/support/foreign.mjs, loaded by URL so TypeScript does not look for its declarations. */
export async function loadForeign(): Promise<Foreign> {
  const url = new URL('../../tests/support/foreign.mjs', import.meta.url).href;
  return (await import(/* @vite-ignore */ url)) as Foreign;
}

export const ALG_OF: Record<ForeignPasskey['alg'], Alg> = { ES256: ALG.ES256, EdDSA: ALG.EdDSA, RS256: ALG.RS256 };

const hex = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('hex'));

/** A passkey as plain values, for toEqual: bytes as hex; createdAt rounded down to `precisionMs`. */
export function comparable(p: PortablePasskey, { precisionMs = 1, keep = [] as (keyof PortablePasskey)[] } = {}) {
  const out: Record<string, unknown> = {
    credentialId: hex(p.credentialId),
    rpId: p.rpId,
    userHandle: hex(p.userHandle),
    userName: p.userName,
    userDisplayName: p.userDisplayName,
    pkcs8: hex(p.pkcs8),
    alg: p.alg,
    publicKeyCose: hex(p.publicKeyCose),
    prfSecret: hex(p.prfSecret),
    createdAt: p.createdAt === undefined ? undefined : Math.floor(p.createdAt / precisionMs) * precisionMs,
    title: p.title,
    discoverable: p.discoverable,
  };
  for (const k of keep) out[k] = p[k] instanceof Uint8Array ? hex(p[k]) : p[k];
  return out;
}

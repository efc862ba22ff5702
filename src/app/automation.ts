// The test-facing half of the automation API (README: "Automation API"): passkeys handed in by test
// code in the shape of Chromium's virtual authenticator (WebAuthn.addCredential: base64 ids and a PKCS#8
// private key), validated like any other input (DESIGN.md rule 6) and stored like an import.
import * as v from 'valibot';
import { encode as encodeCbor } from '../webauthn/cbor.ts';
import { encodeCoseKey } from '../webauthn/cose.ts';
import { decodeAnyBase64, encode as b64u } from '../webauthn/base64url.ts';
import { inspectPrivateKey } from '../formats/keys.ts';
import type { PortablePasskey } from '../formats/types.ts';
import type { Vault } from '../vault/vault.ts';

const Base64 = (what: string, max: number) =>
  v.pipe(
    v.string(`${what} must be a base64 string.`),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        const bytes = decodeAnyBase64(dataset.value);
        if (bytes.length > max) {
          addIssue({ message: `${what} is ${bytes.length} bytes; at most ${max} are allowed.` });
          return NEVER;
        }
        return bytes;
      } catch {
        addIssue({ message: `${what} is not valid base64.` });
        return NEVER;
      }
    }),
  );

export const TestCredential = v.object({
  credentialId: v.pipe(Base64('credentialId', 1023), v.check((b) => b.length > 0, 'credentialId is empty.')),
  rpId: v.pipe(v.string('rpId must be a string.'), v.regex(/^[a-z0-9.-]{1,253}$/i, 'rpId must be a domain name.')),
  privateKey: Base64('privateKey', 4096),
  userHandle: v.optional(Base64('userHandle', 64)),
  userName: v.optional(v.pipe(v.string(), v.maxLength(1024)), ''),
  userDisplayName: v.optional(v.pipe(v.string(), v.maxLength(1024)), ''),
  signCount: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff))),
  isResidentCredential: v.optional(v.boolean(), true),
});
export type TestCredentialInput = v.InferInput<typeof TestCredential>;

/** Adds a passkey given by test code; the same checks as an import (key, curve, duplicates). Returns its id. */
export async function addTestCredential(vault: Vault, input: unknown, backedUp: boolean): Promise<string> {
  const r = v.safeParse(TestCredential, input);
  if (!r.success) throw new TypeError(`addCredential: ${r.issues.map((i) => i.message).join(' ')}`);
  const c = r.output;
  const { alg, publicKey } = await inspectPrivateKey(c.privateKey);
  const passkey: PortablePasskey = {
    credentialId: c.credentialId,
    rpId: c.rpId.toLowerCase(),
    userHandle: c.userHandle ?? new Uint8Array(),
    userName: c.userName,
    userDisplayName: c.userDisplayName,
    pkcs8: c.privateKey,
    alg,
    publicKeyCose: encodeCbor(encodeCoseKey(publicKey)),
    signCount: c.signCount,
    discoverable: c.isResidentCredential,
  };
  const plan = vault.planImport([passkey]);
  if (plan.add.length === 0) throw new Error(`addCredential: a passkey with credential id ${b64u(c.credentialId)} is already in the vault.`);
  await vault.importPasskeys(plan, { backedUp });
  c.privateKey.fill(0);
  return b64u(c.credentialId);
}

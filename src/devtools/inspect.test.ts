import { createPrivateKey } from 'node:crypto';
import { generateAuthenticationOptions, generateRegistrationOptions } from '@simplewebauthn/server';
import { hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORIGIN, RP_ID, harness, sameOrigin } from '../../tests/vectors/ceremonyHarness.ts';
import { KEYPORT_PROFILE } from '../webauthn/authenticator/profile.ts';
import { decode as b64d, encode as b64u } from '../webauthn/base64url.ts';
import { type CborMap, decode as cborDecode, encode as cborEncode } from '../webauthn/cbor.ts';
import { decodeCoseKey, spki } from '../webauthn/cose.ts';
import { createCredential } from '../webauthn/client/create.ts';
import { getAssertion } from '../webauthn/client/get.ts';
import type { AuthenticationResponseJSON, CreationOptionsJSON, RegistrationResponseJSON, RequestOptionsJSON } from '../webauthn/types.ts';
import {
  type AttestationView,
  type AuthDataView,
  type CeremonyInput,
  type CeremonyRecord,
  type ClientDataView,
  type CredentialView,
  type SignatureView,
  inspectCeremony,
  toJSONValue,
} from './inspect.ts';

const hex = (h: string) => b64u(hexToBytes(h));
const credentialOf = (r: CeremonyRecord) => r.credential as CredentialView;
const clientDataOf = (r: CeremonyRecord) => credentialOf(r).clientData as ClientDataView;
const authDataOf = (r: CeremonyRecord) => credentialOf(r).authenticatorData as AuthDataView;
const attestationOf = (r: CeremonyRecord) => credentialOf(r).attestationObject as AttestationView;
const signatureOf = (r: CeremonyRecord) => credentialOf(r).signature as SignatureView;
const failed = (checks: { name: string; ok: boolean }[]) => checks.filter((c) => !c.ok).map((c) => c.name);

/** Every check of a record, wherever it sits. */
function allChecks(r: CeremonyRecord): { name: string; ok: boolean }[] {
  const c = credentialOf(r);
  return [c.checks, clientDataOf(r).checks, authDataOf(r).checks, (c.attestationObject as AttestationView | undefined)?.checks ?? []].flat();
}

const base = { startedAt: 1_700_000_000_000, durationMs: 42 };

// WebAuthn L3 §16 Test Vectors ("ES256 Credential with Self Attestation" and "ES256 Credential with No Attestation"):
// RP ID example.org, origin https://example.org.
const SPEC = {
  packedSelf: {
    credentialId: '455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58c',
    aaguid: 'df850e09-db6a-fbdf-ab51-697791506cfc',
    reg: {
      challenge: '7869c2b772d4b58eba9378cf8f29e26cf935aa77df0da89fa99c0bdc0a76f7e5',
      clientDataJSON:
        '7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a2265476e4374334c55745936366b336a506a796e6962506b31716e666644616966715a774c33417032392d55222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a205539685458764b453255526b4d6e625f307859485667227d',
      attestationObject:
        'a363666d74667061636b65646761747453746d74a263616c672663736967584630440220067a20754ab925005dbf378097c92120031581c73228d1fb4f5b881bcd7da98302207fc7b147558c7c0eba3af18bd9d121fa3d3a26d17fe3f220272178f473b6006d68617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b55d00000000df850e09db6afbdfab51697791506cfc0020455ef34e2043a87db3d4afeb39bbcb6cc32df9347c789a865ecdca129cbef58ca5010203262001215820eb151c8176b225cc651559fecf07af450fd85802046656b34c18f6cf193843c5225820927b8aa427a2be1b8834d233a2d34f61f13bfd44119c325d5896e183fee484f2',
    },
    auth: {
      challenge: '4478a10b1352348dd160c1353b0d469b5db19eb91c27f7dfa6fed39fe26af20b',
      authenticatorData: 'bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b50900000000',
      clientDataJSON:
        '7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a225248696843784e534e493352594d45314f7731476d3132786e726b634a5f6666707637546e2d4a71386773222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a206754623533727a36456853576f6d58477a696d433151227d',
      signature: '304402203310b9431903c401f1be2bdc8d23a4007682dbbddcf846994947b7f465daf84002204e94dd00047b316061b3b99772b7efd95994a83ef584b3b6b825ea3550251b66',
    },
  },
  none: {
    credentialId: 'f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4',
    reg: {
      challenge: '00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130',
      clientDataJSON:
        '7b2274797065223a22776562617574686e2e637265617465222c226368616c6c656e6765223a22414d4d507434557878475453746e63647134313759447742466938767049612d7077386f4f755657345441222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73652c22657874726144617461223a22636c69656e74446174614a534f4e206d617920626520657874656e6465642077697468206164646974696f6e616c206669656c647320696e20746865206675747572652c207375636820617320746869733a20426b5165446a646354427258426941774a544c453551227d',
      attestationObject:
        'a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220',
    },
    auth: {
      challenge: '39c0e7521417ba54d43e8dc95174f423dee9bf3cd804ff6d65c857c9abf4d408',
      authenticatorData: 'bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000',
      clientDataJSON:
        '7b2274797065223a22776562617574686e2e676574222c226368616c6c656e6765223a224f63446e55685158756c5455506f334a5558543049393770767a7a59425039745a63685879617630314167222c226f726967696e223a2268747470733a2f2f6578616d706c652e6f7267222c2263726f73734f726967696e223a66616c73657d',
      signature: '3046022100f50a4e2e4409249c4a853ba361282f09841df4dd4547a13a87780218deffcd380221008480ac0f0b93538174f575bf11a1dd5d78c6e486013f937295ea13653e331e87',
    },
  },
};

/** A registration response as a browser would hand it over, built from a spec vector. */
function specRegistration(v: typeof SPEC.none): { options: object; credential: RegistrationResponseJSON; publicKeyCose: Uint8Array } {
  const att = cborDecode(hexToBytes(v.reg.attestationObject)) as CborMap;
  const authData = att.get('authData') as Uint8Array;
  const publicKeyCose = authData.subarray(32 + 1 + 4 + 16 + 2 + 32);
  const key = decodeCoseKey(publicKeyCose);
  const id = hex(v.credentialId);
  return {
    options: { rp: { id: 'example.org', name: 'Example' }, challenge: hex(v.reg.challenge), pubKeyCredParams: [{ type: 'public-key', alg: -7 }] },
    publicKeyCose,
    credential: {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: hex(v.reg.clientDataJSON),
        attestationObject: hex(v.reg.attestationObject),
        authenticatorData: b64u(authData),
        transports: ['usb'],
        publicKey: b64u(spki(key)),
        publicKeyAlgorithm: -7,
      },
    },
  };
}

function specAssertion(v: typeof SPEC.none): { options: object; credential: AuthenticationResponseJSON } {
  const id = hex(v.credentialId);
  return {
    options: { rpId: 'example.org', challenge: hex(v.auth.challenge), allowCredentials: [{ type: 'public-key', id }] },
    credential: {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
      response: { clientDataJSON: hex(v.auth.clientDataJSON), authenticatorData: hex(v.auth.authenticatorData), signature: hex(v.auth.signature) },
    },
  };
}

describe('Spec: §16 test vectors, ES256 with self attestation', () => {
  it('registration: client data, authenticator data, COSE key and a packed self attestation that verifies', async () => {
    const { options, credential } = specRegistration(SPEC.packedSelf);
    const r = await inspectCeremony({ kind: 'create', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, ...base });
    expect(r.result).toBe('credential');
    expect(r.rpId).toBe('example.org');
    expect(clientDataOf(r)).toMatchObject({ type: 'webauthn.create', challenge: hex(SPEC.packedSelf.reg.challenge), origin: 'https://example.org', crossOrigin: false });
    expect(clientDataOf(r).other.extraData).toMatch(/^clientDataJSON may be extended/);
    const ad = authDataOf(r);
    expect(ad.rpIdHash).toBe('bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b5');
    expect(ad.flags).toEqual({ byte: '0x5d', UP: true, UV: true, BE: true, BS: true, AT: true, ED: false });
    expect(ad.signCount).toBe(0);
    expect(ad.attestedCredentialData).toMatchObject({ aaguid: SPEC.packedSelf.aaguid, credentialId: hex(SPEC.packedSelf.credentialId) });
    expect(ad.attestedCredentialData!.credentialPublicKey).toEqual({
      kty: 2,
      ktyName: 'EC2',
      alg: -7,
      algName: 'ES256',
      crv: 1,
      crvName: 'P-256',
      x: hex('eb151c8176b225cc651559fecf07af450fd85802046656b34c18f6cf193843c5'),
      y: hex('927b8aa427a2be1b8834d233a2d34f61f13bfd44119c325d5896e183fee484f2'),
      otherLabels: [],
    });
    const att = attestationOf(r);
    expect(att).toMatchObject({ fmt: 'packed', attestationType: 'self', attStmt: { alg: -7, algName: 'ES256' } });
    expect(att.attStmt.sig!.hex).toMatch(/^30440220067a2075/);
    expect(failed(allChecks(r))).toEqual([]);
    expect(att.checks.map((c) => c.name)).toContain('sig verifies with the credential public key (§8.2 self attestation)');
  });

  it('authentication: flags, counter, and the signature verifies with the registered key', async () => {
    const { publicKeyCose } = specRegistration(SPEC.packedSelf);
    const { options, credential } = specAssertion(SPEC.packedSelf);
    const r = await inspectCeremony({ kind: 'get', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, publicKeyCose, ...base });
    expect(authDataOf(r).flags).toEqual({ byte: '0x09', UP: true, UV: false, BE: true, BS: false, AT: false, ED: false });
    expect(signatureOf(r)).toEqual({ b64u: hex(SPEC.packedSelf.auth.signature), hex: SPEC.packedSelf.auth.signature, verified: true });
    expect(failed(allChecks(r))).toEqual([]);
  });

  it('the assertion does not verify with another credential’s key', async () => {
    const { publicKeyCose } = specRegistration(SPEC.none);
    const { options, credential } = specAssertion(SPEC.packedSelf);
    const r = await inspectCeremony({ kind: 'get', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, publicKeyCose: b64u(publicKeyCose), ...base });
    expect(signatureOf(r).verified).toBe(false);
  });
});

describe('Spec: §16 test vectors, ES256 with no attestation', () => {
  it('registration: fmt none with an empty attStmt; every check passes', async () => {
    const { options, credential } = specRegistration(SPEC.none);
    const r = await inspectCeremony({ kind: 'create', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, ...base });
    expect(attestationOf(r)).toMatchObject({ fmt: 'none', attestationType: 'none', attStmt: { other: {} } });
    expect(authDataOf(r).attestedCredentialData!.aaguid).toBe('8446ccb9-ab1d-b374-750b-2367ff6f3a1f');
    expect(failed(allChecks(r))).toEqual([]);
  });

  it('authentication verifies', async () => {
    const { publicKeyCose } = specRegistration(SPEC.none);
    const { options, credential } = specAssertion(SPEC.none);
    const r = await inspectCeremony({ kind: 'get', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, publicKeyCose, ...base });
    expect(signatureOf(r).verified).toBe(true);
    expect(authDataOf(r).flags).toMatchObject({ UP: true, BE: true, BS: true });
  });

  it('the relying party’s checks fail where they should: wrong origin, wrong challenge, wrong RP ID, wrong kind', async () => {
    const { options, credential } = specRegistration(SPEC.none);
    const r = await inspectCeremony({ kind: 'create', origin: 'https://evil.example', options: { ...options, challenge: 'AAAA' }, rpId: 'example.com', answer: { credential }, ...base });
    expect(failed(allChecks(r))).toEqual(['challenge is the options’ challenge', 'origin is the caller’s', 'rpIdHash is SHA-256("example.com")']);
    const origin = clientDataOf(r).checks.find((c) => c.name === 'origin is the caller’s')!;
    expect(origin).toEqual({ name: 'origin is the caller’s', ok: false, expected: 'https://evil.example', got: 'https://example.org' });
    const asGet = await inspectCeremony({ kind: 'get', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, ...base });
    expect(failed(allChecks(asGet))).toEqual(expect.arrayContaining(['type', 'no AT in an assertion']));
  });
});

describe('Keyport’s own ceremonies, inspected', () => {
  async function registration(profile = KEYPORT_PROFILE, algs = [-7]) {
    const h = harness(profile);
    const options = (await generateRegistrationOptions({
      rpName: 'Example',
      rpID: RP_ID,
      userName: 'alice',
      userID: new TextEncoder().encode('alice'),
      supportedAlgorithmIDs: algs,
      attestationType: 'direct',
      authenticatorSelection: { userVerification: 'required', residentKey: 'required' },
      extensions: { credProps: true },
    })) as CreationOptionsJSON;
    const out = await createCredential(options, { caller: sameOrigin, framePermitted: true, signal: new AbortController().signal, backedUp: true }, h.deps);
    if (out.kind !== 'credential') throw new Error('fell back');
    return { h, options, credential: out.credential };
  }

  for (const alg of [-7, -8, -257]) {
    it(`a packed ${alg} registration: every check passes, the self attestation verifies`, async () => {
      const { options, credential } = await registration({ ...KEYPORT_PROFILE, attestation: 'packed' }, [alg]);
      const r = await inspectCeremony({ kind: 'create', origin: ORIGIN, rpId: RP_ID, options, answer: { credential }, ...base });
      expect(attestationOf(r)).toMatchObject({ fmt: 'packed', attestationType: 'self', attStmt: { alg } });
      expect(failed(allChecks(r))).toEqual([]);
      expect(allChecks(r).length).toBeGreaterThan(10);
      expect(authDataOf(r).attestedCredentialData!.aaguid).toBe('6b702d4b-6579-706f-7274-410d9e135c27');
      expect(r.extensions).toEqual({ inputs: { credProps: true }, outputs: { credProps: { rk: true } } });
      expect(r.rpId).toBe(RP_ID);
    });
  }

  it('an assertion: signature verified with the stored public key; counter and flags decoded', async () => {
    const { h, credential } = await registration({ ...KEYPORT_PROFILE, counter: { mode: 'fixed', value: 9 } });
    const options = (await generateAuthenticationOptions({ rpID: RP_ID, userVerification: 'required' })) as RequestOptionsJSON;
    const out = await getAssertion(options, { caller: sameOrigin, framePermitted: true, signal: new AbortController().signal }, h.deps);
    if (out.kind !== 'credential') throw new Error('fell back');
    const publicKeyCose = h.store.get(credential.id).publicKeyCose;
    const r = await inspectCeremony({ kind: 'get', origin: ORIGIN, rpId: RP_ID, options, answer: { credential: out.credential }, publicKeyCose, ...base });
    expect(signatureOf(r).verified).toBe(true);
    expect(authDataOf(r)).toMatchObject({ signCount: 9, flags: { UP: true, UV: true, BE: true, BS: true, AT: false } });
    expect(credentialOf(r).userHandle).toBe(out.credential.response.userHandle);
    expect(failed(allChecks(r))).toEqual([]);
    expect(allChecks(r).map((c) => c.name)).toContain('userHandle present (discoverable credential)');
  });

  it('up-only answering a UV-required request shows as a failed UV check', async () => {
    const { options, credential } = await registration({ ...KEYPORT_PROFILE, userVerification: 'up-only' });
    const r = await inspectCeremony({ kind: 'create', origin: ORIGIN, rpId: RP_ID, options, answer: { credential }, ...base });
    expect(failed(allChecks(r))).toEqual(['UV, as userVerification is "required"']);
  });

  it('BS without BE shows as a failed §6.1.3 check', async () => {
    const { options, credential } = await registration({ ...KEYPORT_PROFILE, backupEligible: false, backupState: true });
    const r = await inspectCeremony({ kind: 'create', origin: ORIGIN, rpId: RP_ID, options, answer: { credential }, ...base });
    expect(failed(allChecks(r))).toEqual(['BS only with BE (§6.1.3)']);
  });

  it('without the stored key the signature is shown, not judged', async () => {
    const { h } = await registration();
    const options = (await generateAuthenticationOptions({ rpID: RP_ID })) as RequestOptionsJSON;
    const out = await getAssertion(options, { caller: sameOrigin, framePermitted: true, signal: new AbortController().signal }, h.deps);
    if (out.kind !== 'credential') throw new Error('fell back');
    const r = await inspectCeremony({ kind: 'get', origin: ORIGIN, rpId: RP_ID, options, answer: { credential: out.credential }, ...base });
    expect(signatureOf(r)).toMatchObject({ verified: null, problem: expect.stringMatching(/no stored public key/) });
  });

  it('Never a private key: the record holds none of the credential’s private key bytes', async () => {
    for (const alg of [-7, -8, -257]) {
      const { h, options, credential } = await registration({ ...KEYPORT_PROFILE, attestation: 'packed' }, [alg]);
      const r = await inspectCeremony({ kind: 'create', origin: ORIGIN, rpId: RP_ID, options, answer: { credential }, ...base });
      const json = JSON.stringify(r);
      const pkcs8 = h.store.get(credential.id).pkcs8;
      const jwk = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
      // The private parts (d; and p, q for RSA): whole in base64url, and their first and last 16 bytes in either form.
      // (The PKCS#8 as a whole is not a secret-only form: WebCrypto's ECDSA export ends with the public key.)
      const secrets = [jwk.d, jwk.p, jwk.q].filter((x): x is string => !!x).map((x) => b64d(x));
      const forms = secrets.flatMap((b) => [b64u(b), ...[b.subarray(0, 16), b.subarray(b.length - 16)].flatMap((p) => [b64u(p).slice(0, 20), Buffer.from(p).toString('hex')])]);
      expect(forms.length).toBeGreaterThan(4);
      for (const form of forms) expect(json).not.toContain(form);
    }
  });

  it('a COSE key carrying private parameters is reported and its values are not shown', async () => {
    const { options, credential } = specRegistration(SPEC.none);
    const att = cborDecode(b64d(credential.response.attestationObject)) as CborMap;
    const authData = att.get('authData') as Uint8Array;
    const keyStart = 32 + 1 + 4 + 16 + 2 + 32;
    const key = cborDecode(authData.subarray(keyStart)) as CborMap;
    const d = new Uint8Array(32).fill(0xd7);
    key.set(-4, d);
    const leaky = new Uint8Array([...authData.subarray(0, keyStart), ...cborEncode(key)]);
    const response = { ...credential.response, authenticatorData: b64u(leaky), attestationObject: b64u(cborEncode(new Map([...att, ['authData', leaky]]))) };
    const r = await inspectCeremony({ kind: 'create', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential: { ...credential, response } }, ...base });
    const view = authDataOf(r).attestedCredentialData!.credentialPublicKey;
    expect(view).toMatchObject({ otherLabels: [-4], problem: 'the key carries private key parameters (labels -4); they are not shown' });
    const json = JSON.stringify(r);
    expect(json).not.toContain(b64u(d));
    expect(json).not.toContain(Buffer.from(d).toString('hex'));
  });
});

describe('answers without a credential', () => {
  it('an error: its name and message', async () => {
    const r = await inspectCeremony({ kind: 'get', origin: ORIGIN, rpId: 'login.example.com', options: { challenge: 'AAAA' }, answer: { error: { name: 'NotAllowedError', message: 'cancelled' } }, ...base });
    expect(r).toEqual({
      kind: 'get',
      origin: ORIGIN,
      rpId: 'login.example.com',
      startedAt: base.startedAt,
      startedAtISO: '2023-11-14T22:13:20.000Z',
      durationMs: 42,
      options: { challenge: 'AAAA' },
      result: 'error',
      error: { name: 'NotAllowedError', message: 'cancelled' },
      extensions: { inputs: null, outputs: null },
    });
  });

  it('a fallback to the browser’s own authenticator', async () => {
    const r = await inspectCeremony({ kind: 'create', origin: ORIGIN, rpId: RP_ID, options: { rp: { id: RP_ID, name: 'x' } }, answer: { fallback: true }, ...base });
    expect(r).toMatchObject({ result: 'fallback', rpId: RP_ID });
    expect(r.credential).toBeUndefined();
  });
});

describe('malformed input: a problem per part, never a throw', () => {
  const valid = () => specRegistration(SPEC.none);
  const inspect = (credential: unknown, over: Partial<CeremonyInput> = {}) =>
    inspectCeremony({ kind: 'create', origin: 'https://example.org', rpId: 'example.org', options: valid().options, answer: { credential }, ...base, ...over });
  const withResponse = (over: object) => ({ ...valid().credential, response: { ...valid().credential.response, ...over } });

  it('a credential that is not an object', async () => {
    expect((await inspect('hello')).credential).toEqual({ problem: 'the credential is not an object' });
    expect((await inspect(null)).credential).toEqual({ problem: 'the credential is not an object' });
  });

  it('a response missing', async () => {
    const r = await inspect({ id: 'x', rawId: 'x', type: 'public-key' });
    expect(credentialOf(r).clientData).toEqual({ problem: 'response.clientDataJSON is missing' });
    expect(credentialOf(r).authenticatorData).toEqual({ problem: 'response.authenticatorData is missing' });
    expect(credentialOf(r).attestationObject).toEqual({ problem: 'response.attestationObject is missing' });
    expect(failed(credentialOf(r).checks)).toEqual(['response is an object']);
  });

  it('clientDataJSON not base64url, not UTF-8, not JSON, not an object', async () => {
    expect(credentialOf(await inspect(withResponse({ clientDataJSON: 'a+b=' }))).clientData).toEqual({ problem: expect.stringMatching(/^response.clientDataJSON is not base64url/) });
    expect(credentialOf(await inspect(withResponse({ clientDataJSON: b64u(Uint8Array.of(0xff, 0xfe)) }))).clientData).toHaveProperty('problem');
    expect(credentialOf(await inspect(withResponse({ clientDataJSON: b64u(new TextEncoder().encode('{"type":')) }))).clientData).toHaveProperty('problem');
    expect(credentialOf(await inspect(withResponse({ clientDataJSON: b64u(new TextEncoder().encode('[1]')) }))).clientData).toEqual({ problem: 'clientDataJSON is not a JSON object' });
  });

  it('authenticator data too short, or with leftover bytes (the header is still shown)', async () => {
    expect(credentialOf(await inspect(withResponse({ authenticatorData: b64u(new Uint8Array(36)) }))).authenticatorData).toEqual({
      problem: 'authenticator data has 36 bytes, at least 37 expected',
    });
    const long = new Uint8Array([...b64d(valid().credential.response.authenticatorData), 0, 0]);
    const ad = credentialOf(await inspect(withResponse({ authenticatorData: b64u(long) }))).authenticatorData as AuthDataView;
    expect(ad.problem).toBe('authData: 2 leftover bytes');
    expect(ad.flags.AT).toBe(true);
    expect(ad.rpIdHash).toMatch(/^bfabc374/);
  });

  it('an attestation object that is not CBOR, not a map, or without a map attStmt', async () => {
    expect(credentialOf(await inspect(withResponse({ attestationObject: b64u(Uint8Array.of(0xff)) }))).attestationObject).toHaveProperty('problem');
    expect(credentialOf(await inspect(withResponse({ attestationObject: b64u(cborEncode([1, 2])) }))).attestationObject).toEqual({ problem: 'the attestation object is not a CBOR map' });
    const noStmt = cborEncode(new Map<string, number | string>([['fmt', 'none'], ['attStmt', 1]]));
    expect(credentialOf(await inspect(withResponse({ attestationObject: b64u(noStmt) }))).attestationObject).toEqual({ problem: 'attStmt is not a CBOR map' });
  });

  it('a packed statement whose sig is garbage verifies false, without a throw', async () => {
    const att = cborDecode(hexToBytes(SPEC.packedSelf.reg.attestationObject)) as CborMap;
    (att.get('attStmt') as CborMap).set('sig', Uint8Array.of(1, 2, 3));
    const { options, credential } = specRegistration(SPEC.packedSelf);
    const r = await inspectCeremony({ kind: 'create', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential: { ...credential, response: { ...credential.response, attestationObject: b64u(cborEncode(att)) } } }, ...base });
    expect(failed(attestationOf(r).checks)).toEqual(['sig verifies with the credential public key (§8.2 self attestation)']);
  });

  it('a malformed assertion signature or stored key is a problem, not a throw', async () => {
    const { publicKeyCose } = specRegistration(SPEC.none);
    const { options, credential } = specAssertion(SPEC.none);
    const bad = { ...credential, response: { ...credential.response, signature: b64u(Uint8Array.of(0x30, 0x01)) } };
    const r1 = await inspectCeremony({ kind: 'get', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential: bad }, publicKeyCose, ...base });
    expect(signatureOf(r1).verified).toBe(false);
    const r2 = await inspectCeremony({ kind: 'get', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, publicKeyCose: 'not a key!', ...base });
    expect(signatureOf(r2)).toMatchObject({ verified: null, problem: expect.stringMatching(/^the stored public key is not usable/) });
  });

  it('options that are not JSON-friendly are made so; a bad time is null', async () => {
    const options: Record<string, unknown> = { challenge: 1n, timeout: Infinity, bytes: Uint8Array.of(1, 2), fn: () => 1, nested: new Map([[1, 'a']]) };
    options.self = options;
    const r = await inspectCeremony({ kind: 'get', origin: '::', rpId: undefined as unknown as string, options, answer: { error: { name: 'x', message: 'y' } }, startedAt: NaN, durationMs: 1 });
    expect(r.options).toEqual({ challenge: '1', timeout: 'Infinity', bytes: 'AQI', nested: { 1: 'a' }, self: '[cycle]' });
    expect(r.startedAtISO).toBeNull();
    expect(r.rpId).toBeNull();
  });

  it('fuzz: arbitrary answers and options never throw, and the record survives JSON', async () => {
    const b64 = fc.uint8Array({ maxLength: 80 }).map(b64u);
    const response = fc.record({ clientDataJSON: fc.oneof(b64, fc.anything()), authenticatorData: fc.oneof(b64, fc.anything()), attestationObject: fc.oneof(b64, fc.anything()), signature: fc.oneof(b64, fc.anything()) }, { requiredKeys: [] });
    const credential = fc.oneof(fc.anything(), fc.record({ id: fc.anything(), rawId: fc.anything(), type: fc.anything(), response }, { requiredKeys: [] }));
    const answer = fc.oneof(fc.record({ credential }), fc.record({ error: fc.anything() }), fc.constant({ fallback: true }), fc.anything());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('create', 'get'), fc.anything(), answer, fc.option(b64, { nil: undefined }), fc.double(), async (kind, options, ans, publicKeyCose, time) => {
        const r = await inspectCeremony({ kind: kind, origin: ORIGIN, rpId: RP_ID, options, answer: ans as CeremonyInput['answer'], startedAt: time, durationMs: time, ...(publicKeyCose ? { publicKeyCose } : {}) });
        expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('fuzz: the spec’s registration and assertion, bytes flipped or cut, never throw', async () => {
    const reg = specRegistration(SPEC.packedSelf);
    const asn = specAssertion(SPEC.packedSelf);
    const mutate = (b64: string, at: number, xor: number, cut: number) => {
      const b = b64d(b64);
      if (b.length > 0) b[at % b.length] = b[at % b.length]! ^ xor;
      return b64u(b.subarray(0, Math.max(0, b.length - cut)));
    };
    const field = fc.constantFrom('clientDataJSON', 'authenticatorData', 'attestationObject', 'signature');
    await fc.assert(
      fc.asyncProperty(fc.boolean(), field, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat({ max: 40 }), async (create, name, at, xor, cut) => {
        const { options, credential } = create ? reg : asn;
        const response = credential.response as Record<string, string>;
        if (!(name in response)) return;
        const mutated = { ...credential, response: { ...response, [name]: mutate(response[name]!, at, xor, cut) } };
        const r = await inspectCeremony({ kind: create ? 'create' : 'get', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential: mutated }, publicKeyCose: reg.publicKeyCose, ...base });
        expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      }),
      { numRuns: 300 },
    );
  });

  it('a real record survives JSON unchanged', async () => {
    const { options, credential } = specRegistration(SPEC.packedSelf);
    const r = await inspectCeremony({ kind: 'create', origin: 'https://example.org', rpId: 'example.org', options, answer: { credential }, ...base });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});

describe('toJSONValue', () => {
  it('a member named __proto__ stays a member; -0 is 0', () => {
    const v = toJSONValue(JSON.parse('{"__proto__":{"a":1},"n":-0}'));
    expect(JSON.stringify(v)).toBe('{"__proto__":{"a":1},"n":0}');
  });

  it('bytes as base64url, maps as objects, undefined members left out', () => {
    expect(toJSONValue({ a: Uint8Array.of(0xfb, 0xff), b: undefined, c: [undefined, 1], m: new Map<unknown, unknown>([['k', new Map([[-1, 2]])]]) })).toEqual({
      a: '-_8',
      c: [null, 1],
      m: { k: { '-1': 2 } },
    });
  });
});

// Developer mode's authenticator profile (issue 6) through the real ceremonies (client/create.ts and client/get.ts), each answer
// checked by @simplewebauthn/server as a relying party would, and the packed self attestation also by node:crypto.
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { decodeAttestationObject } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import { ORIGIN, RP_ID, harness, rejection, sameOrigin } from '../../../tests/vectors/ceremonyHarness.ts';
import { decode as b64d, encode as b64u } from '../base64url.ts';
import { FLAG, parseAuthData } from '../authData.ts';
import {
  type AuthenticatorProfile,
  KEYPORT_PROFILE,
  authFlags,
  checkCanVerify,
  signCountFor,
  userVerified,
} from './profile.ts';
import { type CborMap, decode as cborDecode, encode as cborEncode } from '../cbor.ts';
import { type Alg, decodeCoseKey } from '../cose.ts';
import { attestationFormat, chooseAlgorithm, createCredential } from '../client/create.ts';
import { WebAuthnError } from '../errors.ts';
import { getAssertion } from '../client/get.ts';
import type { AuthenticationResponseJSON, CreationOptionsJSON, RegistrationResponseJSON, RequestOptionsJSON } from '../types.ts';

type H = ReturnType<typeof harness>;
type RegResponse = Parameters<typeof verifyRegistrationResponse>[0]['response'];
type AuthResponse = Parameters<typeof verifyAuthenticationResponse>[0]['response'];

const profile = (over: Partial<AuthenticatorProfile> = {}): AuthenticatorProfile => ({ ...KEYPORT_PROFILE, ...over });
const signal = () => new AbortController().signal;

async function rpOptions(over: object = {}): Promise<CreationOptionsJSON> {
  return (await generateRegistrationOptions({
    rpName: 'Example',
    rpID: RP_ID,
    userName: 'alice@example.com',
    userID: new TextEncoder().encode('user-0001'),
    supportedAlgorithmIDs: [-7],
    ...over,
  })) as CreationOptionsJSON;
}

async function register(h: H, options: CreationOptionsJSON, backedUp = true): Promise<RegistrationResponseJSON> {
  const out = await createCredential(options, { caller: sameOrigin, framePermitted: true, signal: signal(), backedUp }, h.deps);
  if (out.kind !== 'credential') throw new Error('registration fell back');
  return out.credential;
}

const rpVerifyRegistration = (options: CreationOptionsJSON, credential: RegistrationResponseJSON, requireUserVerification = false) =>
  verifyRegistrationResponse({
    response: credential as unknown as RegResponse,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification,
  });

/** Registers with Keyport's own answers, so the credential exists before a profile changes the assertions. */
async function enrol(h: H, alg: Alg = -7) {
  const options = await rpOptions({ supportedAlgorithmIDs: [alg] });
  const saved = h.deps.profile;
  delete h.deps.profile;
  const credential = await register(h, options);
  if (saved) h.deps.profile = saved;
  const v = await rpVerifyRegistration(options, credential);
  return { id: credential.id, publicKey: v.registrationInfo!.credential.publicKey };
}

async function assert(h: H, options: RequestOptionsJSON): Promise<AuthenticationResponseJSON> {
  const out = await getAssertion(options, { caller: sameOrigin, framePermitted: true, signal: signal() }, h.deps);
  if (out.kind !== 'credential') throw new Error('assertion fell back');
  return out.credential;
}

const requestOptions = async (over: object = {}) => (await generateAuthenticationOptions({ rpID: RP_ID, ...over })) as RequestOptionsJSON;

const rpVerifyAssertion = (
  options: RequestOptionsJSON,
  response: AuthenticationResponseJSON,
  cred: { id: string; publicKey: Uint8Array },
  { counter = 0, requireUserVerification = false } = {},
) =>
  verifyAuthenticationResponse({
    response: response as unknown as AuthResponse,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential: { id: cred.id, publicKey: cred.publicKey as Uint8Array<ArrayBuffer>, counter },
    requireUserVerification,
  });

const authDataOf = (r: { response: { authenticatorData: string } }) => parseAuthData(b64d(r.response.authenticatorData));

async function expectError(p: Promise<unknown>, name: string): Promise<Error> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(WebAuthnError);
  expect(e.name).toBe(name);
  return e;
}

describe('no profile: Keyport’s own answers (docs/design.md "Authenticator semantics")', () => {
  it('an absent profile and KEYPORT_PROFILE answer alike: none, counter 0, BE = 1, BS per the passkey, UV per the person', async () => {
    for (const h of [harness(), harness(KEYPORT_PROFILE)]) {
      h.consent.onCreate = () => ({ action: 'approve', uv: false });
      const options = await rpOptions({ attestationType: 'direct' });
      const credential = await register(h, options, false);
      expect(decodeAttestationObject(b64d(credential.response.attestationObject) as Uint8Array<ArrayBuffer>).get('fmt')).toBe('none');
      expect(authDataOf(credential)).toMatchObject({ flags: FLAG.UP | FLAG.BE | FLAG.AT, signCount: 0 });
      expect(h.store.records.get(credential.id)!.signCount).toBeUndefined();
    }
  });
});

describe('§8.2 packed self attestation', () => {
  for (const [name, alg] of [['ES256', -7], ['EdDSA', -8], ['RS256', -257]] as const) {
    it(`Spec: ${name}: attStmt {alg, sig} without x5c; verified by @simplewebauthn/server as self attestation`, async () => {
      const h = harness(profile({ attestation: 'packed' }));
      const options = await rpOptions({ attestationType: 'direct', supportedAlgorithmIDs: [alg] });
      const credential = await register(h, options);
      const att = cborDecode(b64d(credential.response.attestationObject)) as CborMap;
      expect(att.get('fmt')).toBe('packed');
      const attStmt = att.get('attStmt') as CborMap;
      expect([...attStmt.keys()]).toEqual(['alg', 'sig']);
      expect(attStmt.get('alg')).toBe(alg);
      const v = await rpVerifyRegistration(options, credential);
      expect(v.verified).toBe(true);
      expect(v.registrationInfo!.fmt).toBe('packed');
      expect(v.registrationInfo!.attestationObject).toEqual(b64d(credential.response.attestationObject));
    });
  }

  it('Spec: sig is over authenticatorData || SHA-256(clientDataJSON), with the credential key (checked in node:crypto)', async () => {
    const h = harness(profile({ attestation: 'packed' }));
    const credential = await register(h, await rpOptions({ attestationType: 'direct' }));
    const att = cborDecode(b64d(credential.response.attestationObject)) as Map<string, unknown>;
    const authData = att.get('authData') as Uint8Array;
    const sig = (att.get('attStmt') as Map<string, unknown>).get('sig') as Uint8Array;
    const signed = Buffer.concat([authData, createHash('sha256').update(b64d(credential.response.clientDataJSON)).digest()]);
    const key = createPublicKey({ key: Buffer.from(b64d(credential.response.publicKey)), format: 'der', type: 'spki' });
    expect(verify('sha256', signed, key, sig)).toBe(true);
    expect(authData).toEqual(b64d(credential.response.authenticatorData));
  });

  it('a tampered sig does not verify', async () => {
    const h = harness(profile({ attestation: 'packed' }));
    const options = await rpOptions({ attestationType: 'direct' });
    const credential = await register(h, options);
    const att = cborDecode(b64d(credential.response.attestationObject)) as CborMap;
    const sig = (att.get('attStmt') as CborMap).get('sig') as Uint8Array;
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 1;
    const tampered = { ...credential, response: { ...credential.response, attestationObject: b64u(cborEncode(att)) } };
    expect((await rpVerifyRegistration(options, tampered)).verified).toBe(false);
  });

  // §5.1.3 constructCredentialAlg: "none" conveyance keeps self attestation only with an all-zero AAGUID; Keyport's is not.
  it.each([[undefined], ['none'], ['something-new']])('Spec: conveyance %s → the client replaces it by "none"', async (conveyance) => {
    const h = harness(profile({ attestation: 'packed' }));
    const options = { ...(await rpOptions()), attestation: conveyance };
    const credential = await register(h, options);
    const att = decodeAttestationObject(b64d(credential.response.attestationObject) as Uint8Array<ArrayBuffer>);
    expect(att.get('fmt')).toBe('none');
    expect(att.get('attStmt').size).toBe(0);
    expect((await rpVerifyRegistration(options, credential)).verified).toBe(true);
  });

  it.each(['direct', 'indirect', 'enterprise'])('Spec: conveyance "%s" → packed', async (conveyance) => {
    const h = harness(profile({ attestation: 'packed' }));
    const options = { ...(await rpOptions()), attestation: conveyance };
    const credential = await register(h, options);
    expect(decodeAttestationObject(b64d(credential.response.attestationObject) as Uint8Array<ArrayBuffer>).get('fmt')).toBe('packed');
    expect((await rpVerifyRegistration(options, credential)).verified).toBe(true);
  });

  it('Spec: §6.3.2 the first of the RP’s attestationFormats that the authenticator supports', () => {
    const packed = profile({ attestation: 'packed' });
    expect(attestationFormat(packed, { attestation: 'direct', attestationFormats: ['none', 'packed'] })).toBe('none');
    expect(attestationFormat(packed, { attestation: 'direct', attestationFormats: ['tpm', 'packed', 'none'] })).toBe('packed');
    expect(attestationFormat(packed, { attestation: 'direct', attestationFormats: ['tpm', 'apple'] })).toBe('packed');
    expect(attestationFormat(packed, { attestation: 'direct', attestationFormats: [] })).toBe('packed');
    expect(attestationFormat(KEYPORT_PROFILE, { attestation: 'direct', attestationFormats: ['packed'] })).toBe('none');
  });
});

describe('algorithm preference', () => {
  it('the authenticator’s order wins over the RP’s: the first of its algorithms that the RP lists', async () => {
    const h = harness(profile({ algorithms: [-257, -8, -7] }));
    const options = await rpOptions({ supportedAlgorithmIDs: [-8, -7, -257] });
    const credential = await register(h, options);
    expect(credential.response.publicKeyAlgorithm).toBe(-257);
    expect((await rpVerifyRegistration(options, credential)).verified).toBe(true);
    expect(chooseAlgorithm([{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }], [-8, -7])).toBe(-8);
  });

  it('an algorithm the RP does not list is skipped', () => {
    expect(chooseAlgorithm([{ type: 'public-key', alg: -7 }], [-8, -7])).toBe(-7);
    expect(chooseAlgorithm([], [-8, -257])).toBe(-257); // an empty list means ES256 and RS256 (§5.1.3 step 10)
  });

  it('Spec: none of its algorithms listed → NotAllowedError, before anyone is asked', async () => {
    const h = harness(profile({ algorithms: [-8] }));
    await expectError(createCredential(await rpOptions({ supportedAlgorithmIDs: [-7, -257] }), { caller: sameOrigin, framePermitted: true, signal: signal(), backedUp: true }, h.deps), 'NotAllowedError');
    expect(h.consent.calls).toBe(0);
  });
});

describe('user verification modes', () => {
  const withUv = (uv: string) => ({ authenticatorSelection: { residentKey: 'required', userVerification: uv } });

  it('"person": UV only when the person verified; required without it → NotAllowedError', async () => {
    const h = harness(profile({ userVerification: 'person' }));
    h.consent.onCreate = () => ({ action: 'approve', uv: false });
    expect(authDataOf(await register(h, await rpOptions(withUv('preferred')))).flags & FLAG.UV).toBe(0);
    await expectError(register(h, await rpOptions(withUv('required'))), 'NotAllowedError');
    h.consent.onCreate = () => ({ action: 'approve', uv: true });
    expect(authDataOf(await register(h, await rpOptions(withUv('required')))).flags & FLAG.UV).toBe(FLAG.UV);
  });

  it('"on": UV = 1 even when the person did not verify, and the RP requiring UV accepts it', async () => {
    const h = harness(profile({ userVerification: 'on' }));
    h.consent.onCreate = () => ({ action: 'approve', uv: false });
    const options = await rpOptions(withUv('required'));
    const credential = await register(h, options);
    expect(authDataOf(credential).flags).toBe(FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS | FLAG.AT);
    expect((await rpVerifyRegistration(options, credential, true)).registrationInfo!.userVerified).toBe(true);

    const cred = await enrol(h);
    h.consent.onPick = (info) => ({ action: 'approve', uv: false, credentialId: info.accounts[0]!.credentialId });
    const get = await requestOptions({ allowCredentials: [{ id: cred.id }], userVerification: 'required' });
    const r = await assert(h, get);
    expect((await rpVerifyAssertion(get, r, cred, { requireUserVerification: true })).authenticationInfo.userVerified).toBe(true);
  });

  it('"off": UV = 0 even after the person verified', async () => {
    const h = harness(profile({ userVerification: 'off' }));
    const credential = await register(h, await rpOptions(withUv('preferred')));
    expect(authDataOf(credential).flags & FLAG.UV).toBe(0);
    const cred = await enrol(h);
    const r = await assert(h, await requestOptions({ allowCredentials: [{ id: cred.id }], userVerification: 'preferred' }));
    expect(authDataOf(r).flags).toBe(FLAG.UP | FLAG.BE | FLAG.BS);
  });

  it('Spec: "off" with userVerification "required" → NotAllowedError before anyone is asked, in create and in get', async () => {
    const h = harness(profile({ userVerification: 'off' }));
    await expectError(register(h, await rpOptions(withUv('required'))), 'NotAllowedError');
    expect(h.store.records.size).toBe(0);
    const cred = await enrol(h);
    await expectError(assert(h, await requestOptions({ allowCredentials: [{ id: cred.id }], userVerification: 'required' })), 'NotAllowedError');
    expect(h.consent.calls).toBe(1); // only the enrolment without the profile
  });

  it('Deviation: "up-only" answers a UV-required registration with UP = 1, UV = 0; the RP requiring UV rejects it', async () => {
    const h = harness(profile({ userVerification: 'up-only' }));
    const options = await rpOptions(withUv('required'));
    const credential = await register(h, options);
    expect(authDataOf(credential).flags & (FLAG.UP | FLAG.UV)).toBe(FLAG.UP);
    await expect(rpVerifyRegistration(options, credential, true)).rejects.toThrow(/user could not be verified/i);
    expect((await rpVerifyRegistration(options, credential, false)).verified).toBe(true);
  });

  it('Deviation: "up-only" answers a UV-required assertion with UP = 1, UV = 0; the RP requiring UV rejects it', async () => {
    const h = harness(profile({ userVerification: 'up-only' }));
    const cred = await enrol(h);
    const options = await requestOptions({ allowCredentials: [{ id: cred.id }], userVerification: 'required' });
    const r = await assert(h, options);
    expect(authDataOf(r).flags & (FLAG.UP | FLAG.UV)).toBe(FLAG.UP);
    await expect(rpVerifyAssertion(options, r, cred, { requireUserVerification: true })).rejects.toThrow(/user could not be verified/i);
    expect((await rpVerifyAssertion(options, r, cred)).verified).toBe(true);
  });

  it('the pure rules', () => {
    expect(() => checkCanVerify(profile({ userVerification: 'off' }), 'required')).toThrow(WebAuthnError);
    expect(() => checkCanVerify(profile({ userVerification: 'off' }), 'preferred')).not.toThrow();
    expect(() => checkCanVerify(profile({ userVerification: 'up-only' }), 'required')).not.toThrow();
    expect(userVerified(profile({ userVerification: 'person' }), 'discouraged', true)).toBe(true);
    expect(() => userVerified(profile({ userVerification: 'person' }), 'required', false)).toThrow(/required/);
    expect(userVerified(profile({ userVerification: 'up-only' }), 'required', true)).toBe(false);
  });
});

describe('§6.1 BE and BS overrides', () => {
  it('BE = 0: a single-device credential to the RP; BS follows BE unless set', async () => {
    const h = harness(profile({ backupEligible: false }));
    const options = await rpOptions();
    const credential = await register(h, options, true);
    expect(authDataOf(credential).flags & (FLAG.BE | FLAG.BS)).toBe(0);
    const v = await rpVerifyRegistration(options, credential);
    expect(v.registrationInfo).toMatchObject({ credentialDeviceType: 'singleDevice', credentialBackedUp: false });
    expect(h.store.records.get(credential.id)!.backedUp).toBe(true); // the vault's truth is kept
  });

  it('BS forced to 0 or 1 whatever the passkey’s state, in registrations and assertions', async () => {
    const h = harness(profile({ backupState: false }));
    expect(authDataOf(await register(h, await rpOptions(), true)).flags & FLAG.BS).toBe(0);
    h.deps.profile = profile({ backupState: true });
    expect(authDataOf(await register(h, await rpOptions(), false)).flags & FLAG.BS).toBe(FLAG.BS);
    const cred = await enrol(h);
    h.store.get(cred.id).backedUp = false;
    const options = await requestOptions({ allowCredentials: [{ id: cred.id }] });
    const r = await assert(h, options);
    expect(authDataOf(r).flags & (FLAG.BE | FLAG.BS)).toBe(FLAG.BE | FLAG.BS);
    expect((await rpVerifyAssertion(options, r, cred)).authenticationInfo.credentialBackedUp).toBe(true);
  });

  // §6.1.3: BE = 0 with BS = 1 "is not allowed"; answered on purpose so that an RP's check can be tested.
  it('Deviation: BE = 0 with BS = 1 is answered as asked, and @simplewebauthn/server rejects it', async () => {
    const h = harness(profile({ backupEligible: false, backupState: true }));
    const options = await rpOptions();
    const credential = await register(h, options);
    expect(authDataOf(credential).flags & (FLAG.BE | FLAG.BS)).toBe(FLAG.BS);
    await expect(rpVerifyRegistration(options, credential)).rejects.toThrow(/Single-device credential indicated that it was backed up/);
  });

  it('authFlags', () => {
    expect(authFlags(KEYPORT_PROFILE, true, true)).toBe(FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS);
    expect(authFlags(profile({ backupEligible: false }), false, true)).toBe(FLAG.UP);
    expect(authFlags(profile({ backupEligible: false, backupState: true }), false, false)).toBe(FLAG.UP | FLAG.BS);
  });
});

describe('§6.1.1 signature counter', () => {
  it('"increment": registration answers 0, each assertion one more, kept in the store; the RP accepts each', async () => {
    const h = harness(profile({ counter: { mode: 'increment' } }));
    const options = await rpOptions();
    const credential = await register(h, options);
    expect(authDataOf(credential).signCount).toBe(0);
    expect(h.store.get(credential.id).signCount).toBe(0);
    const cred = { id: credential.id, publicKey: (await rpVerifyRegistration(options, credential)).registrationInfo!.credential.publicKey };
    let counter = 0;
    for (const expected of [1, 2, 3]) {
      const get = await requestOptions({ allowCredentials: [{ id: cred.id }] });
      const r = await assert(h, get);
      expect(authDataOf(r).signCount).toBe(expected);
      expect(h.store.get(cred.id).signCount).toBe(expected);
      counter = (await rpVerifyAssertion(get, r, cred, { counter })).authenticationInfo.newCounter;
    }
    expect(counter).toBe(3);
  });

  it('"increment" continues from the stored counter of a passkey made without it', async () => {
    const h = harness(profile({ counter: { mode: 'increment' } }));
    const cred = await enrol(h);
    expect(h.store.get(cred.id).signCount).toBeUndefined();
    const r = await assert(h, await requestOptions({ allowCredentials: [{ id: cred.id }] }));
    expect(authDataOf(r).signCount).toBe(1);
    h.store.setSignCount(cred.id, 41);
    expect(authDataOf(await assert(h, await requestOptions())).signCount).toBe(42);
  });

  it('"fixed": the same value every time, nothing stored; the RP’s clone detection rejects the second assertion', async () => {
    const h = harness(profile({ counter: { mode: 'fixed', value: 7 } }));
    const options = await rpOptions();
    const credential = await register(h, options);
    expect(authDataOf(credential).signCount).toBe(7);
    const cred = { id: credential.id, publicKey: (await rpVerifyRegistration(options, credential)).registrationInfo!.credential.publicKey };
    const get = await requestOptions({ allowCredentials: [{ id: cred.id }] });
    const r = await assert(h, get);
    expect(authDataOf(r).signCount).toBe(7);
    expect(h.store.get(cred.id).signCount).toBeUndefined();
    await expect(rpVerifyAssertion(get, r, cred, { counter: 7 })).rejects.toThrow(/counter value 7 was lower than expected 7/);
  });

  it('"zero" leaves the stored counter alone', async () => {
    const h = harness(profile({ counter: { mode: 'zero' } }));
    const cred = await enrol(h);
    h.store.setSignCount(cred.id, 5);
    expect(authDataOf(await assert(h, await requestOptions())).signCount).toBe(0);
    expect(h.store.get(cred.id).signCount).toBe(5);
  });

  it('signCountFor: the 32-bit field wraps', () => {
    expect(signCountFor({ mode: 'increment' }, 0xffffffff, false)).toEqual({ signCount: 0, remember: true });
    expect(signCountFor({ mode: 'increment' }, 9, true)).toEqual({ signCount: 0, remember: true });
    expect(signCountFor({ mode: 'fixed', value: 0xffffffff }, 3, false)).toEqual({ signCount: 0xffffffff, remember: false });
  });

  it('a failed assertion does not move the counter', async () => {
    const h = harness(profile({ counter: { mode: 'increment' } }));
    const cred = await enrol(h);
    h.consent.onPick = () => new WebAuthnError('NotAllowedError', 'cancelled');
    await expectError(assert(h, await requestOptions()), 'NotAllowedError');
    expect(h.store.get(cred.id).signCount).toBeUndefined();
  });
});

describe('profiles compose', () => {
  it('packed + EdDSA preferred + UV on + BE 0 + fixed counter: one registration the RP verifies', async () => {
    const h = harness({ attestation: 'packed', algorithms: [-8], userVerification: 'on', backupEligible: false, counter: { mode: 'fixed', value: 100 } });
    h.consent.onCreate = () => ({ action: 'approve', uv: false });
    const options = await rpOptions({ attestationType: 'direct', supportedAlgorithmIDs: [-7, -8] });
    const credential = await register(h, options);
    const v = await rpVerifyRegistration(options, credential, true);
    expect(v.registrationInfo).toMatchObject({ fmt: 'packed', userVerified: true, credentialDeviceType: 'singleDevice' });
    expect(v.registrationInfo!.credential.counter).toBe(100);
    expect(decodeCoseKey(v.registrationInfo!.credential.publicKey).alg).toBe(-8);
  });
});

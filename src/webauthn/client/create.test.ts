import { createHmac, createHash, createPublicKey, verify } from 'node:crypto';
import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import { decodeAttestationObject, decodeClientDataJSON } from '@simplewebauthn/server/helpers';
import { describe, expect, it } from 'vitest';
import { NOW, ORIGIN, RP_ID, harness, rejection, sameOrigin } from '../../../tests/vectors/ceremonyHarness.ts';
import { decode as b64d, encode as b64u } from '../base64url.ts';
import { FLAG, parseAuthData } from '../authData.ts';
import { KEYPORT_AAGUID } from '../authenticator/model.ts';
import { ALG, decodeCoseKey, spki } from '../cose.ts';
import { type CreateContext, authenticatorFor, chooseAlgorithm, createCredential, createValidated } from './create.ts';
import { validateCreate } from './validate.ts';
import { WebAuthnError } from '../errors.ts';
import type { Caller, CreationOptionsJSON, RegistrationResponseJSON } from '../types.ts';

type Verified = Awaited<ReturnType<typeof verifyRegistrationResponse>>;

const ctx = (over: Partial<CreateContext> = {}): CreateContext => ({
  caller: sameOrigin,
  framePermitted: true,
  signal: new AbortController().signal,
  backedUp: true,
  ...over,
});

async function rpOptions(over: Parameters<typeof generateRegistrationOptions>[0] | object = {}): Promise<CreationOptionsJSON> {
  return (await generateRegistrationOptions({
    rpName: 'Example',
    rpID: RP_ID,
    userName: 'alice@example.com',
    userDisplayName: 'Alice',
    userID: new TextEncoder().encode('user-0001'),
    attestationType: 'none',
    ...over,
  })) as CreationOptionsJSON;
}

async function register(options: CreationOptionsJSON, c = ctx(), h = harness()) {
  const outcome = await createCredential(options, c, h.deps);
  if (outcome.kind !== 'credential') throw new Error(`expected a credential, got ${outcome.kind}`);
  return { ...h, credential: outcome.credential };
}

function rpVerify(options: CreationOptionsJSON, credential: RegistrationResponseJSON, requireUserVerification = true): Promise<Verified> {
  return verifyRegistrationResponse({
    response: credential as unknown as Parameters<typeof verifyRegistrationResponse>[0]['response'],
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    requireUserVerification,
  });
}

const authData = (c: RegistrationResponseJSON) => parseAuthData(b64d(c.response.authenticatorData));
const clientData = (c: RegistrationResponseJSON) => JSON.parse(new TextDecoder().decode(b64d(c.response.clientDataJSON))) as Record<string, unknown>;

async function expectError(p: Promise<unknown>, name: string): Promise<void> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(WebAuthnError);
  expect(e.name).toBe(name);
}

describe('§5.1.3 create: registration verified by @simplewebauthn/server', () => {
  it('Spec: ES256 when the RP prefers it; verifies with UV, "none" attestation, counter 0, BE and BS', async () => {
    const options = await rpOptions({ supportedAlgorithmIDs: [-7, -257] });
    const { credential, store } = await register(options);
    const v = await rpVerify(options, credential);
    expect(v.verified).toBe(true);
    const info = v.registrationInfo!;
    expect(info.fmt).toBe('none');
    expect(info.userVerified).toBe(true);
    expect(info.credential.counter).toBe(0);
    expect(info.credential.id).toBe(credential.id);
    expect(info.credentialDeviceType).toBe('multiDevice');
    expect(info.credentialBackedUp).toBe(true);
    expect(info.aaguid).toBe('6b702d4b-6579-706f-7274-410d9e135c27');
    expect(decodeCoseKey(info.credential.publicKey).alg).toBe(ALG.ES256);
    expect(credential.response.publicKeyAlgorithm).toBe(-7);
    expect(store.records.get(credential.id)?.alg).toBe(ALG.ES256);
  });

  it('Spec: the RP’s order of preference decides (simplewebauthn lists EdDSA first)', async () => {
    const options = await rpOptions();
    expect(options.pubKeyCredParams[0]!.alg).toBe(-8);
    const { credential } = await register(options);
    expect(credential.response.publicKeyAlgorithm).toBe(-8);
    expect((await rpVerify(options, credential)).verified).toBe(true);
  });

  it.each([
    ['EdDSA', -8],
    ['RS256', -257],
    ['ES256', -7],
  ])('Spec: %s when it is the only algorithm requested', async (_name, alg) => {
    const options = await rpOptions({ supportedAlgorithmIDs: [alg] });
    const { credential } = await register(options);
    const v = await rpVerify(options, credential);
    expect(v.verified).toBe(true);
    expect(decodeCoseKey(v.registrationInfo!.credential.publicKey).alg).toBe(alg);
    expect(credential.response.publicKeyAlgorithm).toBe(alg);
  });

  it('Spec: flags UP, BE always; UV per the decision; BS per backedUp; AT set', async () => {
    const options = await rpOptions({ supportedAlgorithmIDs: [-7] });
    const h = harness();
    h.consent.onCreate = () => ({ action: 'approve', uv: false });
    const { credential } = await register(options, ctx({ backedUp: false }), h);
    expect(authData(credential).flags).toBe(FLAG.UP | FLAG.BE | FLAG.AT);
    const v = await rpVerify(options, credential, false);
    expect(v.verified).toBe(true);
    expect(v.registrationInfo!.userVerified).toBe(false);
    expect(v.registrationInfo!.credentialBackedUp).toBe(false);
    await expect(rpVerify(options, credential, true)).rejects.toThrow(/verif/i);

    const { credential: c2 } = await register(options, ctx({ backedUp: true }));
    expect(authData(c2).flags).toBe(FLAG.UP | FLAG.UV | FLAG.BE | FLAG.BS | FLAG.AT);
  });

  it('Spec: §5.1.3 conditional create (no one asked): neither UP nor UV, and an RP that allows it verifies it', async () => {
    const options = await rpOptions({ supportedAlgorithmIDs: [-7], userVerification: 'required' });
    const h = harness();
    h.consent.onCreate = () => ({ action: 'approve', uv: true, up: false });
    const { credential } = await register(options, ctx({ backedUp: true }), h);
    expect(authData(credential).flags).toBe(FLAG.BE | FLAG.BS | FLAG.AT);
    const v = await verifyRegistrationResponse({ response: credential as unknown as Parameters<typeof verifyRegistrationResponse>[0]['response'], expectedChallenge: options.challenge, expectedOrigin: ORIGIN, expectedRPID: RP_ID, requireUserVerification: false, requireUserPresence: false });
    expect(v.verified).toBe(true);
    await expect(rpVerify(options, credential, false)).rejects.toThrow(/present/i);
  });

  it('§5.2.1.1: the response’s publicKey is the SPKI of the attested COSE key, and authenticatorData is the attested one', async () => {
    const options = await rpOptions({ supportedAlgorithmIDs: [-7] });
    const { credential } = await register(options);
    const att = decodeAttestationObject(b64d(credential.response.attestationObject) as Uint8Array<ArrayBuffer>);
    expect(att.get('fmt')).toBe('none');
    expect(att.get('attStmt').size).toBe(0);
    expect(att.get('authData')).toEqual(b64d(credential.response.authenticatorData));
    const acd = authData(credential).attestedCredentialData!;
    expect(acd.aaguid).toEqual(KEYPORT_AAGUID);
    expect(b64u(acd.credentialId)).toBe(credential.id);
    expect(b64d(credential.response.publicKey)).toEqual(spki(decodeCoseKey(acd.credentialPublicKey)));
    expect(credential.rawId).toBe(credential.id);
    expect(credential.type).toBe('public-key');
    expect(authData(credential).rpIdHash).toEqual(new Uint8Array(createHash('sha256').update(RP_ID).digest()));
  });

  it('§5.8.1: clientDataJSON names webauthn.create, the challenge, the origin, crossOrigin false', async () => {
    const options = await rpOptions();
    const { credential } = await register(options);
    const raw = new TextDecoder().decode(b64d(credential.response.clientDataJSON));
    expect(raw).toBe(`{"type":"webauthn.create","challenge":"${options.challenge}","origin":"${ORIGIN}","crossOrigin":false}`);
  });

  it('stores the passkey as discoverable with the user’s handle and names, and wipes the generated private key', async () => {
    const options = await rpOptions();
    const { credential, store } = await register(options, ctx({ backedUp: false }));
    const rec = store.records.get(credential.id)!;
    expect(rec).toMatchObject({
      rpId: RP_ID,
      userHandle: options.user.id,
      userName: 'alice@example.com',
      userDisplayName: 'Alice',
      discoverable: true,
      backedUp: false,
      createdAt: NOW,
    });
    expect(rec.publicKeyCose).toEqual(authData(credential).attestedCredentialData!.credentialPublicKey);
    expect(store.generated[0]!.pkcs8.every((b) => b === 0)).toBe(true);
    expect(rec.pkcs8.some((b) => b !== 0)).toBe(true);
  });

  it('asks the person with the request’s details and the context’s signal', async () => {
    const options = await rpOptions({ authenticatorSelection: { userVerification: 'required' } });
    const h = harness();
    const c = ctx();
    await register(options, c, h);
    expect(h.consent.createAsked).toEqual([
      { origin: ORIGIN, rpId: RP_ID, rpName: 'Example', userName: 'alice@example.com', userDisplayName: 'Alice', userVerification: 'required' },
    ]);
    expect(h.consent.signals[0]).toBe(c.signal);
  });
});

describe('§5.1.3 step 10 / §6.3.2 step 2: algorithm choice', () => {
  it('Spec: an empty pubKeyCredParams means ES256 (then RS256)', async () => {
    const options = { ...(await rpOptions()), pubKeyCredParams: [] };
    const { credential } = await register(options);
    expect(credential.response.publicKeyAlgorithm).toBe(-7);
    expect(chooseAlgorithm([])).toBe(-7);
  });

  it('Spec: only unknown credential types → NotSupportedError', async () => {
    const h = harness();
    const options = { ...(await rpOptions()), pubKeyCredParams: [{ type: 'password', alg: -7 }] };
    await expectError(createCredential(options, ctx(), h.deps), 'NotSupportedError');
    expect(h.consent.calls).toBe(0);
  });

  // §6.3.2 step 2 fails with NotSupportedError at the authenticator; §5.1.3 then drops that authenticator and the
  // client ends with NotAllowedError (Chromium answers at once).
  it('Spec: public-key with only unsupported algorithms → NotAllowedError', async () => {
    const h = harness();
    const options = { ...(await rpOptions()), pubKeyCredParams: [{ type: 'public-key', alg: -999 }, { type: 'public-key', alg: -35 }] };
    await expectError(createCredential(options, ctx(), h.deps), 'NotAllowedError');
    expect(h.consent.calls).toBe(0);
  });

  it('skips unknown types and unsupported algorithms to reach a supported one', () => {
    expect(chooseAlgorithm([{ type: 'password', alg: -8 }, { type: 'public-key', alg: -999 }, { type: 'public-key', alg: -257 }])).toBe(-257);
  });
});

describe('§5.1.3 refusals', () => {
  // §6.3.2 step 3 asks for an authorization gesture before answering InvalidStateError (else NotAllowedError),
  // so a page cannot probe silently; Keyport answers at once, without asking.
  it('Spec: §6.3.2 step 3: a credential in excludeCredentials that is already here → the person is asked, then InvalidStateError, nothing stored', async () => {
    const options = await rpOptions();
    const { credential, store, consent, deps } = await register(options);
    const again = await rpOptions({ excludeCredentials: [{ id: credential.id }] });
    await expectError(createCredential(again, ctx(), deps), 'InvalidStateError');
    expect(consent.excludedAsked).toHaveLength(1);
    expect(store.records.size).toBe(1);
  });

  it('Spec: §6.3.2 step 3: the person declines → NotAllowedError, so the page learns nothing', async () => {
    const options = await rpOptions();
    const { credential, store, consent, deps } = await register(options);
    consent.onExcluded = () => new WebAuthnError('NotAllowedError', 'declined');
    const again = await rpOptions({ excludeCredentials: [{ id: credential.id }] });
    await expectError(createCredential(again, ctx(), deps), 'NotAllowedError');
    expect(store.records.size).toBe(1);
  });

  it('excludeCredentials naming credentials of nobody here does not stop registration', async () => {
    const options = await rpOptions({ excludeCredentials: [{ id: b64u(new Uint8Array(16)) }] });
    const { credential } = await register(options);
    expect((await rpVerify(options, credential)).verified).toBe(true);
  });

  it('Spec: §5.4.3 user.id of 65 bytes → TypeError', async () => {
    const h = harness();
    const options = await rpOptions({ userID: new Uint8Array(65) });
    await expectError(createCredential(options, ctx(), h.deps), 'TypeError');
    expect(h.consent.calls).toBe(0);
  });

  it('user.id of 64 bytes is accepted, and of 0 bytes as Chromium and Firefox accept it', async () => {
    await register(await rpOptions({ userID: new Uint8Array(64).fill(1) }));
    const h = harness();
    const options = { ...(await rpOptions()), user: { id: '', name: 'a', displayName: 'A' } };
    const out = await createCredential(options, ctx(), h.deps);
    expect(out.kind).toBe('credential');
  });

  it('Spec: userVerification "required" and the person did not verify → NotAllowedError, nothing stored', async () => {
    const h = harness();
    h.consent.onCreate = () => ({ action: 'approve', uv: false });
    const options = await rpOptions({ authenticatorSelection: { userVerification: 'required' } });
    await expectError(createCredential(options, ctx(), h.deps), 'NotAllowedError');
    expect(h.store.records.size).toBe(0);
  });

  it('Spec: the person cancels → NotAllowedError, nothing stored', async () => {
    const h = harness();
    h.consent.onCreate = () => new WebAuthnError('NotAllowedError', 'cancelled');
    await expectError(createCredential(await rpOptions(), ctx(), h.deps), 'NotAllowedError');
    expect(h.store.records.size).toBe(0);
  });

  it('the person chooses the browser’s own authenticator → fallback, nothing stored', async () => {
    const h = harness();
    h.consent.onCreate = () => ({ action: 'fallback' });
    expect(await createCredential(await rpOptions(), ctx(), h.deps)).toEqual({ kind: 'fallback' });
    expect(h.store.records.size).toBe(0);
    expect(h.store.generated).toHaveLength(0);
  });

  it('Spec: rp.id of another site → SecurityError', async () => {
    const h = harness();
    await expectError(createCredential(await rpOptions({ rpID: 'other.com' }), ctx(), h.deps), 'SecurityError');
    expect(h.consent.calls).toBe(0);
  });

  it('Spec: an http origin other than localhost → SecurityError', async () => {
    const h = harness();
    const caller: Caller = { origin: 'http://login.example.com', sameOriginWithAncestors: true, door: 'shim' };
    await expectError(createCredential(await rpOptions(), ctx({ caller }), h.deps), 'SecurityError');
  });
});

describe('§5.1.3 step 2: cross-origin frames', () => {
  const framed: Caller = { origin: ORIGIN, sameOriginWithAncestors: false, topOrigin: 'https://shop.example', door: 'shim', transientActivation: true };

  it('Spec: without the person\'s transient activation → NotAllowedError, before asking (as Chromium)', async () => {
    const h = harness();
    await expectError(createCredential(await rpOptions(), ctx({ caller: { ...framed, transientActivation: false }, framePermitted: true }), h.deps), 'NotAllowedError');
    expect(h.consent.calls).toBe(0);
  });

  it('Spec: without publickey-credentials-create permission → NotAllowedError, before asking', async () => {
    const h = harness();
    await expectError(createCredential(await rpOptions(), ctx({ caller: framed, framePermitted: false }), h.deps), 'NotAllowedError');
    expect(h.consent.calls).toBe(0);
  });

  it('Spec: with it, clientData says crossOrigin true and names the topOrigin', async () => {
    const options = await rpOptions();
    const { credential } = await register(options, ctx({ caller: framed, framePermitted: true }));
    expect(clientData(credential)).toEqual({
      type: 'webauthn.create',
      challenge: options.challenge,
      origin: ORIGIN,
      crossOrigin: true,
      topOrigin: 'https://shop.example',
    });
    expect(decodeClientDataJSON(credential.response.clientDataJSON).crossOrigin).toBe(true);
  });
});

describe('proxy door: the browser already ran the client checks', () => {
  it('a foreign rp.id (a related origin the browser accepted) is checked again: refused without its grant, else hashed as given', async () => {
    const caller: Caller = { origin: ORIGIN, sameOriginWithAncestors: true, door: 'proxy' };
    const options = await rpOptions({ rpID: 'other.com' });
    expect((await rejection(register(options, ctx({ caller })))).name).toBe('SecurityError');
    const h = harness();
    const outcome = await createValidated(validateCreate(options, caller, true, 'other.com'), ctx({ caller }), h.deps);
    if (outcome.kind !== 'credential') throw new Error(`expected a credential, got ${outcome.kind}`);
    expect(authData(outcome.credential).rpIdHash).toEqual(new Uint8Array(createHash('sha256').update('other.com').digest()));
    expect(h.store.records.get(outcome.credential.id)!.rpId).toBe('other.com');
  });

  it('does not apply the frame permission check', async () => {
    const caller: Caller = { origin: ORIGIN, sameOriginWithAncestors: false, topOrigin: 'https://shop.example', door: 'proxy' };
    const { credential } = await register(await rpOptions(), ctx({ caller, framePermitted: false }));
    expect(clientData(credential).crossOrigin).toBe(true);
  });

  it('uses the origin’s host when rp.id is absent', async () => {
    const caller: Caller = { origin: ORIGIN, sameOriginWithAncestors: true, door: 'proxy' };
    const options = await rpOptions();
    const { rp: _rp, ...rest } = options;
    const { store, credential } = await register({ ...rest, rp: { name: 'Example' } }, ctx({ caller }));
    expect(store.records.get(credential.id)!.rpId).toBe('login.example.com');
  });
});

describe('extensions', () => {
  it('Spec: §10.1.3 credProps → { rk: true }', async () => {
    const { credential } = await register(await rpOptions());
    expect(credential.clientExtensionResults).toEqual({ credProps: { rk: true } });
  });

  it('no extensions requested → no results', async () => {
    const options = await rpOptions();
    const { credential } = await register({ ...options, extensions: undefined });
    expect(credential.clientExtensionResults).toEqual({});
  });

  it('Spec: §10.1.4 prf without eval → { enabled: true }', async () => {
    const { credential } = await register(await rpOptions({ extensions: { prf: {} } }));
    expect(credential.clientExtensionResults.prf).toEqual({ enabled: true });
  });

  it('Spec: §10.1.4 prf eval at create → HMAC-SHA-256(secret, SHA-256("WebAuthn PRF" || 0x00 || input))', async () => {
    const first = b64u(new TextEncoder().encode('encryption key'));
    const second = b64u(new TextEncoder().encode('signing key'));
    const { credential, store } = await register(await rpOptions({ extensions: { prf: { eval: { first, second } } } }));
    const secret = store.prfSecret(credential.id);
    const expected = (input: string) => {
      const salt = createHash('sha256').update('WebAuthn PRF\0').update(b64d(input)).digest();
      return createHmac('sha256', secret).update(salt).digest('base64url');
    };
    expect(credential.clientExtensionResults.prf).toEqual({ enabled: true, results: { first: expected(first), second: expected(second) } });
  });
});

describe('authenticator selection (§5.1.3 step 20): what Keyport, a platform authenticator, does not answer', () => {
  it("authenticatorAttachment 'cross-platform' → fallback to the browser's own authenticators, without asking", async () => {
    const h = harness();
    const options = await rpOptions({ authenticatorSelection: { authenticatorAttachment: 'cross-platform' } });
    expect(await createCredential(options, ctx(), h.deps)).toEqual({ kind: 'fallback' });
    expect(h.consent.calls).toBe(0);
    expect(h.store.records.size).toBe(0);
    expect(authenticatorFor(options)).toBe('browser');
  });

  it("'platform' or no attachment → Keyport", async () => {
    expect(authenticatorFor(await rpOptions({ authenticatorSelection: { authenticatorAttachment: 'platform' } }))).toBe('keyport');
    expect(authenticatorFor({})).toBe('keyport');
  });

  it("§10.1.5 largeBlob support 'required' → a passkey that can hold a large blob (Keyport stores them)", async () => {
    const options = await rpOptions({ extensions: { largeBlob: { support: 'required' } } });
    expect(authenticatorFor(options)).toBe('keyport');
    const { credential, store } = await register(options);
    expect(credential.clientExtensionResults.largeBlob).toEqual({ supported: true });
    expect(store.get(credential.id).largeBlob).toEqual(new Uint8Array());
  });
});

describe('§10.1.5 largeBlob and CTAP 2.1 credBlob at registration (as Chromium 156 with a virtual authenticator that stores them)', () => {
  it.each<[string, object]>([
    ['empty', {}],
    ["support 'preferred'", { support: 'preferred' }],
    ['an unknown support value', { support: 'bogus' }],
  ])('largeBlob (%s) → { supported: true }, and the passkey has room for a blob', async (_what, largeBlob) => {
    const { credential, store } = await register({ ...(await rpOptions()), extensions: { largeBlob } });
    expect(credential.clientExtensionResults).toEqual({ largeBlob: { supported: true } });
    expect(store.get(credential.id).largeBlob).toEqual(new Uint8Array());
  });

  it('no largeBlob → no output, and no room for a blob (a CTAP credential without a largeBlobKey)', async () => {
    const { credential, store } = await register(await rpOptions());
    expect(credential.clientExtensionResults.largeBlob).toBeUndefined();
    expect(store.get(credential.id).largeBlob).toBeUndefined();
  });

  it('credBlob of at most 32 bytes (empty too) → true, kept; getCredBlob (an authentication input) → nothing', async () => {
    const blob = Uint8Array.from({ length: 32 }, (_, i) => i);
    const { credential, store } = await register({ ...(await rpOptions()), extensions: { credBlob: b64u(blob), getCredBlob: true } });
    expect(credential.clientExtensionResults).toEqual({ credBlob: true });
    expect(store.get(credential.id).credBlob).toEqual(blob);
    const { credential: empty } = await register({ ...(await rpOptions()), extensions: { credBlob: '' } });
    expect(empty.clientExtensionResults).toEqual({ credBlob: true });
  });

  it('credBlob over 32 bytes → false, not kept, and the passkey is still made', async () => {
    const { credential, store } = await register({ ...(await rpOptions()), extensions: { credBlob: b64u(new Uint8Array(33)) } });
    expect(credential.clientExtensionResults).toEqual({ credBlob: false });
    expect(store.records.size).toBe(1);
    expect(store.get(credential.id).credBlob).toBeUndefined();
  });

  it('alongside credProps and prf', async () => {
    const { credential } = await register({ ...(await rpOptions()), extensions: { credProps: true, prf: {}, largeBlob: {} } });
    expect(credential.clientExtensionResults).toEqual({ credProps: { rk: true }, prf: { enabled: true }, largeBlob: { supported: true } });
  });
});

describe('malformed input → TypeError before anyone is asked', () => {
  it.each<[string, (o: CreationOptionsJSON) => unknown]>([
    ['missing challenge', ({ challenge: _c, ...o }) => o],
    ['challenge not base64url', (o) => ({ ...o, challenge: 'a+b/c=' })],
    ['challenge a number', (o) => ({ ...o, challenge: 12345 })],
    ['rp.name a number', (o) => ({ ...o, rp: { ...o.rp, name: 42 } })],
    ['user missing', ({ user: _u, ...o }) => o],
    ['user.id not base64url', (o) => ({ ...o, user: { ...o.user, id: '***' } })],
    ['pubKeyCredParams not a list', (o) => ({ ...o, pubKeyCredParams: 'ES256' })],
    ['alg not an integer', (o) => ({ ...o, pubKeyCredParams: [{ type: 'public-key', alg: -7.5 }] })],
    ['excludeCredentials id not base64url', (o) => ({ ...o, excludeCredentials: [{ type: 'public-key', id: 'a=' }] })],
    ['prf eval first not base64url', (o) => ({ ...o, extensions: { prf: { eval: { first: '+' } } } })],
    ['not an object', () => 'options'],
    ['null', () => null],
  ])('%s', async (_why, mutate) => {
    const h = harness();
    const input = mutate(await rpOptions());
    await expectError(createCredential(input, ctx(), h.deps), 'TypeError');
    expect(h.consent.calls).toBe(0);
    expect(h.store.records.size).toBe(0);
  });
});

describe('independent check of the attested key', () => {
  it('a signature made with the stored key verifies against the response’s publicKey (SPKI) in node:crypto', async () => {
    const { credential, store } = await register(await rpOptions({ supportedAlgorithmIDs: [-7] }));
    const data = new TextEncoder().encode('data');
    const sig = await store.sign(credential.id, data);
    const key = createPublicKey({ key: Buffer.from(b64d(credential.response.publicKey)), format: 'der', type: 'spki' });
    expect(verify('sha256', data, key, sig)).toBe(true);
  });
});

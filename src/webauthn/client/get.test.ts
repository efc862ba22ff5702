import { createHash, createHmac, createPublicKey, verify } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { NOW, ORIGIN, RP_ID, harness, rejection, sameOrigin } from '../../../tests/vectors/ceremonyHarness.ts';
import { decode as b64d, encode as b64u } from '../base64url.ts';
import { FLAG, parseAuthData } from '../authData.ts';
import { createCredential } from './create.ts';
import { WebAuthnError } from '../errors.ts';
import { type GetContext, getAssertion } from './get.ts';
import type { AuthenticationResponseJSON, Caller, RequestOptionsJSON } from '../types.ts';

type H = ReturnType<typeof harness>;
type AuthResponse = Parameters<typeof verifyAuthenticationResponse>[0]['response'];

const ctx = (over: Partial<GetContext> = {}): GetContext => ({ caller: sameOrigin, framePermitted: true, signal: new AbortController().signal, ...over });

/** Registers a passkey through create.ts, verified by the RP library; returns its id and COSE public key. */
async function enrol(h: H, { alg = -7, userName = 'alice', backedUp = true, extensions = {} } = {}) {
  const options = await generateRegistrationOptions({
    rpName: 'Example',
    rpID: RP_ID,
    userName,
    userID: new TextEncoder().encode(`id-${userName}`),
    supportedAlgorithmIDs: [alg],
  });
  if (Object.keys(extensions).length) options.extensions = { ...options.extensions, ...extensions };
  const out = await createCredential(options, { caller: sameOrigin, framePermitted: true, signal: new AbortController().signal, backedUp }, h.deps);
  if (out.kind !== 'credential') throw new Error('registration fell back');
  const v = await verifyRegistrationResponse({
    response: out.credential as unknown as Parameters<typeof verifyRegistrationResponse>[0]['response'],
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
  });
  return { id: out.credential.id, publicKey: v.registrationInfo!.credential.publicKey, userHandle: options.user.id, spki: out.credential.response.publicKey };
}

async function assert(h: H, options: RequestOptionsJSON, c = ctx()): Promise<AuthenticationResponseJSON> {
  const out = await getAssertion(options, c, h.deps);
  if (out.kind !== 'credential') throw new Error(`expected an assertion, got ${out.kind}`);
  return out.credential;
}

function rpVerify(options: RequestOptionsJSON, response: AuthenticationResponseJSON, cred: { id: string; publicKey: Uint8Array }, requireUserVerification = true) {
  return verifyAuthenticationResponse({
    response: response as unknown as AuthResponse,
    expectedChallenge: options.challenge,
    expectedOrigin: ORIGIN,
    expectedRPID: RP_ID,
    credential: { id: cred.id, publicKey: cred.publicKey as Uint8Array<ArrayBuffer>, counter: 0 },
    requireUserVerification,
  });
}

const flagsOf = (r: AuthenticationResponseJSON) => parseAuthData(b64d(r.response.authenticatorData)).flags;

async function expectError(p: Promise<unknown>, name: string): Promise<void> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(WebAuthnError);
  expect(e.name).toBe(name);
}

const prfExpected = (secret: Uint8Array, input: string) =>
  createHmac('sha256', secret).update(createHash('sha256').update('WebAuthn PRF\0').update(b64d(input)).digest()).digest('base64url');

describe('§5.1.4 get: assertions verified by @simplewebauthn/server', () => {
  for (const [name, alg] of [['ES256', -7], ['EdDSA', -8], ['RS256', -257]] as const) {
    it(`Spec: ${name} assertion with allowCredentials verifies with the registered public key`, async () => {
      const h = harness();
      const cred = await enrol(h, { alg });
      const options = (await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: cred.id }] })) as RequestOptionsJSON;
      const response = await assert(h, options);
      const v = await rpVerify(options, response, cred);
      expect(v.verified).toBe(true);
      expect(v.authenticationInfo.newCounter).toBe(0);
      expect(v.authenticationInfo.userVerified).toBe(true);
      expect(response.id).toBe(cred.id);
      expect(response.rawId).toBe(cred.id);
      expect(response.response.userHandle).toBe(cred.userHandle);
    });
  }

  it('Spec: discoverable (no allowCredentials): the person picks among the RP’s passkeys', async () => {
    const h = harness();
    const alice = await enrol(h, { userName: 'alice' });
    const bob = await enrol(h, { userName: 'bob', alg: -8 });
    h.consent.onPick = (info) => ({ action: 'approve', uv: true, credentialId: info.accounts.find((a) => a.userName === 'bob')!.credentialId });
    const options = (await generateAuthenticationOptions({ rpID: RP_ID })) as RequestOptionsJSON;
    expect(options.allowCredentials).toBeUndefined();
    const response = await assert(h, options);
    expect(h.consent.pickAsked[0]!.accounts.map((a) => a.credentialId).sort()).toEqual([alice.id, bob.id].sort());
    expect(response.id).toBe(bob.id);
    expect(response.response.userHandle).toBe(bob.userHandle);
    expect((await rpVerify(options, response, bob)).verified).toBe(true);
  });

  it('Spec: §6.1 flags: UP, BE always; UV per the decision; BS per the passkey’s backedUp', async () => {
    const h = harness();
    const backed = await enrol(h, { userName: 'a', backedUp: true });
    const local = await enrol(h, { userName: 'b', backedUp: false });
    const options = (await generateAuthenticationOptions({ rpID: RP_ID })) as RequestOptionsJSON;

    h.consent.onPick = () => ({ action: 'approve', uv: false, credentialId: backed.id });
    const r1 = await assert(h, options);
    expect(flagsOf(r1)).toBe(FLAG.UP | FLAG.BE | FLAG.BS);
    const v1 = await rpVerify(options, r1, backed, false);
    expect(v1.authenticationInfo).toMatchObject({ userVerified: false, credentialBackedUp: true, credentialDeviceType: 'multiDevice' });
    await expect(rpVerify(options, r1, backed, true)).rejects.toThrow(/verif/i);

    h.consent.onPick = () => ({ action: 'approve', uv: true, credentialId: local.id });
    const r2 = await assert(h, options);
    expect(flagsOf(r2)).toBe(FLAG.UP | FLAG.UV | FLAG.BE);
    expect((await rpVerify(options, r2, local)).authenticationInfo.credentialBackedUp).toBe(false);
  });

  it('Spec: counter is 0 and stays 0; authenticator data has no attested data or extensions', async () => {
    const h = harness();
    const cred = await enrol(h);
    const options = (await generateAuthenticationOptions({ rpID: RP_ID })) as RequestOptionsJSON;
    for (let i = 0; i < 2; i++) {
      const ad = parseAuthData(b64d((await assert(h, options)).response.authenticatorData));
      expect(ad.signCount).toBe(0);
      expect(ad.attestedCredentialData).toBeUndefined();
      expect(ad.extensions).toBeUndefined();
    }
    expect(h.store.get(cred.id).lastUsedAt).toBe(NOW);
  });

  it('Spec: §6.3.3 step 11: the signature covers authenticatorData || SHA-256(clientDataJSON) (node:crypto check)', async () => {
    const h = harness();
    const cred = await enrol(h);
    const options = (await generateAuthenticationOptions({ rpID: RP_ID })) as RequestOptionsJSON;
    const r = await assert(h, options);
    const clientDataJSON = b64d(r.response.clientDataJSON);
    const signed = Buffer.concat([b64d(r.response.authenticatorData), createHash('sha256').update(clientDataJSON).digest()]);
    const key = createPublicKey({ key: Buffer.from(b64d(cred.spki)), format: 'der', type: 'spki' });
    expect(verify('sha256', signed, key, b64d(r.response.signature))).toBe(true);
    expect(new TextDecoder().decode(clientDataJSON)).toBe(`{"type":"webauthn.get","challenge":"${options.challenge}","origin":"${ORIGIN}","crossOrigin":false}`);
  });

  it('offers the person only the allowed passkeys and passes the request’s details and signal', async () => {
    const h = harness();
    const a = await enrol(h, { userName: 'a' });
    await enrol(h, { userName: 'b' });
    const options = (await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: a.id }], userVerification: 'required' })) as RequestOptionsJSON;
    const c = ctx();
    await assert(h, options, c);
    const info = h.consent.pickAsked[0]!;
    expect(info).toMatchObject({ origin: ORIGIN, rpId: RP_ID, userVerification: 'required' });
    expect(info.accounts.map((x) => x.credentialId)).toEqual([a.id]);
    expect(h.consent.signals.at(-1)).toBe(c.signal);
  });
});

describe('§5.1.4 outcomes without an assertion', () => {
  it('allowCredentials naming no passkey held here → fallback, without asking', async () => {
    const h = harness();
    await enrol(h);
    const options = (await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: b64u(new Uint8Array(16)) }] })) as RequestOptionsJSON;
    expect(await getAssertion(options, ctx(), h.deps)).toEqual({ kind: 'fallback' });
    expect(h.consent.calls).toBe(1); // only the registration's confirmCreate
    expect(h.consent.pickAsked).toHaveLength(0);
  });

  it('no passkey for this RP ID → fallback (rpId defaults to the origin’s host, login.example.com)', async () => {
    const h = harness();
    await enrol(h);
    const { rpId: _r, ...options } = (await generateAuthenticationOptions({ rpID: RP_ID })) as RequestOptionsJSON;
    expect(await getAssertion(options, ctx(), h.deps)).toEqual({ kind: 'fallback' });
    expect(h.consent.pickAsked).toHaveLength(0);
  });

  it('the person chooses the browser’s own authenticator → fallback, nothing signed', async () => {
    const h = harness();
    const cred = await enrol(h);
    h.consent.onPick = () => ({ action: 'fallback' });
    expect(await getAssertion(await generateAuthenticationOptions({ rpID: RP_ID }), ctx(), h.deps)).toEqual({ kind: 'fallback' });
    expect(h.store.get(cred.id).lastUsedAt).toBeUndefined();
  });

  it('Spec: the person cancels → NotAllowedError', async () => {
    const h = harness();
    await enrol(h);
    h.consent.onPick = () => new WebAuthnError('NotAllowedError', 'cancelled');
    await expectError(getAssertion(await generateAuthenticationOptions({ rpID: RP_ID }), ctx(), h.deps), 'NotAllowedError');
  });

  it('a picked id that was not offered → NotAllowedError', async () => {
    const h = harness();
    const a = await enrol(h, { userName: 'a' });
    const b = await enrol(h, { userName: 'b' });
    h.consent.onPick = () => ({ action: 'approve', uv: true, credentialId: b.id });
    const options = await generateAuthenticationOptions({ rpID: RP_ID, allowCredentials: [{ id: a.id }] });
    await expectError(getAssertion(options, ctx(), h.deps), 'NotAllowedError');
    expect(h.store.get(b.id).lastUsedAt).toBeUndefined();
  });

  it('Spec: userVerification "required" and the person did not verify → NotAllowedError', async () => {
    const h = harness();
    await enrol(h);
    h.consent.onPick = (info) => ({ action: 'approve', uv: false, credentialId: info.accounts[0]!.credentialId });
    await expectError(getAssertion(await generateAuthenticationOptions({ rpID: RP_ID, userVerification: 'required' }), ctx(), h.deps), 'NotAllowedError');
  });

  it('Spec: rpId of another site → SecurityError, without asking', async () => {
    const h = harness();
    await enrol(h);
    await expectError(getAssertion(await generateAuthenticationOptions({ rpID: 'other.com' }), ctx(), h.deps), 'SecurityError');
    expect(h.consent.pickAsked).toHaveLength(0);
  });
});

describe('§5.1.4.1 step 2: cross-origin frames', () => {
  const framed: Caller = { origin: ORIGIN, sameOriginWithAncestors: false, topOrigin: 'https://shop.example', door: 'shim' };

  it('Spec: without publickey-credentials-get permission → NotAllowedError, without asking', async () => {
    const h = harness();
    await enrol(h);
    await expectError(getAssertion(await generateAuthenticationOptions({ rpID: RP_ID }), ctx({ caller: framed, framePermitted: false }), h.deps), 'NotAllowedError');
    expect(h.consent.pickAsked).toHaveLength(0);
  });

  it('Spec: with it, clientData has crossOrigin true and topOrigin, and the RP can check topOrigin', async () => {
    const h = harness();
    const cred = await enrol(h);
    const options = (await generateAuthenticationOptions({ rpID: RP_ID })) as RequestOptionsJSON;
    const r = await assert(h, options, ctx({ caller: framed, framePermitted: true }));
    expect(JSON.parse(new TextDecoder().decode(b64d(r.response.clientDataJSON)))).toEqual({
      type: 'webauthn.get',
      challenge: options.challenge,
      origin: ORIGIN,
      crossOrigin: true,
      topOrigin: 'https://shop.example',
    });
    const v = await verifyAuthenticationResponse({
      response: r as unknown as AuthResponse,
      expectedChallenge: options.challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      expectedTopOrigin: 'https://shop.example',
      credential: { id: cred.id, publicKey: cred.publicKey, counter: 0 },
    });
    expect(v.verified).toBe(true);
  });
});

describe('proxy door', () => {
  it('skips the frame check (the browser did it); a foreign rpId is checked again as a related origin', async () => {
    const h = harness();
    const proxy: Caller = { origin: ORIGIN, sameOriginWithAncestors: true, door: 'proxy' };
    const reg = await createCredential(
      { rp: { id: RP_ID, name: 'Example' }, user: { id: 'AQ', name: 'a', displayName: 'A' }, challenge: 'AAAA', pubKeyCredParams: [] },
      { caller: proxy, framePermitted: false, signal: new AbortController().signal, backedUp: true },
      h.deps,
    );
    expect(reg.kind).toBe('credential');
    const framedProxy: Caller = { ...proxy, sameOriginWithAncestors: false, topOrigin: 'https://shop.example' };
    const r = await assert(h, { challenge: 'AAAA', rpId: RP_ID }, ctx({ caller: framedProxy, framePermitted: false }));
    expect(parseAuthData(b64d(r.response.authenticatorData)).rpIdHash).toEqual(new Uint8Array(createHash('sha256').update(RP_ID).digest()));
    expect((await rejection(getAssertion({ challenge: 'AAAA', rpId: 'other.com' }, ctx({ caller: framedProxy, framePermitted: false }), h.deps))).name).toBe('SecurityError');
  });
});

describe('§10.1.4 prf at authentication', () => {
  const inputA = b64u(new TextEncoder().encode('vault key'));
  const inputB = b64u(new TextEncoder().encode('other key'));

  it('Spec: eval gives the same result as at registration for the same input', async () => {
    const h = harness();
    const options = await generateRegistrationOptions({ rpName: 'Example', rpID: RP_ID, userName: 'alice', extensions: { prf: { eval: { first: inputA } } } as object });
    const reg = await createCredential(options, { caller: sameOrigin, framePermitted: true, signal: new AbortController().signal, backedUp: true }, h.deps);
    if (reg.kind !== 'credential') throw new Error('fallback');
    const atCreate = reg.credential.clientExtensionResults.prf!.results!.first;

    const r = await assert(h, { challenge: 'AAAA', rpId: RP_ID, extensions: { prf: { eval: { first: inputA, second: inputB } } } });
    const secret = h.store.prfSecret(reg.credential.id);
    expect(r.clientExtensionResults.prf).toEqual({ results: { first: prfExpected(secret, inputA), second: prfExpected(secret, inputB) } });
    expect(r.clientExtensionResults.prf!.results!.first).toBe(atCreate);
  });

  it('Spec: evalByCredential for the chosen credential takes precedence over eval', async () => {
    const h = harness();
    const cred = await enrol(h);
    const r = await assert(h, {
      challenge: 'AAAA',
      rpId: RP_ID,
      allowCredentials: [{ type: 'public-key', id: cred.id }],
      extensions: { prf: { eval: { first: inputA }, evalByCredential: { [cred.id]: { first: inputB } } } },
    });
    expect(r.clientExtensionResults.prf).toEqual({ results: { first: prfExpected(h.store.prfSecret(cred.id), inputB) } });
  });

  it('Spec: eval applies when evalByCredential has no entry for the chosen credential', async () => {
    const h = harness();
    const a = await enrol(h, { userName: 'a' });
    const b = await enrol(h, { userName: 'b' });
    h.consent.onPick = () => ({ action: 'approve', uv: true, credentialId: a.id });
    const r = await assert(h, {
      challenge: 'AAAA',
      rpId: RP_ID,
      allowCredentials: [{ type: 'public-key', id: a.id }, { type: 'public-key', id: b.id }],
      extensions: { prf: { eval: { first: inputA }, evalByCredential: { [b.id]: { first: inputB } } } },
    });
    expect(r.clientExtensionResults.prf).toEqual({ results: { first: prfExpected(h.store.prfSecret(a.id), inputA) } });
  });

  it('prf requested without inputs → an empty prf output', async () => {
    const h = harness();
    await enrol(h);
    const r = await assert(h, { challenge: 'AAAA', rpId: RP_ID, extensions: { prf: {} } });
    expect(r.clientExtensionResults).toEqual({ prf: {} });
  });

  it('Spec: evalByCredential without allowCredentials → NotSupportedError, without asking', async () => {
    const h = harness();
    const cred = await enrol(h);
    await expectError(getAssertion({ challenge: 'AAAA', rpId: RP_ID, extensions: { prf: { evalByCredential: { [cred.id]: { first: inputA } } } } }, ctx(), h.deps), 'NotSupportedError');
    expect(h.consent.pickAsked).toHaveLength(0);
  });

  it.each([
    ['not base64url', '***'],
    ['empty', ''],
    ['not among allowCredentials', b64u(new Uint8Array(16).fill(9))],
  ])('Spec: an evalByCredential key that is %s → SyntaxError, without asking', async (_why, key) => {
    const h = harness();
    const cred = await enrol(h);
    const options = {
      challenge: 'AAAA',
      rpId: RP_ID,
      allowCredentials: [{ type: 'public-key', id: cred.id }],
      extensions: { prf: { evalByCredential: { [key]: { first: inputA } } } },
    };
    await expectError(getAssertion(options, ctx(), h.deps), 'SyntaxError');
    expect(h.consent.pickAsked).toHaveLength(0);
  });
});

describe('§10.1.5 largeBlob and CTAP 2.1 getCredBlob at authentication (as Chromium 156 with a virtual authenticator that stores them)', () => {
  const get = (id: string, extensions: RequestOptionsJSON['extensions']): RequestOptionsJSON => ({ challenge: 'AAAA', rpId: RP_ID, allowCredentials: [{ type: 'public-key', id }], extensions });

  it('write, then read it back, by the one allowed credential or discoverably; the assertion still verifies', async () => {
    const h = harness();
    const cred = await enrol(h, { extensions: { largeBlob: { support: 'preferred' } } });
    expect((await assert(h, get(cred.id, { largeBlob: { read: true } }))).clientExtensionResults).toEqual({ largeBlob: {} });
    const blob = b64u(Uint8Array.from({ length: 2048 }, (_, i) => i % 251));
    const options = get(cred.id, { largeBlob: { write: blob } });
    const written = await assert(h, options);
    expect(written.clientExtensionResults).toEqual({ largeBlob: { written: true } });
    expect((await rpVerify(options, written, cred)).verified).toBe(true);
    expect((await assert(h, get(cred.id, { largeBlob: { read: true } }))).clientExtensionResults).toEqual({ largeBlob: { blob } });
    expect((await assert(h, { challenge: 'AAAA', rpId: RP_ID, extensions: { largeBlob: { read: true } } })).clientExtensionResults).toEqual({ largeBlob: { blob } });
  });

  it('an empty write removes the blob: read → {}', async () => {
    const h = harness();
    const cred = await enrol(h, { extensions: { largeBlob: {} } });
    await assert(h, get(cred.id, { largeBlob: { write: 'AQID' } }));
    expect((await assert(h, get(cred.id, { largeBlob: { write: '' } }))).clientExtensionResults).toEqual({ largeBlob: { written: true } });
    expect((await assert(h, get(cred.id, { largeBlob: { read: true } }))).clientExtensionResults).toEqual({ largeBlob: {} });
  });

  it('a passkey made without largeBlob: write → { written: false }, read → {}', async () => {
    const h = harness();
    const cred = await enrol(h);
    expect((await assert(h, get(cred.id, { largeBlob: { write: 'AQID' } }))).clientExtensionResults).toEqual({ largeBlob: { written: false } });
    expect((await assert(h, get(cred.id, { largeBlob: { read: true } }))).clientExtensionResults).toEqual({ largeBlob: {} });
    expect(h.store.get(cred.id).largeBlob).toBeUndefined();
  });

  it('read false or {} → nothing', async () => {
    const h = harness();
    await enrol(h, { extensions: { largeBlob: {} } });
    expect((await assert(h, { challenge: 'AAAA', rpId: RP_ID, extensions: { largeBlob: { read: false } } })).clientExtensionResults).toEqual({});
    expect((await assert(h, { challenge: 'AAAA', rpId: RP_ID, extensions: { largeBlob: {} } })).clientExtensionResults).toEqual({});
  });

  it('a write over 2048 bytes → NotSupportedError, without asking, and the stored blob is unchanged', async () => {
    const h = harness();
    const cred = await enrol(h, { extensions: { largeBlob: {} } });
    await assert(h, get(cred.id, { largeBlob: { write: 'AQID' } }));
    await expectError(getAssertion(get(cred.id, { largeBlob: { write: b64u(new Uint8Array(2049)) } }), ctx(), h.deps), 'NotSupportedError');
    await expectError(getAssertion(get(cred.id, { largeBlob: { write: b64u(new Uint8Array(40_000)) } }), ctx(), h.deps), 'NotSupportedError');
    expect(h.consent.pickAsked).toHaveLength(1);
    expect(h.store.get(cred.id).largeBlob).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('largeBlob support in get() → NotSupportedError, without asking', async () => {
    const h = harness();
    await enrol(h);
    await expectError(getAssertion({ challenge: 'AAAA', rpId: RP_ID, extensions: { largeBlob: { support: 'preferred' } } }, ctx(), h.deps), 'NotSupportedError');
    expect(h.consent.pickAsked).toHaveLength(0);
  });

  it('getCredBlob true → the credBlob, or an empty one; false → nothing; credBlob (a registration input) → nothing', async () => {
    const h = harness();
    const withBlob = await enrol(h, { extensions: { credBlob: 'AQID' } });
    expect((await assert(h, get(withBlob.id, { getCredBlob: true }))).clientExtensionResults).toEqual({ getCredBlob: 'AQID' });
    const without = await enrol(h, { userName: 'bob' });
    expect((await assert(h, get(without.id, { getCredBlob: true }))).clientExtensionResults).toEqual({ getCredBlob: '' });
    expect((await assert(h, get(withBlob.id, { getCredBlob: false, credBlob: 'AQID' }))).clientExtensionResults).toEqual({});
  });
});

describe('malformed input → TypeError before anyone is asked', () => {
  it.each<[string, unknown]>([
    ['missing challenge', { rpId: RP_ID }],
    ['challenge not base64url', { challenge: 'a+b/', rpId: RP_ID }],
    ['challenge with padding', { challenge: 'AA==', rpId: RP_ID }],
    ['challenge a number', { challenge: 42, rpId: RP_ID }],
    ['rpId a number', { challenge: 'AAAA', rpId: 42 }],
    ['allowCredentials not a list', { challenge: 'AAAA', rpId: RP_ID, allowCredentials: 'x' }],
    ['allowCredentials id not base64url', { challenge: 'AAAA', rpId: RP_ID, allowCredentials: [{ type: 'public-key', id: '@@' }] }],
    ['userVerification a boolean', { challenge: 'AAAA', rpId: RP_ID, userVerification: true }],
    ['timeout negative', { challenge: 'AAAA', rpId: RP_ID, timeout: -1 }],
    ['prf eval not base64url', { challenge: 'AAAA', rpId: RP_ID, extensions: { prf: { eval: { first: 'a=' } } } }],
    ['undefined', undefined],
  ])('%s', async (_why, input) => {
    const h = harness();
    await enrol(h);
    await expectError(getAssertion(input, ctx(), h.deps), 'TypeError');
    expect(h.consent.pickAsked).toHaveLength(0);
  });
});

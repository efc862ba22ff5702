// An example relying-party suite with Keyport's Playwright fixture: sign-up and sign-in on a relying party built on
// @simplewebauthn/server (tests/support/rp.mjs: a page with a user name field, "Register" and "Sign in" buttons, and
// a #status line showing the server's verify result or the error), each simulated error, packed attestation, UV and
// the consent window. Every test gets its own Chromium and a fresh vault. Run: npm run test:playwright.
import { test as keyportTest, expect } from '@keyport/testing/playwright';
import { createHash } from 'node:crypto';
import { startRelyingParty } from '../support/rp.mjs';
import { makeForeignPasskey } from '../support/foreign.mjs';

// The relying party under test, one per worker, as the pages' baseURL. Yours may rather be a `webServer` in
// playwright.config with `use: { baseURL }`.
/** @typedef {import('../support/rp.mjs').RelyingParty} RelyingParty */
const test = keyportTest.extend(/** @type {Parameters<typeof keyportTest.extend<{}, { relyingParty: RelyingParty }>>[0]} */ ({
  relyingParty: [async ({}, use) => {
    const rp = await startRelyingParty();
    await use(rp);
    await rp.close();
  }, { scope: 'worker' }],
  baseURL: async ({ relyingParty }, use) => use(relyingParty.origin),
}));

/** What the page's #status shows once the ceremony has ended: the server's JSON, or { error: DOMException name }. */
async function outcome(page) {
  const status = page.locator('#status');
  await expect(status).not.toHaveText(/^(|…)$/);
  const text = await status.textContent();
  return text.startsWith('Error: ') ? { error: text.split(': ')[1] } : JSON.parse(text);
}

async function signUp(page, userName) {
  await page.fill('#username', userName);
  await page.click('#register');
  return outcome(page);
}

async function signIn(page, userName = '') {
  await page.fill('#username', userName); // empty: a discoverable sign-in, Keyport offers its passkeys for the site
  await page.click('#login');
  return outcome(page);
}

test('sign up with a passkey, then sign in with it', async ({ page, keyport }) => {
  await page.goto('/');
  const registered = await signUp(page, 'alice');
  expect(registered).toMatchObject({ verified: true, userName: 'alice', fmt: 'none', userVerified: true });

  const [passkey] = await keyport.getCredentials();
  expect(passkey).toMatchObject({ id: registered.credentialId, rpId: 'localhost', userName: 'alice', isResidentCredential: true, signCount: 0 });

  const signedIn = await signIn(page);
  expect(signedIn).toMatchObject({ verified: true, userName: 'alice', credentialId: registered.credentialId });

  // What the authenticator answered, decoded, with the relying party's checks.
  const ceremony = await keyport.lastCeremony();
  expect(ceremony).toMatchObject({ kind: 'get', result: 'credential', rpId: 'localhost' });
  const authData = ceremony.credential.authenticatorData;
  expect(authData.rpIdHash).toBe(createHash('sha256').update('localhost').digest('hex'));
  expect(authData.flags).toMatchObject({ UP: true, UV: true, BE: true, BS: false });
  expect(ceremony.credential.signature.verified).toBe(true);
});

test('a passkey made elsewhere and added by the test signs in', async ({ page, keyport, relyingParty }) => {
  // A key pair made in Node, registered with the relying party earlier (seeded), handed to Keyport in the
  // toJSON / PKCS#8 form: base64url id, PKCS#8 bytes.
  const passkey = await makeForeignPasskey({ rpId: 'localhost', userName: 'bob' });
  relyingParty.seedCredential({ userName: 'bob', userId: passkey.userHandle, credentialId: passkey.credentialIdB64, publicKey: passkey.cosePublicKey });
  await keyport.addCredential({
    credentialId: passkey.credentialIdB64,
    rpId: 'localhost',
    privateKey: passkey.pkcs8,
    userHandle: passkey.userHandle,
    userName: 'bob',
  });

  await page.goto('/');
  expect(await signIn(page, 'bob')).toMatchObject({ verified: true, userName: 'bob', credentialId: passkey.credentialIdB64 });
});

test('simulated NotAllowedError: the person refused; the relying party keeps no passkey', async ({ page, keyport }) => {
  await page.goto('/');
  await keyport.simulateNextError('NotAllowedError');
  expect(await signUp(page, 'carol')).toEqual({ error: 'NotAllowedError' });
  expect(await keyport.getCredentials()).toEqual([]);
  // Once only: the next try works.
  expect(await signUp(page, 'carol')).toMatchObject({ verified: true });
});

test('simulated InvalidStateError: the authenticator already holds an excluded passkey', async ({ page, keyport }) => {
  await page.goto('/');
  expect(await signUp(page, 'dave')).toMatchObject({ verified: true });
  await keyport.simulateNextError('InvalidStateError');
  expect(await signUp(page, 'dave')).toEqual({ error: 'InvalidStateError' });
  expect((await keyport.lastCeremony()).error.name).toBe('InvalidStateError');
});

test.describe('through the page script', () => {
  // Chromium's WebAuthn proxy raises a timeout below 3 minutes to 3 minutes; through Keyport's page script the
  // relying party's own timeout applies.
  test.use({ door: 'shim' });

  test('simulated timeout: NotAllowedError once the ceremony timeout has passed', async ({ page, keyport }) => {
    await page.goto('/');
    await keyport.simulateNextError('timeout');
    const started = Date.now();
    // The relying party asks for a 10 s timeout (Keyport, like browsers, waits at least 10 s).
    const result = await page.evaluate(() => rp.register('erin', { timeout: 10_000 }).catch((e) => ({ error: e.name })));
    expect(result).toEqual({ error: 'NotAllowedError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
    expect(await keyport.lastCeremony()).toMatchObject({ result: 'error', error: { name: 'NotAllowedError' } });
  });
});

test.describe('with packed attestation', () => {
  test.use({ developerSettings: { attestation: 'packed' } });

  test('the relying party verifies packed self attestation', async ({ page }) => {
    await page.goto('/');
    const registered = await page.evaluate(() => rp.register('frank', { attestation: 'direct' }));
    expect(registered).toMatchObject({ verified: true, fmt: 'packed', aaguid: '6b702d4b-6579-706f-7274-410d9e135c27' });
  });
});

test.describe('without user verification', () => {
  test.use({ isUserVerified: false });

  test('the relying party sees UV = 0, and a sign-up requiring UV fails', async ({ page }) => {
    await page.goto('/');
    expect(await signUp(page, 'grace')).toMatchObject({ verified: true, userVerified: false });
    expect(await signIn(page, 'grace')).toMatchObject({ verified: true, userVerified: false });
    const required = await page.evaluate(() => rp.register('heidi', { userVerification: 'required' }).catch((e) => ({ error: e.name })));
    expect(required).toEqual({ error: 'NotAllowedError' });
  });
});

test('passkey autofill: the sign-in waits for the list, and the choice signs in', async ({ page, keyport }) => {
  await page.goto('/');
  await signUp(page, 'grace');
  await signUp(page, 'judy');
  await page.reload();
  await page.evaluate(() => rp.autofill()); // get({ mediation: 'conditional' }), as a page starts it on load
  await page.click('#username'); // the field has autocomplete="username webauthn": Keyport's list shows under it
  expect(await page.evaluate(() => rp.autofillState)).toBe('pending');
  await keyport.chooseAutofill({ userName: 'judy' });
  await expect.poll(() => page.evaluate(() => rp.autofillState)).toMatchObject({ verified: true, userName: 'judy' });
});

test.describe('with a person at the consent window', () => {
  test.use({ automaticPresenceSimulation: false });

  test('approve signs up and in; cancel refuses', async ({ page, keyport }) => {
    await page.goto('/');
    await page.fill('#username', 'ivan');
    await page.click('#register');
    await keyport.approveConsent();
    expect(await outcome(page)).toMatchObject({ verified: true, userName: 'ivan' });

    await page.click('#login');
    await keyport.cancelConsent();
    expect(await outcome(page)).toEqual({ error: 'NotAllowedError' });
  });
});

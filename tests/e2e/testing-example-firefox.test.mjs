// The example relying-party suite in Firefox, with Keyport's puppeteer helper (@keyport/testing/puppeteer): the same
// scenarios as tests/playwright/example.spec.mjs (Playwright cannot load an extension into Firefox). One Firefox and
// one vault for the file; each test uses its own user names. The relying party is tests/support/rp.mjs
// (@simplewebauthn/server): a page with a user name field, "Register" and "Sign in" buttons, and #status.
// Needs the Firefox build (npm run build:firefox) or KEYPORT_BUILD_DIR. Run: node --test tests/e2e/testing-example-firefox.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { launchKeyportFirefox } from '@keyport/testing/puppeteer';
import { startRelyingParty } from '../support/rp.mjs';
import { makeForeignPasskey } from '../support/foreign.mjs';

let firefox;
let keyport;
let relyingParty;
let page;

before(async () => {
  relyingParty = await startRelyingParty();
  firefox = await launchKeyportFirefox({
    ...(process.env.KEYPORT_BUILD_DIR ? { extensionDir: resolve(process.env.KEYPORT_BUILD_DIR, 'firefox-mv3') } : {}),
    ...(process.env.FIREFOX_PATH ? { executablePath: process.env.FIREFOX_PATH } : {}),
  });
  keyport = firefox.keyport;
  page = await firefox.newPage();
  await page.goto(`${relyingParty.origin}/`);
});

after(async () => {
  await firefox?.close();
  await relyingParty?.close();
});

/** What the page's #status shows once the ceremony has ended: the server's JSON, or { error: DOMException name }. */
async function outcome() {
  await page.waitForFunction(() => !['', '…'].includes(document.querySelector('#status').textContent));
  const text = await page.$eval('#status', (el) => el.textContent);
  return text.startsWith('Error: ') ? { error: text.split(': ')[1] } : JSON.parse(text);
}

async function signUp(userName) {
  await page.$eval('#username', (el, v) => { el.value = v; }, userName);
  await page.click('#register');
  return outcome();
}

async function signIn(userName = '') {
  await page.$eval('#username', (el, v) => { el.value = v; }, userName); // empty: a discoverable sign-in
  await page.click('#login');
  return outcome();
}

test('sign up with a passkey, then sign in with it', async () => {
  const registered = await signUp('alice');
  assert.deepEqual([registered.verified, registered.userName, registered.fmt, registered.userVerified], [true, 'alice', 'none', true]);

  const passkey = (await keyport.getCredentials()).find((c) => c.id === registered.credentialId);
  assert.deepEqual([passkey.rpId, passkey.userName, passkey.isResidentCredential, passkey.signCount], ['localhost', 'alice', true, 0]);

  const signedIn = await signIn('alice');
  assert.deepEqual([signedIn.verified, signedIn.userName, signedIn.credentialId], [true, 'alice', registered.credentialId]);

  const ceremony = await keyport.lastCeremony();
  assert.deepEqual([ceremony.kind, ceremony.result, ceremony.rpId], ['get', 'credential', 'localhost']);
  const authData = ceremony.credential.authenticatorData;
  assert.equal(authData.rpIdHash, createHash('sha256').update('localhost').digest('hex'));
  assert.deepEqual([authData.flags.UP, authData.flags.UV, authData.flags.BE, authData.flags.BS], [true, true, true, false]);
  assert.equal(ceremony.credential.signature.verified, true);
});

test('a passkey made elsewhere and added by the test signs in', async () => {
  const passkey = await makeForeignPasskey({ rpId: 'localhost', userName: 'bob' });
  relyingParty.seedCredential({ userName: 'bob', userId: passkey.userHandle, credentialId: passkey.credentialIdB64, publicKey: passkey.cosePublicKey });
  await keyport.addCredential({
    credentialId: passkey.credentialIdB64,
    rpId: 'localhost',
    privateKey: passkey.pkcs8,
    userHandle: passkey.userHandle,
    userName: 'bob',
  });
  const signedIn = await signIn('bob');
  assert.deepEqual([signedIn.verified, signedIn.credentialId], [true, passkey.credentialIdB64]);
});

test('simulated NotAllowedError: the person refused; no passkey is kept', async () => {
  const before = (await keyport.getCredentials()).length;
  await keyport.simulateNextError('NotAllowedError');
  assert.deepEqual(await signUp('carol'), { error: 'NotAllowedError' });
  assert.equal((await keyport.getCredentials()).length, before);
  assert.equal((await signUp('carol')).verified, true); // once only
});

test('simulated InvalidStateError: the authenticator already holds an excluded passkey', async () => {
  assert.equal((await signUp('dave')).verified, true);
  await keyport.simulateNextError('InvalidStateError');
  assert.deepEqual(await signUp('dave'), { error: 'InvalidStateError' });
  assert.equal((await keyport.lastCeremony()).error.name, 'InvalidStateError');
});

test('simulated timeout: NotAllowedError once the ceremony timeout has passed', async () => {
  await keyport.simulateNextError('timeout');
  const started = Date.now();
  // The relying party asks for a 10 s timeout (Keyport, like browsers, waits at least 10 s).
  const result = await page.evaluate(() => rp.register('erin', { timeout: 10_000 }).catch((e) => ({ error: e.name })));
  assert.deepEqual(result, { error: 'NotAllowedError' });
  assert.ok(Date.now() - started >= 9_500, `answered after ${Date.now() - started} ms`);
});

test('packed attestation, verified by the relying party', async () => {
  await keyport.configure({ attestation: 'packed' });
  try {
    const registered = await page.evaluate(() => rp.register('frank', { attestation: 'direct' }));
    assert.deepEqual([registered.verified, registered.fmt, registered.aaguid], [true, 'packed', '6b702d4b-6579-706f-7274-410d9e135c27']);
  } finally {
    await keyport.configure({ attestation: 'none' });
  }
});

test('without user verification: the relying party sees UV = 0, and a sign-up requiring UV fails', async () => {
  await keyport.setUserVerified(false);
  try {
    const registered = await signUp('grace');
    assert.deepEqual([registered.verified, registered.userVerified], [true, false]);
    const required = await page.evaluate(() => rp.register('heidi', { userVerification: 'required' }).catch((e) => ({ error: e.name })));
    assert.deepEqual(required, { error: 'NotAllowedError' });
  } finally {
    await keyport.setUserVerified(true);
  }
});

test('with a person at the consent window: approve signs up, cancel refuses', async () => {
  await keyport.setAutomaticPresenceSimulation(false);
  try {
    await page.$eval('#username', (el) => { el.value = 'ivan'; });
    await page.click('#register');
    await keyport.approveConsent();
    const registered = await outcome();
    assert.deepEqual([registered.verified, registered.userName], [true, 'ivan']);

    await page.click('#login');
    await keyport.cancelConsent();
    assert.deepEqual(await outcome(), { error: 'NotAllowedError' });
  } finally {
    await keyport.setAutomaticPresenceSimulation(true);
  }
});

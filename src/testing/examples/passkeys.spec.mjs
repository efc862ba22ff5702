// The guide's Playwright example: a relying party's sign-up and sign-in with Keyport as the authenticator, in
// Chromium. Every test gets its own Chromium and a fresh vault. Run: npx playwright test
import { test as keyportTest, expect } from '@keyport/testing/playwright';
import { makePasskey } from '@keyport/testing';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelyingParty } from './relying-party.mjs';

// The relying party, one per worker, as the pages' baseURL.
const test = keyportTest.extend({
  relyingParty: [async ({}, use) => {
    const rp = await startRelyingParty();
    await use(rp);
    await rp.close();
  }, { scope: 'worker' }],
  baseURL: async ({ relyingParty }, use) => use(relyingParty.origin),
});

/** What #status shows once the ceremony has ended: the server's JSON, or { error: DOMException name }. */
async function outcome(page) {
  const status = page.locator('#status');
  await expect(status).not.toHaveText(/^(|…)$/);
  const text = await status.textContent();
  return text.startsWith('Error: ') ? { error: text.slice('Error: '.length) } : JSON.parse(text);
}

async function press(page, button, userName = '') {
  await page.fill('#username', userName);
  await page.click(button);
  return outcome(page);
}

test('sign up with a passkey, then sign in with it', async ({ page, keyport }) => {
  await page.goto('/');
  const registered = await press(page, '#register', 'alice');
  expect(registered).toMatchObject({ verified: true, userName: 'alice', userVerified: true });

  // Playwright's shape: base64url id, user handle, PKCS#8 private key, SPKI public key, signCount.
  const [passkey] = await keyport.credentials.get({ rpId: 'localhost' });
  expect(passkey.id).toBe(registered.credentialId);

  // An empty user name: a discoverable sign-in.
  expect(await press(page, '#login')).toMatchObject({ verified: true, userName: 'alice', credentialId: passkey.id });

  // What Keyport answered, decoded, with the relying party's checks.
  const ceremony = await keyport.lastCeremony();
  expect(ceremony).toMatchObject({ kind: 'get', result: 'credential', rpId: 'localhost' });
  expect(ceremony.credential.authenticatorData.flags).toMatchObject({ UP: true, UV: true });
  expect(ceremony.credential.signature.verified).toBe(true);
});

test('a passkey made by the test, in the site database and in Keyport, signs in', async ({ page, keyport, relyingParty }) => {
  // EdDSA, which Playwright's own authenticator cannot sign with.
  const passkey = makePasskey({ rpId: 'localhost', alg: 'EdDSA' });
  relyingParty.addPasskey({ userName: 'bob', ...passkey });
  await keyport.credentials.create('localhost', passkey);

  await page.goto('/');
  expect(await press(page, '#login', 'bob')).toMatchObject({ verified: true, userName: 'bob', credentialId: passkey.id });
});

test('a refused sign-up: the relying party keeps no passkey', async ({ page, keyport }) => {
  await page.goto('/');
  await keyport.simulateNextError('NotAllowedError');
  expect(await press(page, '#register', 'carol')).toEqual({ error: 'NotAllowedError' });
  expect(await keyport.credentials.get()).toEqual([]);
});

test.describe('with a person at the consent window', () => {
  test.use({ automaticPresenceSimulation: false });

  test('approve signs up; cancel refuses the sign-in', async ({ page, keyport }) => {
    await page.goto('/');
    await page.fill('#username', 'dave');
    await page.click('#register');
    await keyport.approveConsent();
    expect(await outcome(page)).toMatchObject({ verified: true, userName: 'dave' });

    await page.click('#login');
    await keyport.cancelConsent();
    expect(await outcome(page)).toEqual({ error: 'NotAllowedError' });
  });
});

test.describe('register once, sign in many times', () => {
  test.describe.configure({ mode: 'serial' });
  const state = join(tmpdir(), `keyport-state-${process.pid}.json`);

  test('register and save the vault', async ({ page, keyport }) => {
    await page.goto('/');
    expect(await press(page, '#register', 'erin')).toMatchObject({ verified: true });
    await keyport.saveState(state);
  });

  test.describe(() => {
    test.use({ keyportState: state });

    test('a later test starts from the saved vault', async ({ page }) => {
      await page.goto('/');
      expect(await press(page, '#login', 'erin')).toMatchObject({ verified: true, userName: 'erin' });
    });
  });
});

// The guide's Firefox example: the same relying party with Keyport in Firefox, through puppeteer-core and node:test
// (Playwright cannot load an extension into Firefox). One Firefox and one vault for the file; each test uses its own
// user names. FIREFOX_PATH points at a Firefox other than /usr/bin/firefox-esr. Run: node --test firefox.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchKeyportFirefox } from '@keyport/testing/puppeteer';
import { makePasskey } from '@keyport/testing';
import { startRelyingParty } from './relying-party.mjs';

let firefox;
let keyport;
let relyingParty;
let page;

before(async () => {
  relyingParty = await startRelyingParty();
  firefox = await launchKeyportFirefox(process.env.FIREFOX_PATH ? { executablePath: process.env.FIREFOX_PATH } : {});
  keyport = firefox.keyport;
  page = await firefox.newPage();
  await page.goto(`${relyingParty.origin}/`);
});

after(async () => {
  await firefox?.close();
  await relyingParty?.close();
});

/** Types a user name, presses a button, and returns what #status shows: the server's JSON or { error }. */
async function press(button, userName = '') {
  await page.$eval('#username', (el, v) => { el.value = v; }, userName);
  await page.click(button);
  await page.waitForFunction(() => !['', '…'].includes(document.querySelector('#status').textContent));
  const text = await page.$eval('#status', (el) => el.textContent);
  return text.startsWith('Error: ') ? { error: text.slice('Error: '.length) } : JSON.parse(text);
}

test('sign up with a passkey, then sign in with it', async () => {
  const registered = await press('#register', 'alice');
  assert.deepEqual([registered.verified, registered.userName], [true, 'alice']);

  const [passkey] = await keyport.credentials.get({ id: registered.credentialId });
  assert.equal(passkey.rpId, 'localhost');

  const signedIn = await press('#login', 'alice');
  assert.deepEqual([signedIn.verified, signedIn.credentialId], [true, passkey.id]);
  assert.equal((await keyport.lastCeremony()).credential.signature.verified, true);
});

test('a passkey made by the test, in the site database and in Keyport, signs in', async () => {
  const passkey = makePasskey({ rpId: 'localhost', alg: 'RS256' });
  relyingParty.addPasskey({ userName: 'bob', ...passkey });
  await keyport.credentials.create('localhost', passkey);
  assert.deepEqual(await press('#login', 'bob'), { verified: true, userName: 'bob', credentialId: passkey.id, signCount: 0 });
});

test('a refused sign-up: the relying party keeps no passkey', async () => {
  await keyport.simulateNextError('NotAllowedError');
  assert.deepEqual(await press('#register', 'carol'), { error: 'NotAllowedError' });
  assert.equal(relyingParty.users.get('carol').passkeys.length, 0);
});

// Smoke test of the E2E infrastructure itself (tests/support/*), and of where the shim answers.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/infra.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelyingParty, frameUrl } from '../support/rp.mjs';
import { makeCert, chromiumCertArgs, firefoxCertPrefs } from '../support/certs.mjs';
import { resolve } from 'node:path';
import { CHROME_BUILD, launchChromium, launchFirefox, launchChromiumWithVirtualAuthenticator } from '../support/browsers.mjs';

const cert = makeCert(['example.test', '*.example.test', 'login.example.test']);
/** @type {import('../support/rp.mjs').RelyingParty} */ let rp;
/** @type {import('../support/rp.mjs').RelyingParty} */ let rpTls;

before(async () => {
  rp = await startRelyingParty();
  rpTls = await startRelyingParty({ https: cert, host: 'login.example.test', rpID: 'example.test' });
});
after(async () => {
  await rp?.close();
  await rpTls?.close();
});

/**
 * Where Keyport's shim answers: the top frame, and iframes the page creates. Behavioural: with Keyport set
 * up, auto-approving, and answering through the shim (Chromium: the proxy holder takes the proxy), a
 * navigator.credentials.create() of that realm returns a credential of that realm carrying Keyport's
 * AAGUID. Without the shim the request would reach the browser's own WebAuthn, which has no authenticator
 * here and waits (reported as 'timeout').
 * @param {any} page playwright or puppeteer page, already on an RP page
 */
const shimCoverage = (page) => page.evaluate(async () => {
  const KEYPORT_AAGUID = '6b702d4b6579706f7274410d9e135c27';
  const answeredByKeyport = async (w) => {
    const create = w.navigator.credentials.create({ publicKey: {
      challenge: crypto.getRandomValues(new Uint8Array(32)),
      rp: { name: 'infra' },
      user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'infra', displayName: 'infra' },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    } });
    const cred = await Promise.race([create, new Promise((r) => setTimeout(() => r('timeout'), 5000))]).catch((e) => e.name);
    if (typeof cred === 'string') return cred;
    const authData = new Uint8Array(cred.response.getAuthenticatorData());
    const aaguid = [...authData.slice(37, 53)].map((b) => b.toString(16).padStart(2, '0')).join('');
    return cred instanceof w.PublicKeyCredential && aaguid === KEYPORT_AAGUID;
  };
  const frame = (setup) => new Promise((resolve) => {
    const f = document.createElement('iframe');
    setup(f);
    f.onload = () => resolve(answeredByKeyport(f.contentWindow));
    document.body.append(f);
  });
  const initial = document.createElement('iframe'); // initial about:blank, used synchronously
  document.body.append(initial);
  const aboutBlankInitial = answeredByKeyport(initial.contentWindow);
  return {
    top: await answeredByKeyport(window),
    aboutBlankInitial: await aboutBlankInitial,
    aboutBlank: await frame((f) => { f.src = 'about:blank'; }),
    srcdoc: await frame((f) => { f.srcdoc = '<p>srcdoc</p>'; }),
    blob: await frame((f) => { f.src = URL.createObjectURL(new Blob(['<p>blob</p>'], { type: 'text/html' })); }),
  };
});

/** One Argon2id setup, then auto-approve: every create answers at once. */
async function setUpKeyport(browser) {
  await browser.evalBackground(() => passkeyVault.setup({ password: 'infra test password' }));
  await browser.evalBackground(() => passkeyVault.configure({ autoApprove: true, userVerified: true }));
  const status = await browser.evalBackground(() => passkeyVault.status());
  assert.deepEqual([status.setUp, status.unlocked, status.door], [true, true, 'shim'], JSON.stringify(status));
}

/**
 * The (playwright or puppeteer) frame of `page` whose URL starts with `origin`, once window.rp exists.
 * @param {any} page
 * @param {string} origin
 */
async function waitForFrame(page, origin) {
  for (let i = 0; i < 100; i++, await new Promise((r) => setTimeout(r, 50))) {
    const frame = page.frames().find((f) => f.url().startsWith(origin));
    if (frame && (await frame.evaluate(() => !!window.rp).catch(() => false))) return frame;
  }
  throw new Error(`no frame for ${origin}`);
}

const ALL_COVERED = { top: true, aboutBlankInitial: true, aboutBlank: true, srcdoc: true, blob: true };

for (const [name, launch] of /** @type {[string, () => Promise<any>][]} */ ([
  // The proxy holder takes Chromium's WebAuthn proxy, so that Keyport answers through its shim.
  ['chromium', () => launchChromium({ args: chromiumCertArgs(cert), extensions: [CHROME_BUILD, resolve('tests/support/proxy-holder')] })],
  ['firefox', () => launchFirefox({ prefs: firefoxCertPrefs(cert) })],
])) {
  test(`${name}: extension loads, shim runs everywhere, background reachable`, async (t) => {
    const browser = await launch();
    t.after(() => browser.close());

    assert.equal((await browser.evalBackground(() => passkeyVault.status())).setUp, false);
    assert.deepEqual(await browser.evalBackground((x) => ({ got: x }), { a: [1, 2] }), { got: { a: [1, 2] } });
    await setUpKeyport(browser);

    const page = await browser.newPage();
    await page.goto(`${rp.origin}/`);
    assert.deepEqual(await shimCoverage(page), ALL_COVERED, 'http://localhost');

    await page.goto(`${rpTls.origin}/`);
    assert.equal(await page.evaluate(() => location.origin), rpTls.origin);
    assert.deepEqual(await shimCoverage(page), ALL_COVERED, rpTls.origin);

    // Cross-site iframe (https://login.example.test inside http://localhost).
    await page.goto(frameUrl(rp.origin, `${rpTls.origin}/`));
    const frame = await waitForFrame(page, rpTls.origin);
    assert.deepEqual(await frame.evaluate(async () => {
      const cred = await navigator.credentials.create({ publicKey: {
        challenge: crypto.getRandomValues(new Uint8Array(32)), rp: { name: 'infra' },
        user: { id: new Uint8Array([1]), name: 'infra', displayName: 'infra' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      } });
      return JSON.parse(new TextDecoder().decode(/** @type {PublicKeyCredential} */ (cred).response.clientDataJSON)).crossOrigin;
    }), true, 'cross-site iframe');
  });
}

test('virtual-authenticator chromium: register + login verified by the RP', async (t) => {
  const ref = await launchChromiumWithVirtualAuthenticator({ args: chromiumCertArgs(cert) });
  t.after(() => ref.close());

  for (const server of [rp, rpTls]) {
    await ref.page.goto(`${server.origin}/`);
    const reg = await ref.page.evaluate(() => window.rp.register('alice', { residentKey: 'required' }));
    assert.equal(reg.verified, true, JSON.stringify(reg));
    assert.equal(reg.origin, server.origin);

    const login = await ref.page.evaluate(() => window.rp.login('alice'));
    assert.deepEqual([login.verified, login.userName, login.credentialId], [true, 'alice', reg.credentialId]);
    const discoverable = await ref.page.evaluate(() => window.rp.login());
    assert.equal(discoverable.userName, 'alice');

    // excludeCredentials: a second registration on the same authenticator must fail.
    const dup = await ref.page.evaluate(() =>
      window.rp.register('alice', { excludeCredentials: true }).catch((e) => ({ rejected: e })));
    assert.equal(dup.rejected?.name, 'InvalidStateError', JSON.stringify(dup));
  }

  // Same-site, cross-origin iframe: WebAuthn delegated with the allow attribute.
  const rpB = await startRelyingParty();
  t.after(() => rpB.close());
  await ref.page.goto(frameUrl(rp.origin, `${rpB.origin}/`));
  const frame = await waitForFrame(ref.page, rpB.origin);
  assert.equal((await frame.evaluate(() => window.rp.register('carol'))).verified, true);
  // (not discoverable: rpID 'localhost' is shared with rp, whose alice would be offered too)
  const framed = await frame.evaluate(() => window.rp.login('carol'));
  assert.deepEqual([framed.verified, framed.userName, framed.topOrigin], [true, 'carol', rp.origin]);

  assert.equal((await ref.getCredentials()).length, 3);
});

// The testing package (src/testing, `@keyport/testing`): Keyport as a virtual authenticator for relying-party tests.
// First the credential shapes in plain Node, then every helper in Chromium (Playwright) and Firefox (puppeteer)
// against tests/support/rp.mjs, whose @simplewebauthn/server verifies each ceremony. Passkeys added by test code come
// from tests/support/foreign.mjs, which shares no code with Keyport.
// Needs the builds (npm run build:all) or KEYPORT_BUILD_DIR. Run: node --test tests/e2e/testing-fixture.test.mjs

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { launchKeyportChromium } from '@keyport/testing/chromium';
import { launchKeyportFirefox } from '@keyport/testing/puppeteer';
import { keyportAuthenticator } from '@keyport/testing';
import { toAutomationCredential, toBytes, toKeyportCredential } from '../../src/testing/credentials.js';
import { startRelyingParty } from '../support/rp.mjs';
import { makeForeignPasskey } from '../support/foreign.mjs';

const build = process.env.KEYPORT_BUILD_DIR ? resolve(process.env.KEYPORT_BUILD_DIR) : undefined;
const TARGETS = [
  {
    name: 'chromium',
    launch: () => launchKeyportChromium({
      ...(build ? { extensionDir: resolve(build, 'chrome-mv3') } : {}),
      ...(process.env.CHROMIUM_PATH ? { executablePath: process.env.CHROMIUM_PATH } : {}),
    }),
  },
  {
    name: 'firefox',
    launch: () => launchKeyportFirefox({
      ...(build ? { extensionDir: resolve(build, 'firefox-mv3') } : {}),
      ...(process.env.FIREFOX_PATH ? { executablePath: process.env.FIREFOX_PATH } : {}),
    }),
  },
];

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const b64url = (bytes) => Buffer.from(bytes).toString('base64url');

describe('credential shapes (no browser)', () => {
  const id = Uint8Array.from([0xfb, 0xff, 0x01, 0x02, 0x03, 0xfe]); // "+/8BAgP+" in base64, "-_8BAgP-" in base64url
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));

  test('CDP (base64), toJSON (base64url) and byte forms give the same credential, base64url to Keyport', async () => {
    const expected = { credentialId: '-_8BAgP-', rpId: 'example.com', privateKey: b64url(pkcs8), userHandle: 'AQID', isResidentCredential: false, signCount: 7 };
    const forms = [
      { credentialId: '+/8BAgP+', privateKey: b64(pkcs8), userHandle: 'AQID' },
      { credentialId: '-_8BAgP-', privateKey: b64url(pkcs8), userHandle: 'AQID' },
      { credentialId: id, privateKey: pkcs8, userHandle: Uint8Array.of(1, 2, 3) },
      { credentialId: id.buffer.slice(0), privateKey: new DataView(pkcs8.buffer), userHandle: Buffer.from([1, 2, 3]) },
      { credentialId: ' +/8BAgP+ ', privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }), userHandle: 'AQID==' },
      { credentialId: id, privateKey, userHandle: 'AQID' }, // a node:crypto KeyObject
    ];
    for (const form of forms) {
      assert.deepEqual(await toAutomationCredential({ rpId: 'example.com', isResidentCredential: false, signCount: 7, ...form }), expected);
    }
  });

  test('a WebCrypto CryptoKey gives its PKCS#8 bytes; a non-extractable or public key is refused', async () => {
    const pair = /** @type {CryptoKeyPair} */ (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']));
    const exported = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
    const c = await toAutomationCredential({ credentialId: 'AAAA', rpId: 'example.com', privateKey: pair.privateKey });
    assert.equal(c.privateKey, b64url(exported));
    const sealed = /** @type {CryptoKeyPair} */ (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']));
    await assert.rejects(toAutomationCredential({ credentialId: 'AAAA', rpId: 'example.com', privateKey: sealed.privateKey }), /privateKey is a CryptoKey that is not extractable/);
    await assert.rejects(toAutomationCredential({ credentialId: 'AAAA', rpId: 'example.com', privateKey: pair.publicKey }), /privateKey must be a private key, got a public CryptoKey/);
  });

  test('wrong input is refused, naming the field', async () => {
    const ok = { credentialId: 'AAAA', rpId: 'example.com', privateKey: pkcs8 };
    /** @type {Array<[any, RegExp]>} wrong input on purpose */
    const cases = [
      [{ ...ok, credentialId: undefined }, /credentialId \(or id\) is missing/],
      [{ ...ok, credentialId: 'not base64!' }, /credentialId is not base64 or base64url text/],
      [{ ...ok, credentialId: 'ab+_' }, /credentialId is not base64 or base64url text/], // two alphabets
      [{ ...ok, credentialId: 'abcde' }, /credentialId is not base64 or base64url text/], // a dangling character
      [{ ...ok, credentialId: 42 }, /credentialId must be bytes .* got number 42/],
      [{ ...ok, rpId: '' }, /rpId must be a domain name/],
      [{ ...ok, privateKey: undefined }, /privateKey \(PKCS#8\) is missing/],
      [{ ...ok, privateKey: '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----' }, /PEM but not "PRIVATE KEY"/],
      [{ ...ok, signCount: -1 }, /signCount must be an integer/],
      [{ ...ok, isResidentCredential: 'yes' }, /isResidentCredential must be true or false/],
      [{ ...ok, userName: 5 }, /userName must be a string/],
      [{ ...ok, privatekey: 'AAAA' }, /unknown field privatekey/],
      [null, /the credential must be an object, got null/],
    ];
    for (const [input, message] of cases) await assert.rejects(toAutomationCredential(input), message, JSON.stringify(input));
    assert.throws(() => toBytes({}, 'userHandle'), /userHandle must be bytes/);
  });

  test("getCredentials' entries: base64url throughout, keys beside each other; a listed passkey can be added again", async () => {
    const meta = { id: '-_8BAgP-', rpId: 'example.com', userName: 'alice', userDisplayName: 'Alice', userHandle: 'AQID', alg: -7, isResidentCredential: true, backedUp: false, signCount: 3, createdAt: 1000, lastUsedAt: 2000, privateKey: b64url(pkcs8) };
    const v = toKeyportCredential(meta);
    const spki = b64url(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
    assert.deepEqual(v, { id: '-_8BAgP-', rpId: 'example.com', userHandle: 'AQID', signCount: 3, isResidentCredential: true, userName: 'alice', userDisplayName: 'Alice', alg: -7, backupState: false, createdAt: 1000, lastUsedAt: 2000, privateKey: b64url(pkcs8), publicKey: spki });
    assert.equal(toKeyportCredential({ ...meta, userHandle: '' }).userHandle, '');
    const again = await toAutomationCredential(v);
    assert.deepEqual(again, { credentialId: '-_8BAgP-', rpId: 'example.com', privateKey: b64url(pkcs8), userHandle: 'AQID', isResidentCredential: true, signCount: 3, userName: 'alice', userDisplayName: 'Alice' });
  });

  test("the READMEs' examples are excerpts of the files they name", () => {
    const read = (path) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    const section = read('README.md').split('\n## Testing your relying party with Keyport\n')[1]?.split('\n## ')[0];
    assert.ok(section, 'the README section');
    const blocks = [
      ...[...section.matchAll(/```js\n\/\/ (src\/testing\/examples\/\S+)\n([\s\S]*?)```/g)].map(([, path, code]) => [path, code]),
      ...[...read('src/testing/README.md').matchAll(/```js\n\/\/ (examples\/\S+)\n([\s\S]*?)```/g)].map(([, path, code]) => [`src/testing/${path}`, code]),
    ];
    assert.ok(blocks.length >= 7, `${blocks.length} examples`);
    for (const [path, code] of blocks) assert.ok(read(path).includes(code), `README example from ${path} is not in that file:\n${code}`);
  });

  test('keyportAuthenticator calls passkeyVault with JSON arguments and no undefined ones', async () => {
    const calls = [];
    const passkeyVault = new Proxy({}, { get: (_, method) => async (...args) => (calls.push([method, args]), method === 'getCredentials' ? [] : null) });
    // The real evalBackground runs fn in the background, where passkeyVault is a global; here it is a local.
    // From fn's source text, as there: a function that used anything of its module's would fail here too.
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiling fn's source text is the point
    const evalBackground = async (fn, arg) => new Function('passkeyVault', `return (${fn})(${JSON.stringify(arg)})`)(passkeyVault);
    const keyport = keyportAuthenticator(evalBackground);
    await keyport.lastCeremony();
    await keyport.ceremonies({ origins: ['https://example.com'] });
    await keyport.setUserVerified(false);
    await keyport.setAutomaticPresenceSimulation(true);
    await keyport.removeCredential(id);
    assert.deepEqual(await keyport.getCredentials(), []);
    assert.deepEqual(calls, [
      ['lastCeremony', []],
      ['ceremonies', [{ origins: ['https://example.com'] }]],
      ['configure', [{ userVerified: false }]],
      ['configureDeveloper', [{ userVerification: 'off' }]],
      ['configure', [{ autoApprove: true }]],
      ['configureDeveloper', [{ autoApprove: true }]],
      ['removeCredential', ['-_8BAgP-']],
      ['getCredentials', [{ includePrivateKeys: false }]],
    ]);
    // @ts-expect-error: a string where a boolean belongs, on purpose
    await assert.rejects(keyport.setUserVerified('no'), /setUserVerified must be true or false/);
    await assert.rejects(keyport.unlock(), /unlock: no password given/);
  });
});

/** Every relying-party check in a decoded ceremony record, wherever it sits. */
function checksOf(node, out = []) {
  if (Array.isArray(node)) for (const x of node) checksOf(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'checks' && Array.isArray(v)) out.push(...v);
      else checksOf(v, out);
    }
  }
  return out;
}

/** Runs rp.* in the page: {ok} with the relying party's verify result, or {err: {name, message}}. */
const inPage = (page, fn, arg) =>
  page.evaluate(({ src, arg }) => (0, eval)(`(${src})`)(arg).then((ok) => ({ ok }), (e) => ({ err: { name: e?.name, message: String(e?.message ?? e) } })), { src: String(fn), arg });

function verified(r, what) {
  assert.ok(r.ok, `${what}: ${JSON.stringify(r.err)}`);
  assert.equal(r.ok.verified, true, `${what}: ${JSON.stringify(r.ok)}`);
  return r.ok;
}

for (const target of TARGETS) {
  describe(`testing package in ${target.name}`, () => {
    /** @type {Awaited<ReturnType<typeof launchKeyportChromium>> | Awaited<ReturnType<typeof launchKeyportFirefox>>} */
    let b;
    let rp;
    let page;
    let keyport;
    let es256;
    let eddsa;

    before(async () => {
      rp = await startRelyingParty();
      b = await target.launch();
      keyport = b.keyport;
      page = await b.newPage();
      await page.goto(`${rp.origin}/`);
    });
    after(async () => {
      await b?.close();
      await rp?.close();
    });

    test('a fresh vault: set up, unlocked, developer mode on, no passkeys', async () => {
      const s = await keyport.status();
      assert.deepEqual([s.setUp, s.unlocked, s.developer, s.passkeys], [true, true, true, 0]);
      assert.equal(typeof keyport.password, 'string');
      assert.deepEqual(await keyport.getCredentials(), []);
      assert.equal(await keyport.lastCeremony(), null);
    });

    test('addCredential: a passkey made elsewhere, in the toJSON / PKCS#8 form, signs in', async () => {
      es256 = await makeForeignPasskey({ alg: 'ES256', rpId: 'localhost', userName: 'ext-es256' });
      rp.seedCredential({ userName: es256.userName, userId: es256.userHandle, credentialId: es256.credentialIdB64, publicKey: es256.cosePublicKey });
      const id = await keyport.addCredential({
        credentialId: es256.credentialIdB64, // base64url, as PublicKeyCredential.toJSON().id
        rpId: 'localhost',
        privateKey: es256.pkcs8, // PKCS#8 bytes
        userHandle: es256.userHandle,
        userName: es256.userName,
      });
      assert.equal(id, es256.credentialIdB64);
      const login = verified(await inPage(page, (u) => rp.login(u), es256.userName), 'sign-in with the added passkey');
      assert.deepEqual([login.userName, login.credentialId], [es256.userName, es256.credentialIdB64]);
    });

    test('addCredential: the CDP shape (base64), with a signature counter that developer mode counts on', async () => {
      eddsa = await makeForeignPasskey({ alg: 'EdDSA', rpId: 'localhost', userName: 'ext-eddsa' });
      rp.seedCredential({ userName: eddsa.userName, userId: eddsa.userHandle, credentialId: eddsa.credentialIdB64, publicKey: eddsa.cosePublicKey, counter: 41 });
      await keyport.addCredential({
        credentialId: b64(eddsa.credentialId),
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: b64(eddsa.pkcs8),
        userHandle: b64(eddsa.userHandle),
        signCount: 41,
      });
      await keyport.configure({ counter: { mode: 'increment' } });
      try {
        const login = verified(await inPage(page, (u) => rp.login(u), eddsa.userName), 'sign-in with the CDP-shaped passkey');
        assert.deepEqual([login.credentialId, login.newCounter], [eddsa.credentialIdB64, 42]);
        assert.equal((await keyport.getCredential(eddsa.credentialIdB64)).signCount, 42);
      } finally {
        await keyport.configure({ counter: { mode: 'zero' } });
      }
    });

    test('getCredentials: base64url throughout; private keys only when asked, and they are the keys added', async () => {
      const list = await keyport.getCredentials();
      assert.equal(list.length, 2);
      const byId = new Map(list.map((c) => [c.id, c]));
      const a = byId.get(es256.credentialIdB64);
      assert.deepEqual(
        { id: a.id, isResidentCredential: a.isResidentCredential, rpId: a.rpId, userHandle: a.userHandle, signCount: a.signCount, userName: a.userName, alg: a.alg },
        { id: b64url(es256.credentialId), isResidentCredential: true, rpId: 'localhost', userHandle: b64url(es256.userHandle), signCount: 0, userName: 'ext-es256', alg: -7 },
      );
      assert.equal(byId.get(eddsa.credentialIdB64).alg, -8);
      assert.ok(list.every((c) => !('privateKey' in c)));
      const withKeys = new Map((await keyport.getCredentials({ includePrivateKeys: true })).map((c) => [c.id, c.privateKey]));
      assert.equal(withKeys.get(es256.credentialIdB64), b64url(es256.pkcs8));
      assert.equal(withKeys.get(eddsa.credentialIdB64), b64url(eddsa.pkcs8));
    });

    test('addCredential refuses a duplicate id and a key that is not PKCS#8, saying why', async () => {
      await assert.rejects(keyport.addCredential({ credentialId: es256.credentialId, rpId: 'localhost', privateKey: es256.pkcs8 }), /already in the vault/);
      await assert.rejects(keyport.addCredential({ credentialId: 'AQIDBA', rpId: 'localhost', privateKey: 'AQIDBA' }), /^TypeError: addCredential: privateKey is not a PKCS#8 \(DER\) private key/);
      assert.equal((await keyport.getCredentials()).length, 2);
    });

    test('setUserVerified(false): the relying party sees UV = 0, a request requiring UV fails; true: UV = 1 again', async () => {
      await keyport.setUserVerified(false);
      try {
        const reg = verified(await inPage(page, (u) => rp.register(u), 'uv-off'), 'register without UV');
        assert.equal(reg.userVerified, false);
        assert.equal((await keyport.lastCeremony()).credential.authenticatorData.flags.UV, false);
        const login = verified(await inPage(page, (u) => rp.login(u), 'uv-off'), 'sign-in without UV');
        assert.equal(login.userVerified, false);
        const required = await inPage(page, (u) => rp.login(u, { userVerification: 'required' }), 'uv-off');
        assert.equal(required.err?.name, 'NotAllowedError', JSON.stringify(required));
      } finally {
        await keyport.setUserVerified(true);
      }
      const login = verified(await inPage(page, (u) => rp.login(u, { userVerification: 'required' }), 'uv-off'), 'sign-in with UV');
      assert.equal(login.userVerified, true);
    });

    test('setAutomaticPresenceSimulation(false): the consent window asks; approve creates and signs in, cancel refuses', async () => {
      await keyport.setAutomaticPresenceSimulation(false);
      try {
        const pending = inPage(page, (u) => rp.register(u), 'windowed');
        const { state } = await keyport.waitForConsent();
        assert.equal(state.kind, 'create');
        await keyport.approveConsent();
        const reg = verified(await pending, 'register through the consent window');

        // A discoverable sign-in offers every passkey for localhost: choose this one.
        const login = inPage(page, () => rp.login());
        await keyport.approveConsent({ credentialId: reg.credentialId });
        assert.deepEqual([verified(await login, 'sign-in through the consent window').credentialId], [reg.credentialId]);

        const refused = inPage(page, (u) => rp.login(u), 'windowed');
        await keyport.cancelConsent();
        assert.equal((await refused).err?.name, 'NotAllowedError');
      } finally {
        await keyport.setAutomaticPresenceSimulation(true);
      }
      for (const deadline = Date.now() + 5000; (await keyport.consentPages()).length > 0; ) {
        assert.ok(Date.now() < deadline, 'a consent window was left open');
        await new Promise((r) => setTimeout(r, 100));
      }
      verified(await inPage(page, (u) => rp.login(u), 'windowed'), 'sign-in without a window again');
    });

    test('a locked vault: approveConsent unlocks from the window with the password, then approves', async () => {
      await keyport.lock();
      assert.equal((await keyport.status()).unlocked, false);
      const pending = inPage(page, (u) => rp.login(u), 'windowed');
      await keyport.approveConsent();
      verified(await pending, 'sign-in after unlocking in the window');
      assert.equal((await keyport.status()).unlocked, true);
    });

    test('lastCeremony: the registration and the assertion decoded, every relying-party check passing', async () => {
      await keyport.clearCeremonies();
      const reg = verified(await inPage(page, (u) => rp.register(u), 'inspected'), 'register');
      const create = await keyport.lastCeremony();
      assert.deepEqual([create.kind, create.origin, create.rpId, create.result], ['create', rp.origin, 'localhost', 'credential']);
      const ad = create.credential.authenticatorData;
      assert.equal(ad.rpIdHash, createHash('sha256').update('localhost').digest('hex'));
      assert.deepEqual(ad.flags, { byte: '0x4d', UP: true, UV: true, BE: true, BS: false, AT: true, ED: false });
      assert.equal(ad.attestedCredentialData.credentialId, reg.credentialId);
      assert.equal(create.credential.clientData.origin, rp.origin);
      assert.ok(checksOf(create).some((c) => c.name === 'rpIdHash is SHA-256("localhost")' && c.ok));
      assert.deepEqual(checksOf(create).filter((c) => !c.ok), []);

      verified(await inPage(page, (u) => rp.login(u), 'inspected'), 'sign in');
      const get = await keyport.lastCeremony();
      assert.deepEqual([get.kind, get.result, get.credential.id], ['get', 'credential', reg.credentialId]);
      assert.equal(get.credential.authenticatorData.flags.AT, false);
      assert.equal(get.credential.signature.verified, true);
      assert.deepEqual(checksOf(get).filter((c) => !c.ok), []);
      assert.deepEqual((await keyport.ceremonies()).map((c) => c.kind), ['create', 'get']);
      assert.deepEqual(await keyport.ceremonies({ origins: ['https://elsewhere.example'] }), []);
    });

    test('simulateNextError: NotAllowedError and InvalidStateError reach the page, once each, and are recorded', async () => {
      for (const name of ['NotAllowedError', 'InvalidStateError']) {
        await keyport.simulateNextError(name);
        const r = await inPage(page, (u) => rp.register(u), `simulated-${name}`);
        assert.equal(r.err?.name, name, JSON.stringify(r));
        const record = await keyport.lastCeremony();
        assert.deepEqual([record.result, record.error.name], ['error', name]);
        verified(await inPage(page, (u) => rp.register(u), `simulated-${name}`), 'the next ceremony');
      }
      await assert.rejects(keyport.simulateNextError('SecurityError'), /unknown error/);
    });

    test('removeCredential and clearCredentials', async () => {
      assert.equal(await keyport.removeCredential(b64(eddsa.credentialId)), true);
      assert.equal(await keyport.removeCredential(eddsa.credentialIdB64), false);
      assert.equal(await keyport.getCredential(eddsa.credentialId), undefined);
      const count = (await keyport.getCredentials()).length;
      assert.ok(count >= 4);
      assert.equal(await keyport.clearCredentials(), count);
      assert.deepEqual(await keyport.getCredentials(), []);
      assert.equal((await keyport.status()).passkeys, 0);
    });
  });
}

describe('testing package in chromium, through the page script', () => {
  test("door: 'shim' loads a proxy holder first; Keyport answers through its page script", async () => {
    const rp = await startRelyingParty();
    const b = await launchKeyportChromium({ ...(build ? { extensionDir: resolve(build, 'chrome-mv3') } : {}), door: 'shim' });
    try {
      assert.equal((await b.keyport.status()).door, 'shim');
      const page = await b.newPage();
      await page.goto(`${rp.origin}/`);
      const reg = verified(await inPage(page, (u) => window.rp.register(u, { timeout: 10_000 }), 'shim-user'), 'register through the shim');
      verified(await inPage(page, (u) => window.rp.login(u), 'shim-user'), 'sign in through the shim');
      // The page's own timeout reaches Keyport here (the proxy would have made it at least 180000).
      assert.equal((await b.keyport.ceremonies())[0].options.timeout, 10_000);
      assert.equal((await b.keyport.getCredentials())[0].id, reg.credentialId);
    } finally {
      await b.close();
      await rp.close();
    }
  });
});

// @keyport/testing's checks of test input, in plain Node: a malformed key, a wrong encoding, an rpId that is a public
// suffix, an extension folder that is not Keyport's, a broken state file. Each is an error naming the argument,
// thrown before any browser starts (the launches are given a browserType / executablePath that would fail loudly
// if they were reached). Run: node --test tests/e2e/testing-input.test.mjs
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePasskey, checkRpId, checkExtensionDir, readState } from '@keyport/testing';
import { launchKeyportChromium } from '@keyport/testing/chromium';
import { launchKeyportFirefox } from '@keyport/testing/puppeteer';
import { toCreateRequest } from '../../src/testing/credentials.js';

const b64url = (b) => Buffer.from(b).toString('base64url');
const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pkcs8 = es256.privateKey.export({ format: 'der', type: 'pkcs8' });
const spki = es256.publicKey.export({ format: 'der', type: 'spki' });
const build = process.env.KEYPORT_BUILD_DIR ? resolve(process.env.KEYPORT_BUILD_DIR) : resolve('.output');

/** A browserType that fails the test if a launch reaches it. @type {any} a stub of the one method used */
const noBrowser = { launchPersistentContext: () => assert.fail('a browser was started') };

describe('makePasskey', () => {
  test('a fresh passkey in Playwright\'s shape, whose keys sign and verify, for each algorithm', () => {
    /** @type {Array<[import('../../src/testing/keys.js').AlgorithmName, number]>} */
    const algorithms = [['ES256', -7], ['EdDSA', -8], ['RS256', -257], [-7, -7]];
    for (const [alg, cose] of algorithms) {
      const p = makePasskey({ rpId: 'example.com', alg });
      assert.deepEqual(Object.keys(p), ['id', 'rpId', 'userHandle', 'privateKey', 'publicKey', 'signCount', 'alg', 'cosePublicKey']);
      assert.deepEqual([p.rpId, p.signCount, p.alg], ['example.com', 0, cose]);
      for (const field of ['id', 'userHandle', 'privateKey', 'publicKey', 'cosePublicKey']) assert.match(p[field], /^[A-Za-z0-9_-]+$/, field);
      const hash = cose === -8 ? null : 'sha256';
      /** @type {import('node:crypto').PrivateKeyInput} */
      const key = { key: Buffer.from(p.privateKey, 'base64url'), format: 'der', type: 'pkcs8' };
      const pub = createPublicKey({ key: Buffer.from(p.publicKey, 'base64url'), format: 'der', type: 'spki' });
      assert.ok(verify(hash, Buffer.from('x'), pub, sign(hash, Buffer.from('x'), key)), `${alg} signs`);
    }
    assert.equal(makePasskey({ rpId: 'example.com', userHandle: 'AQID' }).userHandle, 'AQID');
    assert.notEqual(makePasskey({ rpId: 'example.com' }).id, makePasskey({ rpId: 'example.com' }).id);
  });

  test('its COSE_Key is the one a relying party stores (ES256: kty 2, alg -7, crv 1, x, y)', () => {
    const p = makePasskey({ rpId: 'example.com' });
    const jwk = createPublicKey({ key: Buffer.from(p.publicKey, 'base64url'), format: 'der', type: 'spki' }).export({ format: 'jwk' });
    const cose = Buffer.from(p.cosePublicKey, 'base64url');
    const x = Buffer.from(jwk.x, 'base64url');
    const y = Buffer.from(jwk.y, 'base64url');
    assert.deepEqual(cose, Buffer.concat([Buffer.from('a5010203262001215820', 'hex'), x, Buffer.from('225820', 'hex'), y]));
  });

  test('bad options are refused, naming the option', () => {
    /** @type {Array<[any, RegExp]>} wrong input on purpose */
    const cases = [
      [{ rpId: 'com' }, /makePasskey: rpId "com" is a public suffix/],
      [{ rpId: 'co.uk' }, /makePasskey: rpId "co.uk" is a public suffix/],
      [{ rpId: 'github.io' }, /makePasskey: rpId "github.io" is a public suffix/],
      [{ rpId: 'https://example.com' }, /makePasskey: rpId "https:\/\/example.com" is not a domain name/],
      [{ rpId: 'Example.com' }, /makePasskey: rpId must be lower case/],
      [{ rpId: '192.168.1.1' }, /makePasskey: rpId "192.168.1.1" is an IP address/],
      [{ rpId: '::1' }, /makePasskey: rpId "::1" is an IP address/],
      [{}, /makePasskey: rpId must be a domain name/],
      [{ rpId: 'example.com', alg: 'P-256' }, /makePasskey: alg must be 'ES256' \(-7\), 'EdDSA' \(-8\) or 'RS256' \(-257\), got "P-256"/],
      [{ rpId: 'example.com', userHandle: 'AQ+/' }, /makePasskey: userHandle is base64, not base64url/],
      [{ rpId: 'example.com', userHandle: b64url(new Uint8Array(65)) }, /makePasskey: userHandle is 65 bytes; it must be 1 to 64/],
      [{ rpId: 'example.com', algorithm: 'ES256' }, /makePasskey: unknown option algorithm/],
    ];
    for (const [options, message] of cases) assert.throws(() => makePasskey(options), message, JSON.stringify(options));
    assert.throws(() => makePasskey(undefined), /makePasskey: the options must be an object/);
  });
});

describe('checkRpId', () => {
  test('registrable domains and localhost pass; public suffixes do not', () => {
    for (const ok of ['example.com', 'login.example.co.uk', 'me.github.io', 'localhost', 'app.localhost', 'example.test']) assert.equal(checkRpId(ok, 'rpId'), ok);
    for (const bad of ['com', 'uk', 'co.uk', 'github.io', 'blogspot.com']) assert.throws(() => checkRpId(bad, 'rpId'), new RegExp(`rpId "${bad.replace('.', '\\.')}" is a public suffix`));
  });
});

describe('credentials.create input (checked in Node, before Keyport hears of it)', () => {
  test("Playwright's shape passes whole; what goes to Keyport is base64url", () => {
    const input = { id: 'AQIDBA', rpId: 'example.com', userHandle: 'BQYH', privateKey: b64url(pkcs8), publicKey: b64url(spki), signCount: 4 };
    const { automation, credential } = toCreateRequest('example.com', input);
    assert.deepEqual(credential, input);
    assert.deepEqual(automation, { credentialId: 'AQIDBA', rpId: 'example.com', privateKey: b64url(pkcs8), signCount: 4, userHandle: 'BQYH' });
    const fresh = toCreateRequest('example.com').credential;
    assert.equal(createPublicKey(createPrivateKey({ key: Buffer.from(fresh.privateKey, 'base64url'), format: 'der', type: 'pkcs8' })).asymmetricKeyDetails.namedCurve, 'prime256v1');
    assert.equal(toCreateRequest('example.com', { alg: 'EdDSA' }).credential.publicKey.length, 59); // 44-byte Ed25519 SPKI
  });

  test('a malformed key, a wrong encoding, a public suffix: an error naming the argument', () => {
    const ok = { id: 'AQIDBA', privateKey: b64url(pkcs8) };
    const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'der', type: 'pkcs8' });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'der', type: 'spki' });
    /** @type {Array<[string, any, RegExp]>} wrong input on purpose */
    const cases = [
      ['co.uk', ok, /credentials\.create: rpId "co\.uk" is a public suffix/],
      ['example.com', { ...ok, privateKey: b64url(Buffer.from('not a key')) }, /credentials\.create: privateKey is not a PKCS#8 \(DER\) private key/],
      ['example.com', { ...ok, privateKey: b64url(ec384) }, /credentials\.create: privateKey is a ec secp384r1 key; Keyport signs with P-256/],
      ['example.com', { ...ok, privateKey: pkcs8.toString('base64') }, /credentials\.create: privateKey is base64, not base64url/],
      ['example.com', { ...ok, id: 'AQID+/8=' }, /credentials\.create: id is base64, not base64url/],
      ['example.com', { ...ok, id: 'AQ ID' }, /credentials\.create: id is not base64url text/],
      ['example.com', { ...ok, id: '' }, /credentials\.create: id is 0 bytes/],
      ['example.com', { ...ok, userHandle: 5 }, /credentials\.create: userHandle must be base64url text, got number 5/],
      ['example.com', { ...ok, publicKey: b64url(other) }, /credentials\.create: publicKey is not the SPKI public key of privateKey/],
      ['example.com', { publicKey: b64url(spki) }, /credentials\.create: publicKey was given without its privateKey/],
      ['example.com', { ...ok, alg: 'EdDSA' }, /credentials\.create: alg "EdDSA" is not the algorithm of privateKey/],
      ['example.com', { ...ok, signCount: -1 }, /credentials\.create: signCount must be an integer/],
      ['example.com', { ...ok, rpId: 'other.com' }, /credentials\.create: options\.rpId "other\.com" is not the rpId argument/],
      ['example.com', { ...ok, privatekey: 'x' }, /credentials\.create: unknown option privatekey/],
    ];
    for (const [rpId, options, message] of cases) assert.throws(() => toCreateRequest(rpId, options), message, JSON.stringify(options));
  });
});

describe('extensionDir and state, checked before any browser starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyport-input-'));
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'manifest.json'), JSON.stringify({ manifest_version: 3, name: 'Some Other Extension', version: '1.0' }));

  test('a folder that is not Keyport\'s build, or the other browser\'s build', async () => {
    assert.throws(() => checkExtensionDir(join(dir, 'nothing'), 'chromium'), /^Error: extensionDir: .*nothing is not an unpacked extension \(no manifest.json there\)/);
    assert.throws(() => checkExtensionDir(other, 'chromium'), /extensionDir: .*other holds the extension "Some Other Extension", not Keyport/);
    assert.throws(() => checkExtensionDir(42, 'firefox'), /extensionDir must be the folder of Keyport's Firefox build, got 42/);
    await assert.rejects(launchKeyportChromium({ extensionDir: other, browserType: noBrowser }), /extensionDir: .* not Keyport/);
    await assert.rejects(launchKeyportFirefox({ extensionDir: other, executablePath: '/nonexistent/firefox' }), /extensionDir: .* not Keyport/);
    // The builds themselves (npm run build:all) pass, each for its own browser only.
    assert.equal(checkExtensionDir(join(build, 'chrome-mv3'), 'chromium').manifest.name, 'Keyport');
    assert.throws(() => checkExtensionDir(join(build, 'chrome-mv3'), 'firefox'), /is Keyport's Chromium build; Firefox needs the Firefox build/);
    assert.throws(() => checkExtensionDir(join(build, 'firefox-mv3'), 'chromium'), /is Keyport's Firefox build; Chromium needs the Chromium build/);
    // A copy of a build is still Keyport's.
    cpSync(join(build, 'firefox-mv3'), join(dir, 'copy'), { recursive: true });
    assert.equal(checkExtensionDir(join(dir, 'copy'), 'firefox').dir, join(dir, 'copy'));
  });

  test('a state file that is not one saveState() wrote', async () => {
    const file = (name, text) => (writeFileSync(join(dir, name), text), join(dir, name));
    const good = { id: 'AQIDBA', rpId: 'example.com', privateKey: b64url(pkcs8), userHandle: 'BQYH', signCount: 2, userName: 'alice' };
    assert.deepEqual(readState({ keyport: 1, passkeys: [good] }, 'state'), [{ credentialId: 'AQIDBA', rpId: 'example.com', privateKey: b64url(pkcs8), signCount: 2, userHandle: 'BQYH', userName: 'alice' }]);
    assert.throws(() => readState(join(dir, 'missing.json'), 'state'), /^Error: state \(.*missing\.json\) cannot be read/);
    assert.throws(() => readState(file('a.json', '{'), 'state'), /^SyntaxError: state \(.*a\.json\) is not JSON/);
    assert.throws(() => readState(file('b.json', '{"cookies": []}'), 'state'), /state \(.*b\.json\) is not a state saveState\(\) wrote: keyport: a state is an object \{ keyport: 1, passkeys: \[\.\.\.\] \}/);
    assert.throws(() => readState({ keyport: 1, passkeys: [{ ...good, privateKey: 42 }] }, 'state'), /state is not a state saveState\(\) wrote: passkeys\.0\.privateKey: privateKey must be base64url PKCS#8/);
    assert.throws(() => readState({ keyport: 1, passkeys: [good, { ...good, rpId: 'com' }] }, 'state'), /state: passkeys\[1\]: rpId "com" is a public suffix/);
    await assert.rejects(launchKeyportChromium({ extensionDir: join(build, 'chrome-mv3'), state: { keyport: 1, passkeys: [{ ...good, privateKey: 'AAAA' }] }, browserType: noBrowser }), /state: passkeys\[0\]: privateKey is not a PKCS#8/);
    await assert.rejects(launchKeyportFirefox({ state: join(dir, 'b.json'), executablePath: '/nonexistent/firefox' }), /is not a state saveState\(\) wrote/);
  });
});

// The Signal API (WebAuthn L3 §5.1.10) end to end, against Chromium's proxy door, Chromium's shim door
// (tests/support/proxy-holder holds the proxy) and Firefox: a relying party page calls
// PublicKeyCredential.signalUnknownCredential, signalAllAcceptedCredentials and signalCurrentUserDetails; the
// passkey leaves sign-in, shows in the popup under "Removed by the site" with the site that asked, and Restore
// brings it back. A signal for another RP ID is a SecurityError, a malformed one a TypeError, and neither
// changes anything. Needs the builds: npm run build:all. Run: node --test tests/e2e/signals.test.mjs
//
// Scenarios share one browser and one vault per target and run in order.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRelyingParty } from '../support/rp.mjs';
import { DOOR_TARGETS, sleep, until } from '../support/targets.mjs';
import { ui } from '../support/ui.mjs';

const PASSWORD = 'correct horse battery staple';

/** Runs fn(arg) in Keyport's background (Chromium: its current service worker, which may have restarted). */
const bg = (t, fn, arg) => t.b.evalBackground(fn, arg);

/** Runs fn(arg) in the page, in front (Chromium's WebAuthn wants the focus): {ok} or {err: {name, message}}. */
const call = async (page, fn, arg) =>
  (await page.bringToFront(), page).evaluate(({ src, arg }) => (0, eval)(`(${src})`)(arg).then((ok) => ({ ok: ok === undefined ? 'undefined' : ok }), (e) => ({ err: { name: e?.name, message: String(e?.message ?? e) } })), { src: String(fn), arg });

/** A PublicKeyCredential.signal* call from the relying party's page. */
const signal = (t, method, options) => call(t.page, ({ method, options }) => PublicKeyCredential[method](options), { method, options });

/** The popup's passkey rows, as the background lists them (hidden ones included, with who hid them). */
const rows = (t) => t.popup.evaluate(() => (globalThis.browser ?? globalThis.chrome).runtime.sendMessage({ type: 'passkeys:list' }));
const hiddenIds = async (t) => (await rows(t)).filter((r) => r.hiddenBySite).map((r) => r.credentialId).sort();

/**
 * In the page: a sign-in offering only `ids` (allowCredentials), aborted after `waitMs` if nothing answers (a passkey
 * Keyport no longer offers leaves the request to the browser, which has none). The credential id, or the error's name.
 */
function signInWith({ ids, waitMs }) {
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), waitMs);
  const b64 = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return navigator.credentials
    .get({ signal: ctl.signal, publicKey: { challenge: crypto.getRandomValues(new Uint8Array(32)), rpId: location.hostname, allowCredentials: ids.map((id) => ({ type: 'public-key', id: b64(id) })) } })
    .then((c) => c.id, (e) => e.name);
}

/**
 * After a sign-in Keyport left to the browser: on the proxy door it stepped aside (detached) for that request and
 * attaches again once the page's retry ends; a sign-in sent before that goes to the browser's own WebAuthn.
 */
const backOnDoor = (t) => until(async () => (await bg(t, () => passkeyVault.status())).door === t.door, `Keyport back on the ${t.door} door`);

/** The vault as the site's signals could change it: names and hidden state of every passkey. */
const snapshot = async (t) => (await rows(t)).map((r) => `${r.credentialId} ${r.userName}/${r.userDisplayName} ${r.hiddenBySite ? 'hidden' : 'shown'}`).sort();

/** @type {[string, (t: any) => Promise<void>][]} */
const SCENARIOS = [
  ['signalUnknownCredential: the passkey leaves sign-in, the popup shows who removed it, Restore brings it back', async (t) => {
    await bg(t, () => passkeyVault.configure({ autoApprove: true, userVerified: true }));
    const one = await call(t.page, () => rp.register('alice', { residentKey: 'required' }));
    const two = await call(t.page, () => rp.register('alice', { residentKey: 'required' }));
    assert.ok(one.ok?.verified && two.ok?.verified, JSON.stringify([one, two]));
    t.a1 = one.ok.credentialId;
    t.a2 = two.ok.credentialId;
    t.userId = (await bg(t, () => passkeyVault.getCredentials())).find((c) => c.id === t.a1).userHandle;
    assert.equal(await call(t.page, signInWith, { ids: [t.a1], waitMs: 30_000 }).then((r) => r.ok), t.a1, 'before the signal, the passkey signs in');

    assert.deepEqual(await signal(t, 'signalUnknownCredential', { rpId: 'localhost', credentialId: t.a1 }), { ok: 'undefined' });
    await until(async () => (await hiddenIds(t)).includes(t.a1), 'the passkey to be hidden');
    // Out of sign-in: with allowCredentials it is not offered; the site's own sign-in gets the other passkey.
    const offered = (await call(t.page, signInWith, { ids: [t.a1], waitMs: 3000 })).ok;
    assert.ok(['AbortError', 'NotAllowedError'].includes(offered), `not offered: ${offered}`);
    await backOnDoor(t);
    const login = await call(t.page, () => rp.login('alice'));
    assert.equal(login.ok?.credentialId, t.a2, JSON.stringify(login));
    const disc = await call(t.page, () => rp.login());
    assert.equal(disc.ok?.credentialId, t.a2, JSON.stringify(disc));
    // Counted apart: one passkey in use, one removed by its site.
    const counts = await bg(t, () => passkeyVault.status()).then((s) => [s.passkeys, s.removedBySites]);
    assert.deepEqual(counts, [1, 1]);

    // The popup: "Removed by the site", naming the origin that asked and the day; then Restore.
    const p = await t.b.openExtensionPage('popup.html');
    try {
      const u = ui(t.b, p);
      const row = `.hidden-by-site[data-id="${t.a1}"]`;
      const text = await u.text(`${row} .removed-by`);
      assert.match(text, new RegExp(`^Removed by ${new URL(t.rp.origin).host} on \\w`), text);
      assert.equal(await u.text('#removed-title'), 'Removed by the site');
      assert.equal(await u.count(`.hidden-by-site[data-id="${t.a2}"]`), 0);
      assert.match(await u.text('#passkey-count'), /^1 passkey \(1 removed by its site\) · /);
      await u.screens(`signals-removed-${t.door}`);
      await u.click(`${row} .restore`);
      await until(async () => (await u.count(row)) === 0, 'the row to leave the group');
    } finally {
      await p.close();
    }
    assert.deepEqual(await hiddenIds(t), []);
    assert.deepEqual(await bg(t, () => passkeyVault.status()).then((s) => [s.passkeys, s.removedBySites]), [2, 0]);
    assert.equal((await call(t.page, signInWith, { ids: [t.a1], waitMs: 30_000 })).ok, t.a1, 'restored, it signs in again');
  }],

  ['signalAllAcceptedCredentials: unlisted passkeys of this user leave, a listed one comes back', async (t) => {
    const bob = await call(t.page, () => rp.register('bob', { residentKey: 'required' }));
    assert.ok(bob.ok?.verified, JSON.stringify(bob));
    t.bob = bob.ok.credentialId;
    assert.deepEqual(await signal(t, 'signalAllAcceptedCredentials', { rpId: 'localhost', userId: t.userId, allAcceptedCredentialIds: [t.a2] }), { ok: 'undefined' });
    await until(async () => (await hiddenIds(t)).join() === t.a1, "alice's unlisted passkey to be hidden (and only it)");
    const offered = (await call(t.page, signInWith, { ids: [t.a1], waitMs: 3000 })).ok;
    assert.ok(['AbortError', 'NotAllowedError'].includes(offered), `not offered: ${offered}`);
    await backOnDoor(t);
    assert.equal((await call(t.page, signInWith, { ids: [t.bob], waitMs: 30_000 })).ok, t.bob, "another user's passkey stays");

    assert.deepEqual(await signal(t, 'signalAllAcceptedCredentials', { rpId: 'localhost', userId: t.userId, allAcceptedCredentialIds: [t.a2, t.a1] }), { ok: 'undefined' });
    await until(async () => (await hiddenIds(t)).length === 0, 'the listed passkey to come back');
    assert.equal((await call(t.page, signInWith, { ids: [t.a1], waitMs: 30_000 })).ok, t.a1);
  }],

  ['signalCurrentUserDetails: the names of this user\'s passkeys follow the site', async (t) => {
    assert.deepEqual(await signal(t, 'signalCurrentUserDetails', { rpId: 'localhost', userId: t.userId, name: 'alice@new.example', displayName: 'Alice New' }), { ok: 'undefined' });
    await until(async () => (await rows(t)).filter((r) => r.userName === 'alice@new.example').length === 2, "alice's two passkeys to be renamed");
    const bob = (await rows(t)).find((r) => r.credentialId === t.bob);
    assert.equal(bob.userName, 'bob');
    const disc = await call(t.page, () => rp.login('alice'));
    assert.ok(disc.ok?.verified, JSON.stringify(disc));
  }],

  ['another RP ID → SecurityError, malformed → TypeError; nothing changes; the answer does not tell what Keyport holds', async (t) => {
    const before = await snapshot(t);
    const results = {
      otherRp: await signal(t, 'signalUnknownCredential', { rpId: 'example.com', credentialId: t.a1 }),
      otherRpAll: await signal(t, 'signalAllAcceptedCredentials', { rpId: 'example.com', userId: t.userId, allAcceptedCredentialIds: [] }),
      otherRpUser: await signal(t, 'signalCurrentUserDetails', { rpId: 'example.com', userId: t.userId, name: 'x', displayName: 'x' }),
      padded: await signal(t, 'signalUnknownCredential', { rpId: 'localhost', credentialId: `${t.a1}=` }),
      badList: await signal(t, 'signalAllAcceptedCredentials', { rpId: 'localhost', userId: t.userId, allAcceptedCredentialIds: ['a+b/'] }),
      notSequence: await signal(t, 'signalAllAcceptedCredentials', { rpId: 'localhost', userId: t.userId, allAcceptedCredentialIds: 5 }),
      missing: await signal(t, 'signalCurrentUserDetails', { rpId: 'localhost', userId: t.userId, displayName: 'x' }),
      noArgument: await call(t.page, () => /** @type {any} */ (PublicKeyCredential).signalUnknownCredential()),
    };
    const names = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.err?.name ?? r.ok]));
    assert.deepEqual(names, {
      otherRp: 'SecurityError', otherRpAll: 'SecurityError', otherRpUser: 'SecurityError',
      padded: 'TypeError', badList: 'TypeError', notSequence: 'TypeError', missing: 'TypeError', noArgument: 'TypeError',
    });
    // The same answer for a passkey Keyport holds and one it has never seen.
    assert.deepEqual(await signal(t, 'signalUnknownCredential', { rpId: 'localhost', credentialId: 'bm90LWEtcGFzc2tleQ' }), { ok: 'undefined' });
    await sleep(500);
    assert.deepEqual(await snapshot(t), before);
  }],

  ['locked: the signal resolves the same, and nothing is applied or kept for later', async (t) => {
    const before = await snapshot(t);
    await bg(t, () => passkeyVault.lock());
    assert.deepEqual(await signal(t, 'signalUnknownCredential', { rpId: 'localhost', credentialId: t.a2 }), { ok: 'undefined' });
    await sleep(300);
    await bg(t, (pw) => passkeyVault.unlock(pw), PASSWORD);
    await sleep(300);
    assert.deepEqual(await snapshot(t), before);
  }],
];

for (const target of DOOR_TARGETS) {
  describe(target.name, { concurrency: false }, () => {
    /** @type {any} */
    const t = { ...target };
    before(async () => {
      t.rp = await startRelyingParty();
      t.b = await target.launch();
      t.page = await t.b.newPage();
      await t.page.goto(`${t.rp.origin}/`);
      await bg(t, (pw) => passkeyVault.setup({ password: pw }), PASSWORD);
      const s = await bg(t, () => passkeyVault.status());
      assert.equal(s.door, t.door, JSON.stringify(s));
      // The page was loaded before the setup: its bridge must follow the door that opened since.
      await until(() => t.page.evaluate(() => {
        const ev = new CustomEvent('keyport:door', { cancelable: true });
        window.dispatchEvent(ev);
        return ev.defaultPrevented;
      }).then((proxy) => proxy === (t.door === 'proxy')), `the page's bridge to use the ${t.door} door`);
      t.popup = await t.b.openExtensionPage('popup.html');
    });
    after(async () => {
      await t.b?.close();
      await t.rp?.close();
    });
    for (const [name, run] of SCENARIOS) test(name, () => run(t));
  });
}

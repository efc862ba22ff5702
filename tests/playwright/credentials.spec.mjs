// keyport.credentials speaks Playwright's browserContext.credentials: a passkey captured from Playwright's built-in
// virtual authenticator seeds Keyport, and one captured from Keyport seeds Playwright's, and each signs in to a
// relying party on @simplewebauthn/server (tests/support/rp.mjs). Then the time of one register-and-sign-in test
// with each, in the same run. Run: npm run test:playwright.
import { test as keyportTest, expect } from '@keyport/testing/playwright';
import { launchKeyportChromium } from '@keyport/testing/chromium';
import { setUpKeyport } from '@keyport/testing';
import { chromium } from '@playwright/test';
import { startRelyingParty } from '../support/rp.mjs';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// One relying party for the file (its users outlive each test's browser) and a plain Chromium for Playwright's
// own authenticator.
/** @typedef {import('../support/rp.mjs').RelyingParty} RelyingParty */
/** @typedef {{ relyingParty: RelyingParty, plainBrowser: import('@playwright/test').Browser }} WorkerFixtures */
const test = keyportTest.extend(/** @type {Parameters<typeof keyportTest.extend<{}, WorkerFixtures>>[0]} */ ({
  relyingParty: [async ({}, use) => {
    const rp = await startRelyingParty();
    await use(rp);
    await rp.close();
  }, { scope: 'worker' }],
  plainBrowser: [async ({}, use) => {
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
    await use(browser);
    await browser.close();
  }, { scope: 'worker' }],
  baseURL: async ({ relyingParty }, use) => use(relyingParty.origin),
}));
test.describe.configure({ mode: 'serial' });

/** register / login through the page's window.rp: the relying party's verify answer, or { error }. */
const register = (page, userName) => page.evaluate((u) => rp.register(u).catch((e) => ({ error: e.name })), userName);
const signIn = (page, userName) => page.evaluate((u) => rp.login(u).catch((e) => ({ error: e.name })), userName);
const SHAPE = ['id', 'privateKey', 'publicKey', 'rpId', 'signCount', 'userHandle'];

test("a passkey captured from Playwright's authenticator seeds Keyport and signs in", async ({ plainBrowser, relyingParty, page, keyport }) => {
  const context = await plainBrowser.newContext({ baseURL: relyingParty.origin });
  await context.credentials.install();
  const plainPage = await context.newPage();
  await plainPage.goto('/');
  const registered = await register(plainPage, 'from-playwright');
  expect(registered).toMatchObject({ verified: true });
  expect(await signIn(plainPage, 'from-playwright')).toMatchObject({ verified: true, newCounter: 1 });
  const [captured] = await context.credentials.get({ rpId: 'localhost' });
  await context.close();
  expect(captured.id).toBe(registered.credentialId);

  // Playwright's authenticator counts signatures (the relying party saw 1); Keyport answers 0 by default, as synced
  // passkeys do, which the relying party would take for a cloned key: count on from the captured signCount.
  await keyport.configure({ counter: { mode: 'increment' } });
  const created = await keyport.credentials.create(captured.rpId, captured);
  expect(created).toEqual(captured);
  expect(Object.keys(created).sort()).toEqual(SHAPE);
  await page.goto('/');
  expect(await signIn(page, 'from-playwright')).toMatchObject({ verified: true, credentialId: captured.id, userName: 'from-playwright', newCounter: 2 });
  expect(await keyport.credentials.get({ id: captured.id })).toEqual([{ ...captured, signCount: 2 }]);
});

test("a passkey captured from Keyport seeds Playwright's authenticator and signs in", async ({ plainBrowser, relyingParty, page, keyport }) => {
  // Playwright's authenticator signs with P-256 only; the relying party would otherwise get EdDSA, its first choice.
  await keyport.configure({ algorithms: [-7] });
  await page.goto('/');
  const registered = await register(page, 'from-keyport');
  expect(registered).toMatchObject({ verified: true });
  const [captured] = await keyport.credentials.get({ id: registered.credentialId });
  expect(Object.keys(captured).sort()).toEqual(SHAPE);
  expect(captured).toMatchObject({ rpId: 'localhost', signCount: 0 });

  const context = await plainBrowser.newContext({ baseURL: relyingParty.origin });
  expect(await context.credentials.create(captured.rpId, captured)).toEqual(captured);
  await context.credentials.install();
  const plainPage = await context.newPage();
  await plainPage.goto('/');
  expect(await signIn(plainPage, 'from-keyport')).toMatchObject({ verified: true, credentialId: captured.id, userName: 'from-keyport' });
  await context.close();

  await keyport.credentials.delete(captured.id);
  expect(await keyport.credentials.get()).toEqual([]);
  await keyport.credentials.delete(captured.id); // gone already: nothing happens, as with Playwright
});

test('time of one register-and-sign-in test: Keyport against Playwright\'s own authenticator', async ({ plainBrowser, relyingParty }) => {
  test.setTimeout(180_000);
  const RUNS = 3;
  const ms = (t) => Math.round(performance.now() - t);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  /** @param {import('@playwright/test').Page} page @param {string} user */
  const ceremonies = async (page, user) => {
    await page.goto(`${relyingParty.origin}/`);
    expect(await register(page, user)).toMatchObject({ verified: true });
    expect(await signIn(page, user)).toMatchObject({ verified: true });
  };
  const phases = { playwright: [], keyportLaunch: [], keyportSetupTab: [], keyportKdf: [], keyportVault: [], keyportBody: [], keyportReset: [], keyportReused: [] };
  for (let i = 0; i < RUNS; i++) {
    // Playwright: the browser is the worker's; a test's own cost is its context and page, install, and the ceremonies.
    let t = performance.now();
    const context = await plainBrowser.newContext();
    await context.credentials.install();
    await ceremonies(await context.newPage(), `speed-pw-${i}`);
    await context.close();
    phases.playwright.push(ms(t));

    // Keyport: what the fixture does per test: a Chromium with the extension (Chromium loads extensions only into a
    // persistent context, so the browser is the test's own), a fresh vault, the same ceremonies.
    t = performance.now();
    const b = await launchKeyportChromium({ executablePath: CHROMIUM_PATH, setUp: false });
    phases.keyportLaunch.push(ms(t));
    try {
      // The vault's set-up, split: waiting for and closing the setup tab Keyport opens on install, and
      // passkeyVault.setup (Argon2id, m = 64 MiB, t = 3: the least docs/design.md allows for the master password).
      let setupTab = 0;
      let kdf = 0;
      /** @type {import('@keyport/testing').EvalBackground} */
      const timed = async (fn, arg) => {
        const t0 = performance.now();
        try {
          return await b.evalBackground(fn, arg);
        } finally {
          if (String(fn).includes('setup.html')) setupTab += ms(t0);
          else if (String(fn).includes('passkeyVault.setup')) kdf += ms(t0);
        }
      };
      t = performance.now();
      const keyport = await setUpKeyport(timed, { pages: () => b.context.pages(), extensionOrigin: b.extensionOrigin });
      phases.keyportVault.push(ms(t));
      phases.keyportSetupTab.push(setupTab);
      phases.keyportKdf.push(kdf);
      t = performance.now();
      await ceremonies(await b.newPage(), `speed-kp-${i}`);
      phases.keyportBody.push(ms(t));
      // reuseKeyportBrowser: the next test in the same browser and vault, reset; a new page, as the fixture gives.
      t = performance.now();
      for (const p of b.context.pages()) await p.close();
      await keyport.reset();
      phases.keyportReset.push(ms(t));
      await ceremonies(await b.newPage(), `speed-kp-again-${i}`);
      phases.keyportReused.push(ms(t));
    } finally {
      await b.close();
    }
  }
  const m = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)]));
  const afterStart = m.keyportVault + m.keyportBody;
  const report = `median of ${RUNS}: Playwright context.credentials ${m.playwright} ms per test. Keyport, a browser per test: ` +
    `${m.keyportLaunch} ms browser start + ${m.keyportVault} ms vault set-up (setup tab ${m.keyportSetupTab} ms, Argon2id ${m.keyportKdf} ms) + ` +
    `${m.keyportBody} ms ceremonies = ${afterStart} ms after the browser started (${(afterStart / m.playwright).toFixed(2)}x). ` +
    `Keyport with reuseKeyportBrowser: ${m.keyportReused} ms per test, ${m.keyportReset} ms of it closing pages and resetting ` +
    `(${(m.keyportReused / m.playwright).toFixed(2)}x). Runs: ${JSON.stringify(phases)}`;
  console.log(report);
  test.info().annotations.push({ type: 'speed', description: report });
});

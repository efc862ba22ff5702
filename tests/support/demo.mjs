// `npm start`: builds (via the npm script), then launches Chromium with Keyport and a demo relying party.
// Headed when a display is available; headless otherwise (it then prints where things are and waits).
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { startRelyingParty } from './rp.mjs';
import { CHROMIUM_PATH } from './browsers.mjs';

const port = Number(process.env.PORT ?? 8080);
const rp = await startRelyingParty({ port });
const ext = resolve('.output/chrome-mv3');
const headless = !process.env.DISPLAY;
const context = await chromium.launchPersistentContext(resolve('.demo-profile'), {
  executablePath: CHROMIUM_PATH,
  headless,
  ignoreDefaultArgs: ['--disable-extensions'],
  args: ['--no-sandbox', `--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--disable-background-networking', '--disable-component-update'],
});
const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
const extensionId = new URL(worker.url()).host;
const setup = await context.newPage();
await setup.goto(`chrome-extension://${extensionId}/popup.html`);
const page = await context.newPage();
await page.goto(`${rp.origin}/`);
console.log(`Keyport demo
  relying party:  ${rp.origin}/  (rpId localhost, verified by @simplewebauthn/server)
  Keyport popup:  chrome-extension://${extensionId}/popup.html  (set a master password there first)
  browser:        ${headless ? 'headless (no DISPLAY)' : 'Chromium window'}; profile in .demo-profile/
Press Ctrl-C to stop.`);
const stop = async () => {
  await context.close().catch(() => {});
  await rp.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
context.on('close', stop);

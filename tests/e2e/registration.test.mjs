// Who may create a vault (issue 14, item 3), through the screens: a sync server that creates vaults by invite
// (npm run server -- --registration invite). Settings' connect form says the server wants an invite and asks
// for it; a wrong one is refused with a sentence; the operator's invite (npm run server -- invite) connects,
// and a second browser then restores from the recovery code with no invite.
// Needs the build: npm run build. Run: node --test tests/e2e/registration.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { launchChromium } from '../support/browsers.mjs';
import { ui } from '../support/ui.mjs';
import { startSyncServer } from '../support/syncServer.mjs';

let server;

before(async () => {
  server = await startSyncServer({ args: ['--registration', 'invite'] });
});
after(async () => {
  await server?.close();
});

test('the connect form asks for an invite when the server wants one; the invite connects once', async () => {
  const invite = execFileSync('npm', ['run', '--silent', 'server', '--', 'invite', '--data', server.data, '--expires', '1h'], { encoding: 'utf8' }).split('\n')[0];
  assert.match(invite, /^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
  const chromium = await launchChromium();
  let fresh;
  try {
    const { recoveryCode } = await chromium.evalBackground(() => passkeyVault.setup({ password: 'registration password' }));
    const options = ui(chromium, await chromium.openExtensionPage('options.html#sync'));
    await options.type('#sync-url', server.url);
    await options.click('#sync-connect');
    assert.match(await options.text('#sync-error'), /needs an invite to create a vault/);
    await options.text('#sync-invite-note');
    await options.screens('options-sync-invite');
    await options.type('#sync-invite', 'ABCDE-FGHJK-MNPQR-STVWX');
    await options.click('#sync-connect');
    assert.match(await options.text('#sync-error'), /did not take this invite .*unknown, used already or expired/);
    await options.type('#sync-invite', invite.toLowerCase());
    await options.click('#sync-connect');
    assert.match(await options.text('#sync-notice'), /Synced/);
    await options.until(() => !document.querySelector('#sync-invite'));

    // The vault exists: another browser restores it from the recovery code, no invite asked.
    fresh = await launchChromium();
    await fresh.evalBackground((req) => passkeyVault.restore(req), { serverUrl: server.url, recoveryCode, newPassword: 'fresh password' });
    assert.equal((await fresh.evalBackground(() => passkeyVault.syncStatus())).transport, 'server');
  } finally {
    await fresh?.close();
    await chromium.close();
  }
});

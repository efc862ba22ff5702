// No server at all (issue 3): the browser's own storage.sync carries the same sealed records, in Chromium and
// Firefox; past its quota Keyport says so plainly and writes nothing.
// Needs the builds: npm run build:all. Run: node --test tests/e2e/browser-sync.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, launchFirefox } from '../support/browsers.mjs';
import { cxfDocument, makeForeignPasskey } from '../support/foreign.mjs';

const TARGETS = (process.env.KEYPORT_TARGETS ?? 'chromium,firefox').split(',');

for (const target of TARGETS) {
  test(`${target}: browser sync holds sealed records only, and a vault that outgrows it is told so`, async () => {
    const b = target === 'chromium' ? await launchChromium() : await launchFirefox();
    try {
      await b.evalBackground(() => passkeyVault.setup({ password: 'browser sync password' }));
      const few = await Promise.all([1, 2, 3].map((i) => makeForeignPasskey({ rpId: 'sync.example', userName: `distinctive-${i}` })));
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), cxfDocument(few));
      const first = await b.evalBackground(() => passkeyVault.configureSync({ browserSync: true }));
      assert.equal(first.pushed, 3, JSON.stringify(first));
      const area = await b.evalBackground(() => (globalThis.browser ?? chrome).storage.sync.get(null));
      const keys = Object.keys(area).filter((k) => k.startsWith('kp:r:'));
      assert.equal(keys.length, 3, Object.keys(area).join());
      assert.doesNotMatch(JSON.stringify(area), /distinctive|sync\.example/, 'storage.sync sees only sealed records');
      const passkey = (await b.evalBackground(() => passkeyVault.getCredentials()))[0];
      assert.equal(passkey.backedUp, true, 'BS while browser sync is on');

      // 100 more passkeys: more than storage.sync can hold (about 90).
      const many = await Promise.all(Array.from({ length: 100 }, (_, i) => makeForeignPasskey({ rpId: 'many.example', userName: `u${i}` })));
      await b.evalBackground((data) => passkeyVault.importCredentials({ format: 'cxf', data }), cxfDocument(many));
      const refused = await b.evalBackground(() => passkeyVault.syncNow().then(() => 'synced', (e) => e.message));
      assert.match(refused, /room for about \d+ passkeys/, refused);
      assert.match(refused, /sync server/);
      const after = await b.evalBackground(() => (globalThis.browser ?? chrome).storage.sync.get(null));
      assert.equal(Object.keys(after).filter((k) => k.startsWith('kp:r:')).length, 3, 'nothing was written');
      assert.equal((await b.evalBackground(() => passkeyVault.getCredentials())).length, 103, 'nothing was lost here');
    } finally {
      await b.close();
    }
  });
}

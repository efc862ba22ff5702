// Playwright Test for the example relying-party suite (example.spec.mjs), with Keyport's fixture
// (@keyport/testing/playwright). Run: npm run test:playwright. KEYPORT_BUILD_DIR points at another build
// (a directory holding chrome-mv3), CHROMIUM_PATH at another Chromium.
import { defineConfig } from '@playwright/test';
import { resolve } from 'node:path';

export default defineConfig({
  testDir: '.',
  outputDir: '../.artifacts/playwright',
  // Each test launches its own Chromium and sets up a vault (Argon2id, 64 MiB): one at a time on 2 cores.
  workers: 1,
  timeout: 60_000,
  reporter: 'list',
  use: {
    // Playwright's own browser (its built-in authenticator, compared in credentials.spec.mjs) is Debian's Chromium too.
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    ...(process.env.KEYPORT_BUILD_DIR ? { extensionDir: resolve(process.env.KEYPORT_BUILD_DIR, 'chrome-mv3') } : {}),
    ...(process.env.CHROMIUM_PATH ? { executablePath: process.env.CHROMIUM_PATH } : {}),
  },
});

// Playwright Test for the examples. CHROMIUM_PATH points at a Chromium other than /usr/bin/chromium.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.*',
  workers: 1,
  timeout: 60_000,
  reporter: 'list',
  use: {
    // One Chromium and vault per worker, reset before each test: a new browser per test costs about 3 s more.
    reuseKeyportBrowser: true,
    ...(process.env.CHROMIUM_PATH ? { executablePath: process.env.CHROMIUM_PATH } : {}),
  },
});

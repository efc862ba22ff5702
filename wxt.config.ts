import { defineConfig } from 'wxt';

// Browser differences live here, not in src/ (STYLE.md, WXT).
export default defineConfig({
  modules: ['@wxt-dev/module-svelte'],
  imports: false,
  manifestVersion: 3,
  manifest: ({ browser }) => ({
    name: 'Keyport',
    description: 'Passkeys that follow you: a software authenticator with an encrypted vault.',
    permissions: [
      'storage',
      'alarms',
      'downloads',
      // A passkey made by an upgrade the person allowed for a site (conditional create) is announced, with an undo.
      'notifications',
      // Firefox: webRequest reads each document's Permissions-Policy header, which its documents do not expose
      // to content scripts (src/adapters/documentPolicy.ts). Chromium's documents do (document.featurePolicy).
      ...(browser === 'firefox' ? ['webRequest'] : ['webAuthenticationProxy']),
    ],
    host_permissions: ['<all_urls>'],
    action: { default_title: 'Keyport' },
    // Passkey autofill's list is framed in pages (src/adapters/autofillFrame.ts); nothing else is exposed.
    // Chromium: only under a URL that changes each session (use_dynamic_url), so a page cannot probe for
    // Keyport by loading chrome-extension://<id>/autofill.html. Firefox's moz-extension UUID is already
    // random per profile.
    web_accessible_resources: [
      { resources: ['autofill.html'], matches: ['<all_urls>'], ...(browser === 'firefox' ? {} : { use_dynamic_url: true }) },
    ],
    ...(browser === 'firefox'
      ? {
          browser_specific_settings: {
            gecko: {
              id: 'keyport@keyport.dev',
              strict_min_version: '142.0',
              data_collection_permissions: { required: ['none'] },
            },
          },
        }
      : {}),
  }),
});

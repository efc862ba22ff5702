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
      ...(browser === 'firefox' ? [] : ['webAuthenticationProxy']),
    ],
    host_permissions: ['<all_urls>'],
    action: { default_title: 'Keyport' },
    // Passkey autofill's list is framed in pages (src/adapters/autofillFrame.ts); nothing else is exposed.
    web_accessible_resources: [{ resources: ['autofill.html'], matches: ['<all_urls>'] }],
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

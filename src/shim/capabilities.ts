// WebAuthn L3 §5.1.7 getClientCapabilities(), answered truthfully for Keyport (issue 15 item 1): what Keyport itself
// does for a page, merged with what the browser's own authenticators add through the fallback ("use another device
// or security key"). Every `true` below is used by a test (tests/e2e/differential.test.mjs, "capabilities").
// Runs in the page realm: no extension API here.

/**
 * Keyport's own answers, the same on both doors. On Chromium's proxy door the browser alone would say true for the
 * signals, relatedOrigins, immediateGet and conditionalCreate (Chromium 156 with a proxy attached, measured). Keyport
 * takes the signals itself, in the shim on both doors (app/signals.ts). Related origins: the browser checks them on
 * the proxy door, the background on the page-script door (app/relatedOrigins.ts), and both doors agree
 * (tests/e2e/related-origins.test.mjs); immediate mediation is `uiMode: 'immediate'` in Chromium 156
 * (`mediation: 'immediate'` is a TypeError) and reaches the proxy as a modal get, so the shim takes it on both doors
 * (measured); a conditional create() is handed to the proxy as a modal one (measured), so the shim takes it on both
 * doors too, and the background makes the passkey where the person allowed upgrades (app/upgrades.ts,
 * tests/e2e/upgrade.test.mjs).
 */
const KEYPORT: Record<string, boolean> = {
  conditionalCreate: true, // upgrades the person allowed for the site (app/upgrades.ts), on both doors
  conditionalGet: true, // Keyport's autofill list, on both doors (the shim takes conditional get() always)
  hybridTransport: false, // Keyport has none: only the browser's own, below
  immediateGet: true, // the shim takes uiMode 'immediate' on both doors (the proxy receives it as modal: measured)
  passkeyPlatformAuthenticator: true,
  relatedOrigins: true, // the browser on the proxy door, app/relatedOrigins.ts on the page-script door
  signalAllAcceptedCredentials: true, // app/signals.ts, on both doors (the shim takes them: the proxy carries none)
  signalCurrentUserDetails: true, // app/signals.ts, on both doors (the shim takes them: the proxy carries none)
  signalUnknownCredential: true, // app/signals.ts, on both doors (the shim takes them: the proxy carries none)
  userVerifyingPlatformAuthenticator: true, // the master password
  'extension:appid': false,
  'extension:appidExclude': false,
  'extension:credBlob': true, // kept with the passkey, at most 32 bytes (webauthn/blobs.ts)
  'extension:credProps': true,
  'extension:getCredBlob': true,
  'extension:largeBlob': true, // kept sealed with the passkey and synced, at most 2048 bytes (webauthn/blobs.ts)
  'extension:prf': true,
};

/** What the fallback to the browser's own authenticators adds: a phone (hybrid) where the browser has one. */
const FROM_BROWSER = ['hybridTransport'];

/**
 * The answer for a page: every key the browser itself lists (so the set of keys is the browser's), false unless
 * Keyport does it, then the browser's own `true` for what its authenticators add. Keys in code-unit order, as
 * the spec's record and Chromium's answer are.
 */
export function clientCapabilities(browser: unknown): Record<string, boolean> {
  const own = browser && typeof browser === 'object' ? (browser as Record<string, unknown>) : {};
  const merged: Record<string, boolean> = {};
  for (const key of Object.keys(own)) if (typeof own[key] === 'boolean') merged[key] = false;
  Object.assign(merged, KEYPORT);
  for (const key of FROM_BROWSER) if (own[key] === true) merged[key] = true;
  const out: Record<string, boolean> = {};
  for (const key of Object.keys(merged).sort()) out[key] = merged[key]!;
  return out;
}

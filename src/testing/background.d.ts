// What the functions this package sends into Keyport's background (evalBackground) meet there, sent as source
// text: declared so that tsc checks those functions too. Not part of the published types.
import type { ExtensionApi, PasskeyVault } from './authenticator.js';

declare global {
  /** Keyport's automation API, a global of its background only. */
  var passkeyVault: PasskeyVault;
  /** The extension API: Chromium's chrome (Firefox has both). */
  var chrome: ExtensionApi;
  /** Firefox's extension API; Chromium has none. */
  var browser: ExtensionApi | undefined;
}

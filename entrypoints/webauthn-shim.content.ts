// MAIN world: imports nothing from the extension APIs or the polyfill (they throw here).
import { defineContentScript } from 'wxt/utils/define-content-script';
import { installShim } from '../src/shim/shim.ts';

export default defineContentScript({
  matches: ['<all_urls>'],
  world: 'MAIN',
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  // blob: and data: frames too, so that no frame a page makes reaches the browser's original functions.
  matchOriginAsFallback: true,
  main() {
    installShim(globalThis);
  },
});

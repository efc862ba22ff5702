import { defineContentScript } from 'wxt/utils/define-content-script';
import { startBridge } from '../src/adapters/bridge.ts';

export default defineContentScript({
  matches: ['<all_urls>'],
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  // blob: and data: frames too, so that no frame a page makes reaches the browser's original functions.
  matchOriginAsFallback: true,
  main: startBridge,
});

import { defineContentScript } from 'wxt/utils/define-content-script';
import { startBridge } from '../src/adapters/bridge.ts';

export default defineContentScript({
  matches: ['<all_urls>'],
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  main: startBridge,
});

import { defineBackground } from 'wxt/utils/define-background';

export default defineBackground(() => {
  (globalThis as any).passkeyVault = { ping: () => 'pong' };
});

import { defineBackground } from 'wxt/utils/define-background';
import { startBackground } from '../src/app/background.ts';

export default defineBackground(() => {
  // Firefox runs the background page on the main thread it shares with every extension page, and runs
  // scheduler.yield() continuations ahead of those pages' tasks: Argon2id (noble yields with scheduler.yield when
  // there is one) then froze the setup page for its whole 2 to 5 s. Without it, noble yields with setTimeout(0),
  // which lets the pages run and repaint their progress.
  if (import.meta.env.FIREFOX && typeof (globalThis as { scheduler?: { yield?: unknown } }).scheduler?.yield === 'function') {
    Object.defineProperty((globalThis as unknown as { scheduler: object }).scheduler, 'yield', { value: undefined, configurable: true });
  }
  startBackground();
});

// Consent windows: one small window per ceremony that needs the person (DESIGN.md step 5). The window
// asks the background for its view and answers with a decision; closing it cancels (NotAllowedError).
import browser from 'webextension-polyfill';
import { parse } from 'tldts';
import { notAllowed } from '../webauthn/errors.ts';
import type { ConsentView } from './messages.ts';

export type WindowDecision = { action: 'approve'; credentialId?: string } | { action: 'fallback' };

interface Pending {
  view: ConsentView;
  windowId?: number;
  decide?: (d: WindowDecision) => void;
  fail: (e: Error) => void;
  unlocked?: () => void;
}

export function siteOf(rpId: string): string {
  return parse(rpId, { allowPrivateDomains: true }).domain ?? rpId;
}

export function createConsentWindows() {
  const pending = new Map<string, Pending>();

  browser.windows?.onRemoved.addListener((windowId) => {
    for (const [id, p] of pending) {
      if (p.windowId === windowId) {
        pending.delete(id);
        p.fail(notAllowed('The person closed the Keyport window.'));
      }
    }
  });

  async function open(p: Pending): Promise<void> {
    if (p.windowId !== undefined) return;
    const w = await browser.windows.create({
      url: browser.runtime.getURL(`/consent.html#${p.view.id}`),
      type: 'popup',
      width: 420,
      height: 560,
      focused: true,
    });
    p.windowId = w.id;
  }

  return {
    /** Starts a session for one ceremony; close() ends it (in a finally). */
    session(view: Omit<ConsentView, 'id' | 'site'>, signal: AbortSignal) {
      const id = crypto.randomUUID();
      let reject: (e: Error) => void = () => {};
      const p: Pending = { view: { ...view, id, site: siteOf(view.rpId) }, fail: (e) => reject(e) };
      pending.set(id, p);
      const waitFor = <T>(arm: (resolve: (v: T) => void) => void): Promise<T> =>
        new Promise<T>((resolve, rej) => {
          reject = rej;
          if (signal.aborted) return rej(notAllowed());
          signal.addEventListener('abort', () => rej(notAllowed()), { once: true });
          arm(resolve);
        });
      return {
        view: p.view,
        async waitForUnlock(): Promise<void> {
          p.view.locked = true;
          await open(p);
          await waitFor<void>((resolve) => (p.unlocked = resolve));
          p.view.locked = false;
        },
        async ask(update: Partial<ConsentView>): Promise<WindowDecision> {
          Object.assign(p.view, update);
          await open(p);
          return waitFor<WindowDecision>((resolve) => (p.decide = resolve));
        },
        /** Resolves once the window is gone: Firefox refuses WebAuthn to a page whose window lost focus to ours. */
        async close(): Promise<void> {
          pending.delete(id);
          if (p.windowId !== undefined) await browser.windows.remove(p.windowId).catch(() => {});
        },
      };
    },
    view: (id: string) => pending.get(id)?.view,
    /** Called after the vault was unlocked from a window (or by the automation API): wake every waiter. */
    unlocked() {
      for (const p of pending.values()) p.unlocked?.();
    },
    decide(id: string, action: 'approve' | 'cancel' | 'fallback', credentialId?: string): boolean {
      const p = pending.get(id);
      if (!p) return false;
      if (action === 'cancel') p.fail(notAllowed('The person canceled.'));
      else if (action === 'fallback') p.decide?.({ action: 'fallback' });
      else p.decide?.({ action: 'approve', credentialId });
      return true;
    },
  };
}
export type ConsentWindows = ReturnType<typeof createConsentWindows>;

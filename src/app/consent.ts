// Consent windows: one small window per ceremony that needs the person (docs/design.md step 5). The window
// asks the background for its view and answers with a decision; closing it cancels (NotAllowedError).
//
// One window per tab: a second request from a tab whose window is still open replaces the first, as
// Firefox does with its own prompt: the first request ends with AbortError, and the window it had shows
// the new request (no pile of windows). Requests from different tabs each get their own window.
import browser from 'webextension-polyfill';
import { parse } from 'tldts';
import { WebAuthnError, notAllowed } from '../webauthn/errors.ts';
import type { ConsentView } from '../protocol/views.ts';

export type WindowDecision = { action: 'approve'; credentialId?: string } | { action: 'fallback' };

interface Pending {
  view: ConsentView;
  /** Requests with the same key (the tab) share one window: the newest replaces the others. */
  key?: string;
  windowId?: number;
  /** The window was taken over from a replaced request: it still shows that one until it is sent here. */
  adopted?: boolean;
  /** Set once the session ended (answered, canceled, replaced): no window opens for it any more. */
  failure?: Error;
  ended?: boolean;
  decide?: (d: WindowDecision) => void;
  reject?: (e: Error) => void;
  unlocked?: () => void;
}

export function siteOf(rpId: string): string {
  return parse(rpId, { allowPrivateDomains: true }).domain ?? rpId;
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).hostname;
  } catch {
    return undefined;
  }
}

export function createConsentWindows() {
  const pending = new Map<string, Pending>();
  const urlOf = (id: string) => browser.runtime.getURL(`/consent.html#${id}`);

  const fail = (p: Pending, e: Error) => {
    p.failure ??= e;
    p.reject?.(p.failure);
  };

  browser.windows?.onRemoved.addListener((windowId) => {
    for (const [id, p] of pending) {
      if (p.windowId === windowId) {
        pending.delete(id);
        p.windowId = undefined;
        fail(p, notAllowed('The person closed the Keyport window.'));
      }
    }
  });

  async function open(p: Pending): Promise<void> {
    if (p.failure) throw p.failure;
    if (p.windowId !== undefined && p.adopted) {
      p.adopted = false;
      try {
        const [tab] = await browser.tabs.query({ windowId: p.windowId });
        await browser.tabs.update(tab!.id, { url: urlOf(p.view.id) });
      } catch {
        p.windowId = undefined; // closed meanwhile: open a new one
      }
      if (p.windowId !== undefined) {
        await browser.windows.update(p.windowId, { focused: true }).catch(() => {});
        return;
      }
    }
    if (p.windowId !== undefined) return;
    const w = await browser.windows.create({ url: urlOf(p.view.id), type: 'popup', width: 420, height: 560, focused: true });
    p.windowId = w.id;
    // The ceremony may have ended while the window was being made (an abort, a timeout): take it away again.
    if (p.ended && w.id !== undefined) await browser.windows.remove(w.id).catch(() => {});
  }

  return {
    /**
     * Starts a session for one ceremony; close() ends it (in a finally). `key` (the tab) makes this request
     * replace an open one with the same key: that one ends with AbortError and this one takes its window.
     */
    session(view: Omit<ConsentView, 'id' | 'site' | 'topSite'>, signal: AbortSignal, key?: string) {
      const id = crypto.randomUUID();
      const top = view.topOrigin !== undefined ? hostOf(view.topOrigin) : undefined;
      const p: Pending = { view: { ...view, id, site: siteOf(view.rpId), ...(top ? { topSite: siteOf(top) } : {}) }, ...(key !== undefined ? { key } : {}) };
      if (key !== undefined) {
        for (const [otherId, other] of pending) {
          if (other.key !== key) continue;
          pending.delete(otherId);
          if (other.windowId !== undefined && p.windowId === undefined) {
            p.windowId = other.windowId;
            p.adopted = true;
            other.windowId = undefined;
          }
          fail(other, new WebAuthnError('AbortError', 'A newer request from this page replaced it.'));
        }
      }
      pending.set(id, p);
      const waitFor = <T>(arm: (resolve: (v: T) => void) => void): Promise<T> =>
        new Promise<T>((resolve, reject) => {
          if (p.failure) return reject(p.failure);
          if (signal.aborted) return reject(notAllowed());
          p.reject = reject;
          signal.addEventListener('abort', () => reject(notAllowed()), { once: true });
          arm(resolve);
        });
      return {
        view: p.view,
        /** Until the vault is open, or the person chose "use another device or security key" instead. */
        async waitForUnlock(): Promise<'unlocked' | 'fallback'> {
          p.view.locked = true;
          await open(p);
          const how = await waitFor<'unlocked' | 'fallback'>((resolve) => {
            p.unlocked = () => resolve('unlocked');
            p.decide = (d) => void (d.action === 'fallback' && resolve('fallback'));
          });
          p.unlocked = p.decide = undefined;
          p.view.locked = false;
          return how;
        },
        async ask(update: Partial<ConsentView>): Promise<WindowDecision> {
          Object.assign(p.view, update);
          await open(p);
          return waitFor<WindowDecision>((resolve) => (p.decide = resolve));
        },
        /** Resolves once the window is gone: Firefox refuses WebAuthn to a page whose window lost focus to ours. */
        async close(): Promise<void> {
          p.ended = true;
          if (pending.get(id) === p) pending.delete(id);
          const windowId = p.windowId;
          p.windowId = undefined;
          if (windowId !== undefined) await browser.windows.remove(windowId).catch(() => {});
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
      if (action === 'cancel') fail(p, notAllowed('The person canceled.'));
      else if (action === 'fallback') p.decide?.({ action: 'fallback' });
      else p.decide?.({ action: 'approve', credentialId });
      return true;
    },
  };
}
export type ConsentWindows = ReturnType<typeof createConsentWindows>;

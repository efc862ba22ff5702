// Chromium's proxy door (docs/design.md "Proxy"): Keyport attaches to chrome.webAuthenticationProxy and answers the
// modal requests the browser hands over, with the origin the browser computed. For one request at a time it
// steps aside: it detaches, the page's shim retries with the browser's own WebAuthn (security key, phone), and
// that tab's fallback-done (or the tab closing, or a timer) attaches again. It owns which door is open.
import browser, { type Runtime } from 'webextension-polyfill';
import { type ProxyAnswer, listenToProxy, proxyApi } from '../../adapters/proxy.ts';
import type { CeremonyService } from '../ceremonies.ts';
import { STORAGE } from '../../protocol/storage.ts';
import type { Caller } from '../../webauthn/types.ts';
import { originOf } from './callers.ts';

const FALLBACK_WINDOW_MS = 5 * 60_000;

export type Door = 'proxy' | 'shim';

export function createProxyDoor(deps: {
  ready: () => Promise<void>;
  run: CeremonyService;
  signed: () => void;
  /** Per-site control (app/siteControl.ts): Keyport steps aside for a request from this origin. */
  stepsAside: (origin: string) => boolean;
}) {
  const api = proxyApi();
  let door: Door = 'shim';
  let problem: string | undefined;
  /** Paused (app/siteControl.ts): detached, so the browser's own WebAuthn answers every request untouched. */
  let paused = false;
  /** Requests Keyport stepped aside from, by challenge, until the page's shim asks (fallback-check). */
  const fallbacks = new Map<string, { origin: string; at: number }>();
  /** The one request (tab and challenge) for which the proxy is detached, while the browser's own WebAuthn answers it. */
  let stepAside: { tabId: number; challenge: string } | undefined;

  async function setDoor(d: Door) {
    door = d;
    // Only a hint for the bridges (content scripts can write storage.local): the background decides every request.
    await browser.storage.local.set({ [STORAGE.door.name]: d });
  }

  async function attach(): Promise<void> {
    stepAside = undefined;
    if (!api || door === 'proxy' || paused) return;
    // A restarted service worker may still be attached: detach and attach again before believing an error.
    let error = await api.attach().catch((e: Error) => e.message);
    if (error) {
      await api.detach().catch(() => {});
      error = await api.attach().catch((e: Error) => e.message);
    }
    if (error) {
      // Chromium's reason, as it gives it ("Another extension is already attached", measured in Chromium 156): it does
      // not name the extension, and the management permission that could list the candidates is not worth its
      // install warning (docs/design.md "Coexistence"); the popup says how to make Keyport the one.
      problem = error;
      await setDoor('shim');
    } else {
      problem = undefined;
      await setDoor('proxy');
    }
  }

  /** Step aside: the page's shim retries with the browser's own WebAuthn after this NotAllowedError. */
  function stepAsideFrom(origin: string, challenge: string): ProxyAnswer {
    for (const [c, f] of fallbacks) if (Date.now() - f.at > FALLBACK_WINDOW_MS) fallbacks.delete(c);
    fallbacks.set(challenge, { origin, at: Date.now() });
    return { error: { name: 'NotAllowedError', message: 'Keyport stepped aside for another authenticator.' } };
  }

  if (api) {
    listenToProxy(
      api,
      async (r) => {
        await deps.ready();
        // An excluded site: step aside at once, before anything is validated or shown (docs/design.md rule 9), the
        // same way as for "another device": the page's shim retries with the browser's own WebAuthn.
        if (deps.stepsAside(r.origin)) return stepAsideFrom(r.origin, String(r.options.challenge));
        const caller: Caller = { origin: r.origin, sameOriginWithAncestors: r.sameOriginWithAncestors, door: 'proxy' };
        const answer = await deps.run(r.kind, r.options, caller, true, r.signal);
        if (answer.type === 'credential') {
          deps.signed();
          return { responseJson: JSON.stringify(answer.credential) };
        }
        if (answer.type === 'error') return { error: answer.error };
        return stepAsideFrom(r.origin, String(r.options.challenge));
      },
      () => true,
    );
  } else {
    void setDoor('shim');
  }

  return {
    attach,
    door: () => door,
    /** Paused: detach (the browser answers everything itself); unpaused: attach again. */
    async pause(on: boolean): Promise<void> {
      paused = on;
      if (!on) return attach();
      if (!api) return;
      // Whatever the door says: a restarted service worker may still be attached from before.
      await api.detach().catch(() => {});
      problem = undefined;
      await setDoor('shim');
    },
    /** The person turned another extension off and asks Keyport to take the proxy (coexistence, issue 15 item 9). */
    async retry(): Promise<void> {
      if (door !== 'proxy') await attach();
    },
    /** Chromium's reason the proxy door is closed when it should be open (another extension holds the proxy). */
    problem: () => problem,
    /**
     * The page's shim asks whether the request it just saw refused was one Keyport stepped aside from: only for
     * the origin that made it (rule 1), within the window. Then the proxy is detached for that tab's retry.
     */
    async fallbackCheck(sender: Runtime.MessageSender, challenge: string, reportedOrigin: string): Promise<boolean> {
      const f = fallbacks.get(challenge);
      const origin = originOf(sender, reportedOrigin);
      const tabId = sender.tab?.id;
      if (!f || !origin || f.origin !== origin || tabId === undefined || Date.now() - f.at > FALLBACK_WINDOW_MS || !api) return false;
      fallbacks.delete(challenge);
      await api.detach().catch(() => {});
      // For this request only: its own fallback-done attaches again, or the tab closing, or at the latest
      // the timer (a restarted service worker attaches at start anyway).
      door = 'shim';
      stepAside = { tabId, challenge };
      const again = (closed: number) => {
        if (closed !== tabId) return;
        browser.tabs.onRemoved.removeListener(again);
        void attach();
      };
      browser.tabs.onRemoved.addListener(again);
      setTimeout(() => void attach(), FALLBACK_WINDOW_MS);
      return true;
    },
    /**
     * Only the tab whose request stepped aside, for that request, may end it: another page attaching the proxy
     * again would take that person's security key or phone request back into Keyport.
     */
    async fallbackDone(sender: Runtime.MessageSender, challenge: string): Promise<boolean> {
      if (!stepAside || stepAside.tabId !== sender.tab?.id || stepAside.challenge !== challenge) return false;
      await attach();
      return true;
    },
  };
}

export type ProxyDoor = ReturnType<typeof createProxyDoor>;

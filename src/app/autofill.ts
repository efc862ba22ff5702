// Passkey autofill (WebAuthn L3 §5.1.4 conditional mediation): a get() with mediation 'conditional' waits,
// without any window, until the person picks one of the site's passkeys from a suggestion list under the
// page's `autocomplete="… webauthn"` field. The list is the extension page autofill.html, framed by the
// bridge inside a closed shadow root: the page can neither read it (another origin) nor click it by script
// (events it dispatches do not cross into the frame). Names and ids go from here to that frame only; the
// bridge learns a session id and a row count, nothing else.
import type { CredentialMeta } from '../webauthn/authenticator/model.ts';
import { siteOf } from './consent.ts';
import type { AutofillNotice } from '../protocol/bridge.ts';
import type { AutofillView } from '../protocol/views.ts';

type Choice = { action: 'choose'; credentialId: string } | { action: 'unlock' };

interface Session {
  tabId: number;
  frameId: number;
  view: AutofillView;
  notify: (n: AutofillNotice) => void;
  choose?: (c: Choice) => void;
}

/** Most recently used first, as the list shows them. */
const byRecentUse = (a: CredentialMeta, b: CredentialMeta) => (b.lastUsedAt ?? b.createdAt) - (a.lastUsedAt ?? a.createdAt);

export function createAutofill() {
  const sessions = new Map<string, Session>();
  const unlockWaiters = new Set<() => void>();

  return {
    /**
     * One conditional request of frame `frameId` in tab `tabId`. `notify` reaches that frame's bridge.
     * The returned picker is what the ceremony service awaits; end() forgets the session (in a finally).
     */
    start(where: { tabId: number; frameId: number; rpId: string }, notify: (n: AutofillNotice) => void, signal: AbortSignal) {
      const id = crypto.randomUUID();
      const s: Session = { tabId: where.tabId, frameId: where.frameId, notify, view: { site: siteOf(where.rpId), rpId: where.rpId, state: 'locked', accounts: [] } };
      sessions.set(id, s);
      const next = () =>
        new Promise<Choice>((resolve, reject) => {
          if (signal.aborted) return reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
          s.choose = resolve;
        });
      return {
        id,
        /**
         * The vault is locked: offer "Unlock Keyport" in the list. Resolves once the vault is open, whether
         * the person unlocked it here (`openUnlockWindow`, the consent window's unlock) or anywhere else;
         * 'fallback' when the person chose the browser's own authenticators in that window.
         */
        async waitForUnlock(isUnlocked: () => boolean, openUnlockWindow: () => Promise<'fallback' | undefined>): Promise<'fallback' | undefined> {
          s.view = { ...s.view, state: 'locked', accounts: [] };
          notify({ type: 'autofill', id, rows: 1 });
          while (!isUnlocked()) {
            let wake: () => void = () => {};
            const unlockedElsewhere = new Promise<'unlocked'>((resolve) => unlockWaiters.add((wake = () => resolve('unlocked'))));
            try {
              const r = await Promise.race([next(), unlockedElsewhere]);
              // The window's "use another device or security key": the browser's own autofill takes over.
              if (r !== 'unlocked' && r.action === 'unlock' && (await openUnlockWindow()) === 'fallback') return 'fallback';
            } finally {
              unlockWaiters.delete(wake);
            }
          }
          return undefined;
        },
        /** The site's passkeys are listed; resolves with the one the person chose. */
        async pick(accounts: CredentialMeta[]): Promise<string> {
          const sorted = [...accounts].sort(byRecentUse);
          s.view = {
            ...s.view,
            state: 'ready',
            accounts: sorted.map((a) => ({ credentialId: a.credentialId, userName: a.userName, userDisplayName: a.userDisplayName, ...(a.lastUsedAt !== undefined ? { lastUsedAt: a.lastUsedAt } : {}) })),
          };
          notify({ type: 'autofill', id, rows: sorted.length });
          for (;;) {
            const c = await next();
            if (c.action === 'choose' && sorted.some((a) => a.credentialId === c.credentialId)) return c.credentialId;
          }
        },
        end: () => void sessions.delete(id),
      };
    },
    /** The list's view, for the frame it was made for only (the same tab; the frame is the extension's page). */
    view(id: string, tabId: number | undefined): AutofillView | null {
      const s = sessions.get(id);
      return s && s.tabId === tabId ? s.view : null;
    },
    /** The person chose in the list (a trusted click inside the extension's frame). */
    choose(id: string, tabId: number | undefined, choice: Choice): boolean {
      const s = sessions.get(id);
      if (!s || s.tabId !== tabId || !s.choose) return false;
      s.choose(choice);
      return true;
    },
    /** Every waiting autofill request (oldest first), for the automation API: its id and what its list shows. */
    pending(): (AutofillView & { id: string; tabId: number })[] {
      return [...sessions].map(([id, s]) => ({ id, tabId: s.tabId, ...s.view }));
    },
    /** The automation API's choice for a waiting request, as if the person had clicked the entry. */
    chooseFor(id: string, credentialId: string): boolean {
      const s = sessions.get(id);
      if (!s?.choose || s.view.state !== 'ready' || !s.view.accounts.some((a) => a.credentialId === credentialId)) return false;
      s.choose({ action: 'choose', credentialId });
      return true;
    },
    /** The vault was unlocked (anywhere): lists waiting on it go on. */
    unlocked() {
      for (const wake of [...unlockWaiters]) wake();
    },
  };
}
export type Autofill = ReturnType<typeof createAutofill>;
export type AutofillPicker = ReturnType<Autofill['start']>;

// One ceremony service for both front doors (docs/design.md step 4): unlock if needed, ask the person (or the
// automation settings), run the WebAuthn client and authenticator algorithms, and answer.
import { authenticatorFor, createValidated } from '../webauthn/client/create.ts';
import { getValidated } from '../webauthn/client/get.ts';
import { preferredElsewhere } from '../webauthn/client/hints.ts';
import { type RelatedOriginCheck, type ValidatedRequest, checkImmediate, effectiveTimeout, validateRequest, withRelatedOrigins } from '../webauthn/client/validate.ts';
import type { Consent, CredentialMeta } from '../webauthn/authenticator/model.ts';
import { WebAuthnError, notAllowed, toErrorJSON } from '../webauthn/errors.ts';
import type { Caller } from '../webauthn/types.ts';
import type { Vault } from '../vault/vault.ts';
import { simulatedAnswer } from '../devtools/settings.ts';
import { encode as b64u } from '../webauthn/base64url.ts';
import type { ConsentWindows } from './consent.ts';
import type { DeveloperMode } from './developer.ts';
import type { AutofillPicker } from './autofill.ts';
import type { CeremonyAnswer } from '../protocol/window.ts';
import { createDeadlines } from './deadlines.ts';
import type { Upgrades } from './upgrades.ts';

export interface AutomationSettings {
  autoApprove: boolean;
  userVerified: boolean;
}

/** UV is claimed for a window approval only if the master password was proven this recently (docs/design.md). */
export const UV_GRACE_MS = 5 * 60_000;

const usedAt = (c: CredentialMeta) => c.lastUsedAt ?? c.createdAt;
const mostRecent = (a: CredentialMeta[]) => a.reduce((x, y) => (usedAt(y) > usedAt(x) ? y : x));
/** The accounts as the window lists them: the most recently used first (it is preselected). */
const byRecency = (a: CredentialMeta[]) => [...a].sort((x, y) => usedAt(y) - usedAt(x));

/**
 * An immediate request refused without a window (no passkey here for the site, or none it may use) answers no sooner
 * than this after it arrived, whatever the vault held or had to do: the page learns "nothing at once", not how
 * large the vault is, whether its key had to be resumed, or whether the site's passkeys were hidden or filtered.
 */
export const IMMEDIATE_REFUSAL_MS = 100;

/** How a door's request is to be answered, beside its options. */
export interface CeremonyHow {
  /** The tab the request came from: one consent window per tab. */
  tabId?: number;
  /** A conditional (autofill) get: the suggestion list answers it (autofill.ts), made for the validated RP ID. */
  startPicker?: (rpId: string) => AutofillPicker;
  /** An immediate get (uiMode 'immediate'): the picker at once if Keyport holds a passkey for the site, else NotAllowedError. */
  immediate?: boolean;
  /**
   * A conditional create (an upgrade after a password sign-in): made without a window if the person allowed
   * upgrades for the site and the vault is open, else a quiet offer and the browser's own answer (upgrades.ts).
   */
  conditionalCreate?: boolean;
}

/** One ceremony from either door (createCeremonyService's `run`). */
export type CeremonyService = ReturnType<typeof createCeremonyService>;

export function createCeremonyService(deps: {
  vault: Vault;
  windows: ConsentWindows;
  settings: () => AutomationSettings;
  lastPasswordProof: () => number;
  backedUp: () => boolean;
  now: () => number;
  developer?: DeveloperMode;
  /** §5.11 related origins, for an RP ID the caller's origin is not under (page-script door; app/relatedOrigins.ts). */
  relatedOrigins?: RelatedOriginCheck;
  upgrades?: Upgrades;
}) {
  const deadlines = createDeadlines();
  /**
   * One ceremony. Rule 8, "validate, then show": the request's options, origin, RP ID and frame policy are checked
   * (webauthn/client/validate.ts) before anything else happens; a refused request gets its error and opens no window, no
   * list and no unlock prompt, and is not logged. Only the validated RP ID reaches the screens and the inspector.
   * An immediate request never goes to the browser's own authenticators once Keyport is set up: the person chose
   * Keyport's passkeys or nothing (Chromium's proxy would take it back as a modal request).
   */
  return async function run(kind: 'create' | 'get', options: unknown, caller: Caller, framePermitted: boolean, signal: AbortSignal, how: CeremonyHow = {}): Promise<CeremonyAnswer> {
    const { tabId, startPicker, immediate = false, conditionalCreate = false } = how;
    if (!(await deps.vault.isSetUp())) return { type: 'original' };
    const arrivedAt = deps.now();
    let request: ValidatedRequest;
    try {
      request = await withRelatedOrigins((related) => validateRequest(kind, options, caller, framePermitted, related), caller, deps.relatedOrigins);
      if (immediate) checkImmediate(request);
      if (conditionalCreate) {
        // Rule 8 first, then: only where the person allowed upgrades, and only with the vault open (no unlock
        // prompt: a site must not be able to open a window this way). Otherwise the browser's own answer.
        if (request.kind !== 'create') return { type: 'original' };
        const upgrades = deps.upgrades;
        const open = deps.vault.isUnlocked() || (await deps.vault.resumeSession().catch(() => false));
        if (!upgrades || !open || !upgrades.allowed(request.rpId)) {
          if (open) upgrades?.offer(tabId, request.rpId);
          return { type: 'original' };
        }
      }
      // A request only the browser's own authenticators may answer goes to them before any window or unlock.
      if (request.kind === 'create' && authenticatorFor(request.options) === 'browser') return { type: 'original' };
    } catch (e) {
      return { type: 'error', error: toErrorJSON(e) };
    }
    const startedAt = deps.now();
    const picker = startPicker?.(request.rpId);
    let answer: CeremonyAnswer;
    let windowShown = false;
    try {
      answer = await ceremony(request, signal, tabId, picker, immediate, () => (windowShown = true), conditionalCreate);
    } finally {
      picker?.end();
    }
    if (immediate && (answer.type === 'original' || (answer.type === 'error' && answer.error.name === 'NotAllowedError'))) {
      // Nothing here for the site, or the person declined: the same error either way, and never sooner than
      // IMMEDIATE_REFUSAL_MS when no window showed.
      if (!windowShown) await delay(arrivedAt + IMMEDIATE_REFUSAL_MS - deps.now(), signal);
      answer = signal.aborted ? { type: 'error', error: new WebAuthnError('AbortError', 'The operation was aborted.').toJSON() } : { type: 'error', error: notAllowed().toJSON() };
    }
    const dev = deps.developer;
    if (dev?.settings().enabled) {
      const credentialId = answer.type === 'credential' ? answer.credential.id : undefined;
      dev.record({
        kind,
        origin: caller.origin,
        rpId: request.rpId,
        options,
        answer: answer.type === 'credential' ? { credential: answer.credential } : answer.type === 'error' ? { error: answer.error } : { fallback: true },
        startedAt,
        durationMs: deps.now() - startedAt,
        ...(kind === 'get' && credentialId ? { publicKeyCose: b64u(deps.vault.publicKeyCose(credentialId) ?? new Uint8Array()) } : {}),
        ...(tabId !== undefined ? { tabId } : {}),
      });
    }
    return answer;
  };

  async function ceremony(
    request: ValidatedRequest,
    signal: AbortSignal,
    tabId: number | undefined,
    picker: AutofillPicker | undefined,
    immediate: boolean,
    shown: () => void,
    upgrade = false,
  ): Promise<CeremonyAnswer> {
    const { kind, caller, rpId } = request;
    const timeoutMs = effectiveTimeout(request.options.timeout);
    const devMode = deps.developer?.modeFor({ origin: caller.origin, rpId });
    const simulated = devMode && deps.developer?.takeNextError();
    if (simulated) {
      const { error, afterTimeout } = simulatedAnswer(simulated);
      // A simulated timeout waits the ceremony's whole lifetime, as a real one does, unless the page aborts first.
      if (afterTimeout && !signal.aborted) await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (signal.aborted) return { type: 'error', error: new WebAuthnError('AbortError', 'The operation was aborted.').toJSON() };
      return { type: 'error', error };
    }
    const autoApprove = () => deps.settings().autoApprove || !!devMode?.autoApprove;
    // A profile that fixes UV (on, off, UP only) never asks for the password: the developer chose the answer.
    const personDecidesUv = !devMode || devMode.profile.userVerification === 'person';
    const abort = new AbortController();
    // A conditional request has no lifetime timer: it waits for the person's choice or the page's abort (as Chromium's).
    const endTimer = picker ? undefined : deadlines.after(timeoutMs, () => abort.abort());
    const onCancel = () => abort.abort();
    signal.addEventListener('abort', onCancel, { once: true });
    // The consent session (a pending entry, a UUID, the site's registrable domain from the public suffix
    // list) is made only once the person is needed: auto-approve on an unlocked vault never needs it.
    let opened: ReturnType<ConsentWindows['session']> | undefined;
    // One window per tab: a newer request from the same tab replaces this one (consent.ts).
    const frame = caller.sameOriginWithAncestors ? {} : { crossOrigin: true, ...(caller.topOrigin !== undefined ? { topOrigin: caller.topOrigin } : {}) };
    // §5.8.7 hints: the site's preference leads in the window; Keyport is still offered. An immediate sign-in has no
    // way to the browser's own authenticators, so nothing to lead with.
    const prefers = immediate ? undefined : preferredElsewhere(request.options.hints);
    const session = () => {
      shown();
      return (opened ??= deps.windows.session(
        { kind, origin: caller.origin, rpId, locked: !deps.vault.isUnlocked(), ...frame, ...(immediate ? { immediate } : {}), ...(prefers ? { prefers } : {}) },
        abort.signal,
        tabId !== undefined ? `tab:${tabId}` : undefined,
      ));
    };
    try {
      if (!deps.vault.isUnlocked() && !(await deps.vault.resumeSession())) {
        if (!picker) {
          if ((await session().waitForUnlock()) === 'fallback') return { type: 'original' };
        } else {
          // The list offers "Unlock Keyport"; choosing it opens the window's unlock, which closes once done (or
          // is closed), while the list waits on. An unlock anywhere else also goes on.
          const choice = await picker.waitForUnlock(deps.vault.isUnlocked, async () => {
            const r = await session().waitForUnlock().catch(() => undefined);
            await opened?.close();
            opened = undefined;
            return r === 'fallback' ? 'fallback' : undefined;
          });
          if (choice === 'fallback') return { type: 'original' };
        }
      }
      const uvByWindow = () => deps.now() - deps.lastPasswordProof() < UV_GRACE_MS;
      const consent: Consent = upgrade ? upgradeConsent : {
        async confirmCreate(info) {
          if (autoApprove()) return { action: 'approve', uv: deps.settings().userVerified };
          const d = await session().ask({ rpId: info.rpId, userName: info.userName, verify: personDecidesUv && info.userVerification === 'required' && !uvByWindow() });
          return d.action === 'fallback' ? d : { action: 'approve', uv: uvByWindow() };
        },
        async confirmExcluded(info) {
          if (autoApprove()) return;
          await session().ask({ rpId: info.rpId, userName: info.userName, excluded: true });
        },
        async pickCredential(info) {
          // Autofill waits for the person's choice in the list, even with auto-approve: a page starts it on load.
          if (picker) {
            const credentialId = await picker.pick(info.accounts);
            if (personDecidesUv && info.userVerification === 'required' && !uvByWindow()) {
              const a = info.accounts.find((x) => x.credentialId === credentialId)!;
              const d = await session().ask({ rpId: info.rpId, verify: true, accounts: [{ credentialId, userName: a.userName, userDisplayName: a.userDisplayName, lastUsedAt: a.lastUsedAt }] });
              if (d.action === 'fallback') return d;
            }
            return { action: 'approve', uv: uvByWindow(), credentialId };
          }
          if (autoApprove()) return { action: 'approve', uv: deps.settings().userVerified, credentialId: mostRecent(info.accounts).credentialId };
          const d = await session().ask({
            rpId: info.rpId,
            verify: personDecidesUv && info.userVerification === 'required' && !uvByWindow(),
            accounts: byRecency(info.accounts).map((a) => ({ credentialId: a.credentialId, userName: a.userName, userDisplayName: a.userDisplayName, lastUsedAt: a.lastUsedAt })),
          });
          if (d.action === 'fallback') return d;
          return { action: 'approve', uv: uvByWindow(), credentialId: d.credentialId ?? mostRecent(info.accounts).credentialId };
        },
      };
      const ceremonyDeps = { store: deps.vault.store, consent, now: deps.now, ...(devMode ? { profile: devMode.profile } : {}) };
      const outcome =
        request.kind === 'create'
          ? await createValidated(request, { signal: abort.signal, backedUp: deps.backedUp() }, ceremonyDeps)
          : await getValidated(request, { signal: abort.signal }, ceremonyDeps);
      if (outcome.kind === 'fallback') return { type: 'original' };
      if (upgrade && request.kind === 'create') {
        const user = request.options.user;
        deps.upgrades?.made({ credentialId: outcome.credential.id, rpId, userName: user.name });
      }
      return { type: 'credential', credential: outcome.credential };
    } catch (e) {
      if (abort.signal.aborted && !signal.aborted) return { type: 'error', error: notAllowed().toJSON() };
      if (signal.aborted) return { type: 'error', error: new WebAuthnError('AbortError', 'The operation was aborted.').toJSON() };
      return { type: 'error', error: toErrorJSON(e) };
    } finally {
      endTimer?.();
      signal.removeEventListener('abort', onCancel);
      // Answer only once the window is gone: Firefox refuses WebAuthn ("request is not allowed") to a page
      // whose window has not got the focus back, which broke "use another device or security key".
      await opened?.close();
    }
  }
}

/**
 * The person's answer to an upgrade they allowed beforehand: made without asking (no presence, no verification,
 * §5.1.3). A passkey the site excludes is already here: nothing is made, and the page gets NotAllowedError, not
 * InvalidStateError, so that no window-less request tells a page which of its credential ids are here.
 */
const upgradeConsent: Consent = {
  confirmCreate: async () => ({ action: 'approve', uv: false, up: false }),
  confirmExcluded: async () => {
    throw notAllowed();
  },
  pickCredential: async () => ({ action: 'fallback' }),
};

/** Resolves after `ms` (at once if not positive), or when `signal` aborts. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

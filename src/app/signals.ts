// The sites' signals (WebAuthn L3 §5.1.10): signalUnknownCredential, signalAllAcceptedCredentials and
// signalCurrentUserDetails, from the page-script door on both browsers (the shim catches them on Chromium's proxy
// door too: the proxy does not carry them). Validated by the one module (docs/design.md rule 8), then applied as
// vault edits, which sync. The page's answer is settled by validation alone, before the vault is looked at, so it
// is the same, at the same time, whether or not a passkey matched or the vault is open (rule 7). A locked vault
// applies nothing and keeps nothing for later: the site sends its signals again at its next sign-in.
import { type RelatedOriginCheck, type SignalKind, type ValidatedSignal, validateSignal, withRelatedOrigins } from '../webauthn/client/validate.ts';
import { toErrorJSON } from '../webauthn/errors.ts';
import type { Caller } from '../webauthn/types.ts';
import type { SignalAnswer } from '../protocol/window.ts';
import type { Vault } from '../vault/vault.ts';

export type SignalService = ReturnType<typeof createSignals>;

export function createSignals(deps: {
  vault: Pick<Vault, 'isUnlocked' | 'signalUnknown' | 'signalAllAccepted' | 'signalUserDetails' | 'purgeHidden'>;
  /** §5.1.10.1: an RP ID the origin is not under may be a related origin's (app/relatedOrigins.ts), as for a ceremony. */
  relatedOrigins?: RelatedOriginCheck;
}) {
  const { vault } = deps;
  /** Edits one after another, so two signals of one site never race over the same record. */
  let queue: Promise<unknown> = Promise.resolve();

  async function apply(s: ValidatedSignal): Promise<number> {
    if (!vault.isUnlocked()) return 0;
    if (s.kind === 'unknownCredential') return vault.signalUnknown(s);
    if (s.kind === 'allAcceptedCredentials') return vault.signalAllAccepted(s);
    return vault.signalUserDetails(s);
  }

  return {
    /**
     * A signal from a page: its answer once validated (which may fetch a related origins document, never looks at
     * the vault); the edit (if any) after. `applied` settles once the edit is written (tests, and the caller's
     * activity bookkeeping); a failed write is dropped, as the site will signal again.
     */
    async receive(kind: SignalKind, options: unknown, caller: Caller): Promise<{ answer: SignalAnswer; applied: Promise<number> }> {
      let s: ValidatedSignal;
      try {
        s = await withRelatedOrigins((related) => validateSignal(kind, options, caller, related), caller, deps.relatedOrigins);
      } catch (e) {
        return { answer: { type: 'error', error: toErrorJSON(e) }, applied: Promise.resolve(0) };
      }
      const applied = queue.then(() => apply(s)).catch(() => 0);
      queue = applied;
      return { answer: { type: 'done' }, applied };
    },
    /** Deletes what the sites hid more than 30 days ago (on unlock, and on the periodic alarm). */
    purge(): Promise<number> {
      const done = queue.then(() => (vault.isUnlocked() ? vault.purgeHidden() : 0)).catch(() => 0);
      queue = done;
      return done;
    },
  };
}

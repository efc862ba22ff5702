// The page-script door (docs/design.md "Shim"): one port per ceremony from a frame's bridge. Who calls comes from the
// browser's sender information (callers.ts, rule 1), whether the document may use WebAuthn from its own policy
// (rule 2); the ceremony service validates the rest before anything is shown (rule 8). A signal (WebAuthn L3
// §5.1.10) has a port of its own and goes to the signals service (app/signals.ts).
import browser from 'webextension-polyfill';
import * as v from 'valibot';
import type { DeclaredPolicies } from '../../adapters/documentPolicy.ts';
import type { CeremonyService } from '../ceremonies.ts';
import type { createAutofill } from '../autofill.ts';
import { CEREMONY_PORT, CeremonyRequest, SIGNAL_PORT, SignalRequest } from '../../protocol/bridge.ts';
import type { CeremonyAnswer, SignalAnswer } from '../../protocol/window.ts';
import type { SignalService } from '../signals.ts';
import type { Caller } from '../../webauthn/types.ts';
import { callerOf, documentPermits } from './callers.ts';

export function openPageDoor(deps: {
  ready: () => Promise<void>;
  run: CeremonyService;
  autofill: ReturnType<typeof createAutofill>;
  declaredPolicies: DeclaredPolicies;
  /** A ceremony signed: activity, for auto-lock. */
  signed: () => void;
  signals: SignalService;
  /** Per-site control (app/siteControl.ts): Keyport steps aside for this caller (its site or its top's, or a pause). */
  stepsAside: (caller: Caller) => boolean;
}): void {
  browser.runtime.onConnect.addListener((port) => {
    if (port.name === SIGNAL_PORT && port.sender) {
      const sender = port.sender;
      port.onMessage.addListener((raw) => void (async () => {
        const parsed = v.safeParse(SignalRequest, raw);
        let answer: SignalAnswer;
        if (!parsed.success) answer = { type: 'error', error: { name: 'TypeError', message: 'Malformed request.' } };
        else {
          await deps.ready();
          const { signal, options, frame } = parsed.output;
          // Rule 1: the origin from the browser's sender information; an opaque one has no effective domain (§5.1.10.1).
          const caller = callerOf(sender, { ...frame, transientActivation: false });
          // An excluded site: the browser's own signal method answers, as if Keyport were not installed.
          answer = !caller
            ? { type: 'error', error: { name: 'SecurityError', message: 'The document has an opaque origin.' } }
            : deps.stepsAside(caller) ? { type: 'aside' } : (await deps.signals.receive(signal, options, caller)).answer;
        }
        port.postMessage(answer);
      })());
      return;
    }
    if (port.name !== CEREMONY_PORT || !port.sender) return;
    const sender = port.sender;
    const abort = new AbortController();
    port.onDisconnect.addListener(() => abort.abort());
    port.onMessage.addListener((raw) => void (async () => {
      const parsed = v.safeParse(CeremonyRequest, raw);
      let answer: CeremonyAnswer;
      if (!parsed.success) answer = { type: 'error', error: { name: 'TypeError', message: 'Malformed request.' } };
      else {
        await deps.ready();
        const { kind, options, frame, conditional, immediate } = parsed.output;
        const caller = callerOf(sender, frame);
        if (caller && deps.stepsAside(caller)) {
          // The bridge's hint was stale or missing: the background decides, before any validation or window (rule 9).
          port.postMessage({ type: 'aside' } satisfies CeremonyAnswer);
          return;
        }
        const feature = kind === 'create' ? 'publickey-credentials-create' : 'publickey-credentials-get';
        // null: the document cannot see its own permissions policy (Firefox); read it from the headers and the embedders.
        const permitted = caller !== undefined && (frame.framePermitted ?? (await documentPermits(sender, caller, feature, deps.declaredPolicies)));
        const tabId = sender.tab?.id;
        // Autofill: a list framed in this tab's frame, which the person answers (autofill.ts), made only once
        // the request is valid and for its validated RP ID.
        const startPicker = conditional && kind === 'get' && tabId !== undefined
          ? (rpId: string) => deps.autofill.start({ tabId, frameId: sender.frameId ?? 0, rpId }, (n) => port.postMessage(n), abort.signal)
          : undefined;
        // Rule 1: an opaque origin (a sandboxed document, a data: document) gets the browser's NotAllowedError.
        answer = caller
          ? await deps.run(kind, options, caller, permitted, abort.signal, {
              ...(tabId !== undefined ? { tabId } : {}),
              ...(startPicker ? { startPicker } : {}),
              immediate: immediate === true && kind === 'get',
              conditionalCreate: conditional === true && kind === 'create',
            })
          : { type: 'error', error: { name: 'NotAllowedError', message: 'The operation is not allowed in a document with an opaque origin.' } };
      }
      // Only a ceremony that signed counts as activity for auto-lock: a page that keeps asking must not keep
      // the vault open without the person.
      if (answer.type === 'credential') deps.signed();
      if (!abort.signal.aborted) port.postMessage(answer);
    })());
  });
}

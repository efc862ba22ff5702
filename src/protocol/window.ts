// Page realm ⇄ bridge: what the MAIN-world shim posts to its own window and what comes back on the request's
// MessagePort. The shim imports this file, so it holds names and types only, never code that needs a library.
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../webauthn/types.ts';
import type { ErrorJSON } from '../webauthn/errors.ts';

/** The `keyport` member of every shim request (window.postMessage, with a MessagePort for the answer). */
export const REQUEST = 'keyport:request';
/** A cancelable event the shim dispatches on its window: the bridge cancels it when the proxy door is open. */
export const DOOR_EVENT = 'keyport:door';

export interface ShimRequest {
  keyport: typeof REQUEST;
  /** 'site': whether Keyport steps aside on this site (per-site control), asked before a capability answer. */
  kind: 'create' | 'get' | 'fallback-check' | 'fallback-done' | 'signal' | 'site';
  /** kind 'signal': which of the PublicKeyCredential.signal* methods; `options` is its dictionary after WebIDL conversion. */
  signal?: SignalKind;
  options?: unknown;
  challenge?: string;
  /** mediation 'conditional', through either door: Keyport's autofill list for a get(), an upgrade for a create(). */
  conditional?: boolean;
  /** A get() with uiMode 'immediate' (Chromium's immediate mediation): Keyport's picker at once, or NotAllowedError. */
  immediate?: boolean;
}

/** The three signal methods (WebAuthn L3 §5.1.10), named as client/validate.ts names them. */
export type SignalKind = 'unknownCredential' | 'allAcceptedCredentials' | 'currentUserDetails';

/**
 * A signal's answer, the same on both hops: 'done' once the signal is valid, whatever it matched (nothing tells
 * the page whether Keyport holds a passkey: docs/design.md rule 7); an error only for what the spec refuses.
 */
export type SignalAnswer = { type: 'done' } | { type: 'error'; error: ErrorJSON } | Aside;

/**
 * Keyport steps aside on this site (excluded, or paused): the shim calls the browser's own function, as if Keyport
 * were not installed (per-site control, app/siteControl.ts).
 */
export type Aside = { type: 'aside' };

/**
 * A ceremony's answer, the same on both hops: the background posts it on the ceremony's port (bridge.ts) and the
 * bridge relays it unchanged to the shim. 'original': the person chose another authenticator; the shim calls the
 * browser's own function with the page's own options.
 */
export type CeremonyAnswer =
  | { type: 'credential'; credential: RegistrationResponseJSON | AuthenticationResponseJSON }
  | { type: 'error'; error: ErrorJSON }
  | { type: 'original' }
  | Aside;

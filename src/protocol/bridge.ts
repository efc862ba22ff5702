// Bridge ⇄ background: the ceremony port and the frame-policy question, with the schemas the background checks
// what it receives against (docs/design.md rule 6). The bridge runs in every frame and imports only the names and
// types from here (its bundle keeps no schema library: npm run bench reports its size).
import * as v from 'valibot';
import type { CeremonyAnswer } from './window.ts';

export const CEREMONY_PORT = 'keyport:ceremony';

/** Bridge → background, the first and only message on a ceremony's port. */
export const CeremonyRequest = v.object({
  kind: v.picklist(['create', 'get']),
  options: v.unknown(),
  // What the bridge sees of its own document (doors/callers.ts FrameFacts): window.origin ("null" when sandboxed),
  // whether its ancestors share it, and its permissions policy, or null where the document exposes none
  // (Firefox; the background reads the headers and asks the embedding frames instead).
  frame: v.object({
    origin: v.pipe(v.string(), v.maxLength(2048)),
    sameOriginWithAncestors: v.boolean(),
    framePermitted: v.nullable(v.boolean()),
    transientActivation: v.boolean(),
  }),
  /** mediation: 'conditional': a get is answered from the autofill list (app/autofill.ts), a create is an upgrade (app/upgrades.ts). */
  conditional: v.optional(v.boolean()),
  /** uiMode: 'immediate' (a get only): the picker at once if Keyport holds a passkey, else NotAllowedError (ceremonies.ts). */
  immediate: v.optional(v.boolean()),
});
export type CeremonyRequest = v.InferOutput<typeof CeremonyRequest>;

/** Bridge → background: a PublicKeyCredential.signal* call (WebAuthn L3 §5.1.10), on a port of its own. */
export const SIGNAL_PORT = 'keyport:signal';
/** The first and only message on a signal's port; the answer is a SignalAnswer (window.ts), which ends it. */
export const SignalRequest = v.object({
  signal: v.picklist(['unknownCredential', 'allAcceptedCredentials', 'currentUserDetails']),
  // Checked in full by client/validate.ts validateSignal.
  options: v.unknown(),
  // As in CeremonyRequest: window.origin as the isolated world sees it, and whether the ancestors share it.
  frame: v.object({ origin: v.pipe(v.string(), v.maxLength(2048)), sameOriginWithAncestors: v.boolean() }),
});
export type SignalRequest = v.InferOutput<typeof SignalRequest>;

/** Background → bridge on the ceremony's port: frame the autofill list for session `id` with this many rows. */
export interface AutofillNotice {
  type: 'autofill';
  id: string;
  rows: number;
}

/** Background → bridge on the ceremony's port: the answer, which ends it, or an autofill notice before it. */
export type PortMessage = CeremonyAnswer | AutofillNotice;

/** Background → every bridge of a tab: "does the <iframe> of frame `frameId` delegate `feature` to `origin`?" */
export const FRAME_POLICY = 'keyport:frame-policy';
export interface FramePolicyQuery {
  type: typeof FRAME_POLICY;
  frameId: number;
  origin: string;
  feature: 'publickey-credentials-create' | 'publickey-credentials-get';
}
/** Only the bridge of the frame that holds that <iframe> element answers; `embedder` is that frame. */
export const FramePolicyAnswer = v.object({
  allowed: v.boolean(),
  embedder: v.object({ frameId: v.number(), origin: v.string() }),
});
export type FramePolicyAnswer = v.InferOutput<typeof FramePolicyAnswer>;

// Rule 1 and rule 2 on the page-script door, in one file: who is calling (origin, top origin, cross-origin
// status) and whether the calling document may use WebAuthn (its Permissions Policy). Every answer starts
// from what the browser says of the sender (sender.origin, sender.url, sender.frameId, the tab); the bridge,
// our own isolated-world script, adds only what the browser's sender information lacks and the page cannot
// forge there (window.origin in Firefox, the ancestors' origins, the document's own policy where exposed).
import browser, { type Runtime } from 'webextension-polyfill';
import * as v from 'valibot';
import { FRAME_POLICY, FramePolicyAnswer, type FramePolicyQuery } from '../../protocol/bridge.ts';
import type { PolicyFeature } from '../../webauthn/client/validate.ts';
import type { Caller } from '../../webauthn/types.ts';
import { allows } from '../../webauthn/client/permissionsPolicy.ts';
import type { DeclaredPolicies } from '../../adapters/documentPolicy.ts';

/** What the bridge of the requesting frame reports about its own document. */
export interface FrameFacts {
  /** `window.origin` in the isolated world: "null" for a sandboxed (opaque) document. */
  origin: string;
  sameOriginWithAncestors: boolean;
  /** The document's own answer (document.permissionsPolicy/featurePolicy), or null where it has none (Firefox). */
  framePermitted: boolean | null;
  /** navigator.userActivation.isActive when the bridge relayed the request (false where there is no such API). */
  transientActivation: boolean;
}

function urlOrigin(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The sender's origin, or undefined for a refusal. The browser's `sender.origin` decides where it exists
 * (Chromium, and Firefox where present): "null" is an opaque origin (a sandboxed document or frame, a data:
 * document, a CSP sandbox), refused, never replaced by the origin its URL would have. Where the browser gives
 * none, the bridge's `window.origin` must be the URL's origin: a sandboxed document reports "null" and an
 * about:blank or srcdoc frame (URL origin "null") does not match, so both are refused.
 */
export function originOf(sender: Runtime.MessageSender, reported: string | undefined): string | undefined {
  const given = (sender as { origin?: string }).origin;
  if (given !== undefined) return given === 'null' || given === '' ? undefined : given;
  const fromUrl = urlOrigin(sender.url);
  if (!fromUrl || fromUrl === 'null' || reported !== fromUrl) return undefined;
  return fromUrl;
}

/** Origin and top origin from the sender; the bridge only adds whether the ancestors match. */
export function callerOf(sender: Runtime.MessageSender, frame: Pick<FrameFacts, 'origin' | 'sameOriginWithAncestors' | 'transientActivation'>): Caller | undefined {
  const origin = originOf(sender, frame.origin);
  if (!origin) return undefined;
  const topOrigin = urlOrigin(sender.tab?.url);
  const sameOriginWithAncestors = sender.frameId === 0 || (frame.sameOriginWithAncestors && topOrigin === origin);
  return { origin, sameOriginWithAncestors, topOrigin: sameOriginWithAncestors ? undefined : topOrigin, door: 'shim', transientActivation: frame.transientActivation };
}

/**
 * Whether `feature` is enabled in the calling document (Permissions Policy §"Is feature enabled in document for
 * origin?"), for a browser whose documents do not expose it (Firefox 153). From the calling frame up to the top:
 * each document's declared policy (its header, seen by webRequest) must allow the origin asked about (its own,
 * then its child's), and each embedder's <iframe allow> must delegate the feature to the child's origin, which
 * the embedder's bridge reads from the element the browser matches to the frame (bridge.ts delegatesTo). An
 * embedder that does not answer is a refusal.
 */
export async function documentPermits(sender: Runtime.MessageSender, caller: Caller, feature: PolicyFeature, declared: DeclaredPolicies): Promise<boolean> {
  const tabId = sender.tab?.id;
  let frameId = sender.frameId;
  let origin = caller.origin; // the origin being asked about at this level
  let self = caller.origin; // the origin of the document at this level
  if (tabId === undefined || frameId === undefined) return false;
  for (let depth = 0; depth < 32; depth++) {
    if (!allows(await declared(tabId, frameId), feature, origin, self)) return false;
    if (frameId === 0) return true;
    const query: FramePolicyQuery = { type: FRAME_POLICY, frameId, origin: self, feature };
    const r = v.safeParse(FramePolicyAnswer, await browser.tabs.sendMessage(tabId, query).catch(() => undefined));
    if (!r.success || !r.output.allowed) return false;
    origin = self;
    ({ frameId, origin: self } = r.output.embedder);
  }
  return false;
}
